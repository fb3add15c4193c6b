/**
 * The `sessions` option resolved: each lifetime, cap, share and per-session
 * limit with its default applied and its range checked (a RangeError names
 * a bad one). The shares' defaults follow from the cap and from whether the
 * handler authenticates. It keeps nothing and starts nothing: the session
 * manager (legacy/sessions/) runs on what it returns. Its defaults come from defaults.ts.
 * @module
 */

import { DEFAULT_SHARES, DEFAULTS } from "./defaults.ts";
import type { SessionOptions } from "./session_options.ts";
import { delay, limit, positive, shareOf, wholeNumber } from "./checks.ts";

const DEFAULT = DEFAULTS.sessions;
const SHARES = DEFAULT_SHARES;

/** What the sessionful era runs on: {@linkcode SessionOptions} with every default applied. */
export interface SessionSettings {
  idleTtlMs: number;
  absoluteTtlMs: number;
  maxSessions: number;
  maxSessionsPerPrincipal: number;
  maxAnonymousSessions: number;
  sweepIntervalMs: number;
  maxStateBytes: number;
  maxSubscriptions: number;
  maxSubscriptionBytes: number;
  retryAfterSeconds: number;
  maxRequestsPerSession: number;
}

/**
 * `sessions` with its defaults. With `authenticates` (the `auth` option) the anonymous callers share a sixteenth of the cap;
 * without, every caller is anonymous and they share all of it.
 *
 * @example
 * ```ts ignore
 * resolveSessionSettings({ maxSessions: 1_000 }, true).maxAnonymousSessions; // 62
 * ```
 */
export function resolveSessionSettings(
  sessions: SessionOptions,
  authenticates: boolean,
): SessionSettings {
  const maxSessions = limit("sessions.maxSessions", sessions.maxSessions, DEFAULT.maxSessions);
  return {
    idleTtlMs: positive("sessions.idleTtlMs", sessions.idleTtlMs, DEFAULT.idleTtlMs),
    absoluteTtlMs: positive(
      "sessions.absoluteTtlMs",
      sessions.absoluteTtlMs,
      DEFAULT.absoluteTtlMs,
    ),
    maxSessions,
    maxSessionsPerPrincipal: limit(
      "sessions.maxSessionsPerPrincipal",
      sessions.maxSessionsPerPrincipal,
      shareOf(maxSessions, SHARES["sessions.maxSessionsPerPrincipal"].parts),
    ),
    maxAnonymousSessions: limit(
      "sessions.maxAnonymousSessions",
      sessions.maxAnonymousSessions,
      authenticates
        ? shareOf(maxSessions, SHARES["sessions.maxAnonymousSessions"].parts)
        : maxSessions,
    ),
    sweepIntervalMs: delay(
      "sessions.sweepIntervalMs",
      sessions.sweepIntervalMs,
      DEFAULT.sweepIntervalMs,
    ),
    maxStateBytes: limit("sessions.maxStateBytes", sessions.maxStateBytes, DEFAULT.maxStateBytes),
    maxSubscriptions: limit(
      "sessions.maxSubscriptions",
      sessions.maxSubscriptions,
      DEFAULT.maxSubscriptions,
    ),
    maxSubscriptionBytes: limit(
      "sessions.maxSubscriptionBytes",
      sessions.maxSubscriptionBytes,
      DEFAULT.maxSubscriptionBytes,
    ),
    retryAfterSeconds: wholeNumber(
      "sessions.retryAfterSeconds",
      sessions.retryAfterSeconds,
      DEFAULT.retryAfterSeconds,
    ),
    maxRequestsPerSession: limit(
      "sessions.maxRequestsPerSession",
      sessions.maxRequestsPerSession,
      DEFAULT.maxRequestsPerSession,
    ),
  };
}
