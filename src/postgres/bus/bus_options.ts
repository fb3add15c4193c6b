/**
 * The options of the Postgres bus (`PostgresBus`): its bounds per inbox (rows, bytes, largest
 * message), how often its reader polls when no wake-up comes, and how long an instance counts as
 * alive. Types only; the bus applies the defaults (postgres_defaults.ts) and refuses a value out
 * of range.
 * @module
 */

/**
 * Options of the Postgres bus (`createPostgresBackend`'s `bus`).
 *
 * @example
 * ```ts
 * import type { PostgresBusOptions } from "@tether/mcp/postgres";
 * const options: PostgresBusOptions = { pollIntervalMs: 500, maxLength: 50_000 };
 * ```
 */
export interface PostgresBusOptions {
  /**
   * Messages each instance's inbox keeps (oldest deleted first).
   * @default {10_000}
   */
  maxLength?: number;
  /**
   * Largest message published, UTF-8 bytes of its JSON; a larger one is refused with
   * `BusMessageTooLargeError` (a client's reply that large is answered `413`). At most
   * `maxBytes`.
   * @default {1_048_576}
   */
  maxMessageBytes?: number;
  /**
   * Message bytes each instance's inbox keeps (oldest deleted first, together with
   * `maxLength`).
   * @default {67_108_864}
   */
  maxBytes?: number;
  /**
   * How often the reader reads its inbox when no wake-up came, ms: a lost `NOTIFY` (or
   * polling-only mode) costs at most this much latency.
   * @default {1_000}
   */
  pollIntervalMs?: number;
  /**
   * How long an instance counts as alive after its last refresh (every third of it), ms: a
   * process killed without `close()` stops getting messages this long after.
   * @default {15_000}
   */
  aliveMs?: number;
  /**
   * The clock of liveness and message deadlines, ms since the epoch (instances' clocks should
   * agree, as for sessions).
   * @default {Date.now}
   */
  now?: () => number;
  /** Reports a reader failure that is not an outage (outages are told once by the backend). */
  onError?: (error: unknown) => void;
}
