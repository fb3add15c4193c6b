/**
 * `@tether/mcp/storage`: the seams for state that may live elsewhere, each
 * an async interface with the in-memory implementation the handler uses by
 * default: sessions, the SSE event log, the message bus between instances,
 * rate-limit budgets, tasks and used DPoP proofs. Implement one to keep that state in your own
 * store (`@tether/mcp/redis` implements them all on Redis); a store that
 * cannot answer throws {@linkcode StorageUnavailableError}, and the handler
 * fails closed. The contract suites each implementation must pass live in
 * the repository's `tests/contracts/` (they run on `node:test`).
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { MemoryEventLog, MemorySessionStore } from "@tether/mcp/storage";
 *
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   tools: [],
 *   sessions: { store: new MemorySessionStore() },
 *   streams: {
 *     eventLog: new MemoryEventLog(),
 *   },
 * });
 * ```
 * @module
 */

export { StorageUnavailableError } from "../storage_unavailable.ts";
export type { StorageBackend } from "./backend/storage_backend.ts";
export { StorageOutageError, StorageOutages, StorageRecoveredError } from "../storage_outages.ts";
export type {
  ExpiredSession,
  SessionChanges,
  SessionRecord,
  SessionStore,
  SessionUse,
} from "./sessions/session_store.ts";
export { MemorySessionStore } from "./sessions/memory_session_store.ts";
export {
  type AppendOptions,
  type EventLog,
  MemoryEventLog,
  type MemoryEventLogOptions,
  type Replay,
  type StoredEvent,
  type StreamInfo,
  type WaitOptions,
} from "./event_log/event_log.ts";
export {
  type BusListener,
  type BusMessage,
  BusMessageTooLargeError,
  type BusNotification,
  MemoryBus,
  type MessageBus,
} from "../bus/message_bus.ts";
export {
  MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimitStore,
  type RateQuota,
  type RateTake,
} from "../limits/rate_limit_store.ts";
export {
  type DpopReplayStore,
  MemoryDpopReplayStore,
  type MemoryDpopReplayStoreOptions,
} from "../auth/dpop_replay.ts";
export type { TaskStore } from "../extensions/tasks/task_store.ts";
export {
  MemoryTaskStore,
  type MemoryTaskStoreOptions,
} from "../extensions/tasks/memory_task_store.ts";
