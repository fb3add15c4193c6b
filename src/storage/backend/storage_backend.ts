/**
 * {@linkcode StorageBackend}: every storage seam on one store, the type of
 * the handler's `storage` option and the face `createRedisBackend` and
 * `createPostgresBackend` return (their backends extend it).
 * src/config/apply_storage.ts fills the handler's seams from it.
 * @module
 */

import type { SessionStore } from "../sessions/session_store.ts";
import type { EventLog } from "../event_log/event_log_interface.ts";
import type { MessageBus } from "../../bus/message_bus.ts";
import type { RateLimitStore } from "../../limits/rate_limit_store.ts";
import type { TaskStore } from "../../extensions/tasks/task_store.ts";
import type { DpopReplayStore } from "../dpop/dpop_replay_store.ts";

/**
 * Every storage seam of a multi-instance server, on one store: pass it as
 * `createMcpHandler({ storage })`. `createRedisBackend` and
 * `createPostgresBackend` return one; a third engine is a factory that
 * returns one too (each seam's contract suite is in the repository's
 * `tests/contracts/`).
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import type { StorageBackend } from "@tether/mcp/storage";
 *
 * function serverOn(storage: StorageBackend) {
 *   return createMcpHandler({ name: "app", version: "1.0.0", tools: [], storage });
 * }
 * ```
 */
export interface StorageBackend {
  /** Session records and `ctx.session` state (`sessions.store`). */
  readonly sessionStore: SessionStore;
  /** Resumable streams (`streams.eventLog`). */
  readonly eventLog: EventLog;
  /** Cancellations, replies, session ends, notifications between instances (`bus`). */
  readonly bus: MessageBus;
  /** Rate-limit budgets (`limits.rateLimits.store`). */
  readonly rateLimitStore: RateLimitStore;
  /** Tasks (`tasksExtension({ store })`). */
  readonly taskStore: TaskStore;
  /** Used DPoP proofs (`auth.oauth.dpop.replayStore`). */
  readonly dpopReplayStore: DpopReplayStore;
  /**
   * Deletes now what has expired and does not expire by itself (Postgres's
   * rows; Redis keys carry their own TTLs, so there it does nothing). An
   * engine also runs its own sweep on a timer.
   */
  sweep(now?: number): Promise<void>;
  /** Stops what the backend runs and closes its connections: after the handler's `close()`. */
  close(): Promise<void>;
}
