/**
 * The options of the Redis bus (`RedisBus`): its key prefix and its bounds
 * per inbox (entries, bytes, largest message), how long a read blocks and
 * how long an instance counts as alive. Types only; the bus applies the
 * defaults and refuses a value out of range.
 * @module
 */

/**
 * Options of the Redis bus (`createRedisBackend`'s `bus`).
 *
 * @example
 * ```ts
 * import type { RedisBusOptions } from "@tether/mcp/redis";
 * const options: RedisBusOptions = { prefix: "app:", maxLength: 50_000 };
 * ```
 */
export interface RedisBusOptions {
  /**
   * Prefix of the bus's keys.
   * @default {"tether:"}
   */
  prefix?: string;
  /**
   * Entries each inbox keeps (oldest trimmed).
   * @default {10_000}
   */
  maxLength?: number;
  /**
   * Largest message published, UTF-8 bytes of its JSON; a larger one is
   * refused with {@linkcode BusMessageTooLargeError} (a client's reply that
   * large is answered `413`). At most `maxBytes`.
   * @default {1_048_576}
   */
  maxMessageBytes?: number;
  /**
   * Payload bytes each instance's inbox keeps (oldest entries trimmed first,
   * together with `maxLength`).
   * @default {67_108_864}
   */
  maxBytes?: number;
  /**
   * How long one `XREAD` blocks before it asks again, ms.
   * @default {5_000}
   */
  blockMs?: number;
  /**
   * How long an instance counts as alive after its last refresh (every third
   * of it), ms: a process killed without `close()` stops getting messages
   * this long after.
   * @default {15_000}
   */
  aliveMs?: number;
  /** Reports a reader failure (it retries on its own) or a listener that threw. */
  onError?: (error: unknown) => void;
}
