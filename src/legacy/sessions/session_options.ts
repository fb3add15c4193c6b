/**
 * The `sessions` option of the sessionful era: lifetimes, the cap, storage
 * and per-session limits, with their defaults. Resolved and checked with
 * the other options (options.ts).
 * @module
 */

import type { SessionStore } from "./session_store.ts";

/**
 * Session lifetime, cap and storage.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type SessionOptions } from "@tether/mcp";
 * const sessions: SessionOptions = { idleTtlMs: 10 * 60_000, maxSessions: 1_000 };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], sessions });
 * ```
 */
export interface SessionOptions {
  /** Where sessions live. Default: a new {@linkcode MemorySessionStore}. */
  store?: SessionStore;
  /** A session unused this long expires. Default 30 minutes. */
  idleTtlMs?: number;
  /** A session expires this long after creation, used or not. Default 4 hours. */
  absoluteTtlMs?: number;
  /** At most this many live sessions; `initialize` beyond it gets 503. Default 10,000. */
  maxSessions?: number;
  /**
   * Live sessions one authenticated principal may hold; its `initialize`
   * beyond it gets `429` + `Retry-After` (`retryAfterSeconds`) with
   * `-32004`, while other principals still get sessions. Counted by the
   * store, so instances sharing a Redis store share the count. Default: a
   * quarter of `maxSessions` (at least 1), so one account, or the anonymous
   * callers and one account together, never hold the whole pool.
   * @default {Math.max(1, Math.floor(maxSessions / 4))}
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Live sessions every anonymous caller together may hold (the one
   * anonymous principal); beyond it, `429` as for
   * `maxSessionsPerPrincipal`. Default, with `authenticate` or `oauth`: a
   * sixteenth of `maxSessions` (at least 1). Without them every caller is
   * anonymous, so the default is the whole of `maxSessions` (a small share
   * would cap the whole server): a public server without authentication
   * should bound clients by address with `rateLimit` instead.
   * @default {Math.max(1, Math.floor(maxSessions / 16)), or maxSessions without authentication}
   */
  maxAnonymousSessions?: number;
  /** How often the single sweep timer removes expired sessions. Default 60 s. */
  sweepIntervalMs?: number;
  /** Bytes of JSON one session's `ctx.session` state may hold. Default 64 KiB. */
  maxStateBytes?: number;
  /** Resource subscriptions one session may hold. Default 1,000. */
  maxSubscriptions?: number;
  /** UTF-8 bytes of subscribed URIs one session may hold, all together. Default 32 KiB. */
  maxSubscriptionBytes?: number;
  /** `Retry-After` seconds sent with the 503 of a full server. Default 30. */
  retryAfterSeconds?: number;
  /**
   * Requests one session may have in flight at once. A request beyond it is
   * answered with a JSON-RPC error (`-32004`, "Too many concurrent requests
   * in this session (limit N)") in the POST's normal answer, and does not
   * run. Default 64.
   */
  maxRequestsPerSession?: number;
}
