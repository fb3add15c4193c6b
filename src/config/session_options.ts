/**
 * The `sessions` option of the sessionful (2025) era: lifetimes, the cap,
 * the shares, storage, ids and per-session limits. Types only; each
 * `@default` matches the table in defaults.ts (resolved in resolve_group.ts).
 * @module
 */

import type { SessionStore } from "../storage/sessions/session_store.ts";

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
  /**
   * Where sessions live.
   * @default {a new `MemorySessionStore`}
   */
  store?: SessionStore;
  /**
   * Mints session ids. Must return visible ASCII.
   * @default {192 random bits, base64url}
   */
  generateSessionId?: () => string;
  /**
   * A session unused this long expires, ms.
   * @default {1_800_000}
   */
  idleTtlMs?: number;
  /**
   * A session expires this long after creation, used or not, ms.
   * @default {14_400_000}
   */
  absoluteTtlMs?: number;
  /**
   * At most this many live sessions; `initialize` beyond it gets 503.
   * @default {10_000}
   */
  maxSessions?: number;
  /**
   * Live sessions one authenticated principal may hold; its `initialize`
   * beyond it gets `429` + `Retry-After` (`retryAfterSeconds`) with
   * `-32004`, while other principals still get sessions. Counted by the
   * store, so instances sharing a Redis store share the count. The default
   * means one account, or the anonymous callers and one account together,
   * never hold the whole pool.
   * @default {a quarter of maxSessions (at least 1)}
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Live sessions every anonymous caller together may hold (the one
   * anonymous principal); beyond it, `429` as for
   * `maxSessionsPerPrincipal`. Without `auth` every caller is anonymous,
   * so the default is the whole of `maxSessions` (a small share would cap
   * the whole server): a public server without authentication should
   * bound clients by address with `limits.rateLimit` instead.
   * @default {a sixteenth of maxSessions (at least 1) with `auth`, else maxSessions}
   */
  maxAnonymousSessions?: number;
  /**
   * How often the single sweep timer removes expired sessions, ms.
   * @default {60_000}
   */
  sweepIntervalMs?: number;
  /**
   * Bytes of JSON one session's `ctx.session` state may hold.
   * @default {65_536}
   */
  maxStateBytes?: number;
  /**
   * Resource subscriptions one session may hold.
   * @default {1_000}
   */
  maxSubscriptions?: number;
  /**
   * UTF-8 bytes of subscribed URIs one session may hold, all together.
   * @default {32_768}
   */
  maxSubscriptionBytes?: number;
  /**
   * `Retry-After` seconds sent with the 503 of a full server.
   * @default {30}
   */
  retryAfterSeconds?: number;
  /**
   * Requests one session may have in flight at once. A request beyond it is
   * answered with a JSON-RPC error (`-32004`, "Too many concurrent requests
   * in this session (limit N)") in the POST's normal answer, and does not run.
   * @default {64}
   */
  maxRequestsPerSession?: number;
}
