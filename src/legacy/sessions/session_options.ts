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
