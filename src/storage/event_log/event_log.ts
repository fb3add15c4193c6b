/**
 * The event log of resumable SSE streams, in one import: the
 * {@linkcode EventLog} interface and the event id format
 * (event_log_interface.ts), and its in-memory default,
 * {@linkcode MemoryEventLog} (memory_event_log.ts).
 *
 * It only re-exports: the interface and the implementation live apart, so
 * an implementation can import the interface without importing this.
 * @module
 */

export {
  type AppendOptions,
  eventIdPrefix,
  type EventLog,
  formatEventId,
  parseEventId,
  type Replay,
  type StoredEvent,
  type StreamInfo,
  type WaitOptions,
} from "./event_log_interface.ts";
export { MemoryEventLog, type MemoryEventLogOptions } from "./memory_event_log.ts";
