/**
 * The options of the Postgres event log (`PostgresEventLog`): its namespace, its bounds per
 * stream, per session and in all, how long its rows live, how often followers poll, and when a
 * writer counts as gone. Types only; the log applies the defaults (postgres_defaults.ts) and
 * refuses a value out of range.
 * @module
 */

/**
 * Options of `PostgresEventLog` (and `createPostgresBackend`'s `eventLog`).
 *
 * @example
 * ```ts
 * import type { PostgresEventLogOptions } from "@tether/mcp/postgres";
 * const options: PostgresEventLogOptions = { maxEventsPerStream: 500, ttlSeconds: 3_600 };
 * ```
 */
export interface PostgresEventLogOptions {
  /**
   * The namespace of the log's rows (logs of different namespaces share the tables, never a
   * stream nor a budget). `createPostgresBackend` passes its own.
   * @default {"tether"}
   */
  namespace?: string;
  /**
   * Events kept per stream (oldest dropped).
   * @default {1_000}
   */
  maxEventsPerStream?: number;
  /**
   * Streams kept per session (oldest dropped).
   * @default {64}
   */
  maxStreamsPerSession?: number;
  /**
   * Bytes of event data kept per session (a stream over it alone sheds its own oldest events
   * first, then the session's oldest go, oldest streams first), as the memory log's.
   * @default {1_048_576}
   */
  maxBytesPerSession?: number;
  /**
   * Bytes of event data kept for the whole namespace, every instance together (one row counts
   * them, updated in the writing statement). Past it, the streams written least recently lose
   * their events, finished streams whole first; a running stream that loses events can no longer
   * be resumed from before the loss. As the memory log's `maxTotalBytes`.
   * @default {268_435_456}
   */
  maxTotalBytes?: number;
  /**
   * Seconds a session's streams live after its last write (the safety net for sessions no
   * instance deletes; a session whose record is in `tether_sessions` goes with that record).
   * @default {86_400}
   */
  ttlSeconds?: number;
  /**
   * How often a follower reads its stream without a wake-up, ms: the latency of a lost
   * notification, and of every event in polling-only mode (no wake-ups), where it is 250 unless
   * set.
   * @default {1_000}
   */
  pollIntervalMs?: number;
  /**
   * How long after this instance's last heartbeat its unfinished streams count as lost for
   * followers elsewhere, ms (heartbeats go every third of it).
   * @default {6_000}
   */
  instanceTimeoutMs?: number;
  /**
   * The clock of the rows' deadlines and the heartbeats (ms since the epoch); instances' clocks
   * should agree (NTP).
   * @default {Date.now}
   */
  now?: () => number;
}
