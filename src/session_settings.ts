/**
 * The `sessions` option resolved: each lifetime, cap, share and per-session
 * limit with its default applied and its range checked (a RangeError names
 * a bad one). The shares' defaults follow from the cap and from whether the
 * handler authenticates. It keeps nothing and starts nothing: the session
 * manager (legacy/sessions/) runs on what it returns.
 * @module
 */

import type { SessionOptions } from "./legacy/sessions/session_options.ts";
import { delay, limit, positive, shareOf, wholeNumber } from "./option_checks.ts";

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
 * `sessions` with its defaults. With `authenticates` (an `authenticate` or
 * `oauth` option) the anonymous callers share a sixteenth of the cap;
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
  const maxSessions = limit("sessions.maxSessions", sessions.maxSessions, 10_000);
  return {
    idleTtlMs: positive("sessions.idleTtlMs", sessions.idleTtlMs, 30 * 60_000),
    absoluteTtlMs: positive("sessions.absoluteTtlMs", sessions.absoluteTtlMs, 4 * 60 * 60_000),
    maxSessions,
    maxSessionsPerPrincipal: limit(
      "sessions.maxSessionsPerPrincipal",
      sessions.maxSessionsPerPrincipal,
      shareOf(maxSessions, 4),
    ),
    maxAnonymousSessions: limit(
      "sessions.maxAnonymousSessions",
      sessions.maxAnonymousSessions,
      authenticates ? shareOf(maxSessions, 16) : maxSessions,
    ),
    sweepIntervalMs: delay("sessions.sweepIntervalMs", sessions.sweepIntervalMs, 60_000),
    maxStateBytes: limit("sessions.maxStateBytes", sessions.maxStateBytes, 64 * 1024),
    maxSubscriptions: limit("sessions.maxSubscriptions", sessions.maxSubscriptions, 1_000),
    maxSubscriptionBytes: limit(
      "sessions.maxSubscriptionBytes",
      sessions.maxSubscriptionBytes,
      32 * 1024,
    ),
    retryAfterSeconds: wholeNumber("sessions.retryAfterSeconds", sessions.retryAfterSeconds, 30),
    maxRequestsPerSession: limit(
      "sessions.maxRequestsPerSession",
      sessions.maxRequestsPerSession,
      64,
    ),
  };
}
