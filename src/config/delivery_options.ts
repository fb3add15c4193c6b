/**
 * The option groups of the way out: `streams` (how answers travel, both
 * eras) and `stateless` (the 2026-07-28 era: its sealed state, cache hints,
 * listen streams and requests per principal). Types only; each `@default`
 * matches the table in defaults.ts (scripts/options_reference.ts checks it).
 * @module
 */

import type { EventLog } from "../storage/event_log/event_log.ts";
import type { RequestStateOptions } from "../modern/rounds/request_state.ts";
import type { ResponseMode } from "../http/response_mode.ts";
import type { CacheHints } from "../protocol/definitions/cache_hint.ts";

/**
 * How answers travel (the `streams` option).
 *
 * @example
 * ```ts
 * import { createMcpHandler, type StreamOptions } from "@tether/mcp";
 * const streams: StreamOptions = { responseMode: "sse", heartbeatMs: 30_000 };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], streams });
 * ```
 */
export interface StreamOptions {
  /**
   * `auto`: JSON unless the handler emits before its result or runs longer
   * than 200 ms, then SSE (resumable, and a client that leaves is noticed).
   * `json` or `sse` force one.
   * @default {"auto"}
   */
  responseMode?: ResponseMode;
  /**
   * Heartbeat comments on open SSE connections, ms; 0 disables.
   * @default {15_000}
   */
  heartbeatMs?: number;
  /**
   * The `retry:` hint sent with priming events, ms.
   * @default {1_000}
   */
  retryMs?: number;
  /**
   * Bytes one SSE connection may queue for a slow reader before it is dropped.
   * @default {1_048_576}
   */
  maxStreamBufferBytes?: number;
  /**
   * Serve the GET listening stream (405 when false).
   * @default {true}
   */
  listeningStream?: boolean;
  /**
   * Where SSE events are kept for resumption.
   * @default {a new `MemoryEventLog`}
   */
  eventLog?: EventLog;
  /**
   * How long `ctx.elicit`/`sample`/`listRoots` wait for the client by default, ms.
   * @default {300_000}
   */
  clientRequestTimeoutMs?: number;
  /**
   * How long work may run once its client's connection is gone and no
   * client has resumed its stream, ms; then its `ctx.signal` aborts with
   * reason `"abandoned"`. A resume (GET with `Last-Event-ID`) within it
   * keeps the work running. The default is longer than the official SDK's
   * reconnection backoff, short enough that dropped calls cannot pile up.
   * @default {60_000}
   */
  orphanTimeoutMs?: number;
}

/**
 * The stateless 2026-07-28 era (the `stateless` option); the sessionful
 * era's mirror is `sessions`.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type StatelessOptions } from "@tether/mcp";
 * const stateless: StatelessOptions = { requestState: { keys: [Deno.env.get("STATE_KEY") ?? ""] } };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], stateless });
 * ```
 */
export interface StatelessOptions {
  /**
   * How the 2026-07-28 `requestState` is sealed (AES-256-GCM). `keys`: one or
   * more secrets of at least 32 bytes; the first seals, every one opens (key
   * rotation). Without keys a random key is made per process, so a retry that
   * reaches another instance is refused: several instances need a shared key.
   * `ttlMs` (default 10 minutes) bounds how long a state stays valid.
   * @default {a random key per process}
   */
  requestState?: RequestStateOptions;
  /**
   * Cache hints sent with 2026-07-28 results of `server/discover`, the four
   * list methods and `resources/read` (a resource's own `cache` wins).
   * @default {`ttlMs: 0`, `cacheScope: "private"` for every method}
   */
  cacheHints?: CacheHints;
  /**
   * Open `subscriptions/listen` streams allowed at once; one more is
   * answered `-32603`. Each holds a file descriptor for as long as it is
   * open, and Deno exits when the process runs out of them (a bare
   * `Deno.serve` too: bench/lab/fd_limit.ts): the default stays below half of
   * the common `ulimit -n 1024`, leaving the rest for calls, the listener
   * and storage. Raise it together with `ulimit -n` (README, "File descriptors").
   * @default {512}
   */
  maxListenStreams?: number;
  /**
   * Open `subscriptions/listen` streams one principal may hold; one more is
   * answered `429` + `Retry-After: 30` with `-32004`. Every anonymous caller
   * is the one anonymous principal, so anonymous callers share this many
   * and can never fill the pool for authenticated ones. A client holds one
   * stream, so a user's clients (or a gateway's few) fit, while one caller
   * holds at most 1/16 of the default pool and far fewer connections than
   * the open-file limit (Deno fails near 1,010 open connections under
   * `ulimit -n 1024`). A public server without `auth` should raise it: all
   * its callers share it. Per process: behind a load balancer, per instance.
   * @default {32}
   */
  maxListenStreamsPerPrincipal?: number;
  /**
   * Resource URIs one `subscriptions/listen` request may name (a URI named
   * twice counts once); more is refused with `-32602` and opens nothing.
   * The mirror of `sessions.maxSubscriptions`, which bounds a 2025 session.
   * @default {1_000}
   */
  maxListenSubscriptions?: number;
  /**
   * UTF-8 bytes of the resource URIs one `subscriptions/listen` request may
   * name, all together (a URI named twice counts once); more is refused with
   * `-32602` and opens nothing. The mirror of `sessions.maxSubscriptionBytes`
   * (a listen stream holds its URIs as long as it is open: 1 MB each made
   * 1,024 streams cost 1.4 to 3.3 GB).
   * @default {32_768}
   */
  maxListenSubscriptionBytes?: number;
  /**
   * 2026-07-28 requests one principal may have in flight at once (sessionful
   * requests are bounded per session by `sessions.maxRequestsPerSession`);
   * one more is answered `429` + `Retry-After: 1` with `-32004` and does not
   * run. Anonymous callers share it. Twice a session's 64: a call in flight
   * costs about 94 KB and a connection (3,000 at once took 282 MB and 3,024
   * file descriptors), so one principal holds at most about 12 MB and 128
   * descriptors. Per process.
   * @default {128}
   */
  maxRequestsPerPrincipal?: number;
}
