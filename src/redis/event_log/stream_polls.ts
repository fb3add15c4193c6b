/**
 * The poll of the followed streams no blocking read takes (a Cluster
 * master's slots past its reads, or every stream of a log without an
 * opener): every {@linkcode POLL_MS} while they bring entries, backing off
 * to {@linkcode IDLE_POLL_MS} while idle, one non-blocking `XREAD` per group
 * (one slot on a Cluster, any streams on one server) through the log's
 * client, so a polled stream costs its share of one command per poll.
 * Internal to the Redis backends.
 *
 * It does not place streams in groups (shared_reads.ts does) nor settle
 * followers (event_log_tails.ts does, on what it is handed).
 * @module
 */

import type { RedisCommands } from "../connection/redis_commands.ts";
import { type StreamEntry, streamsOf } from "../connection/stream_entries.ts";

/** One followed stream, as the shared reads see it. */
export interface SharedStream {
  /** Its key. */
  readonly stream: string;
  /** Where its next read starts: entries after `0-<position>`. */
  position(): number;
  /** What a read brought after its position; resolves once handed on. */
  deliver(entries: StreamEntry[]): Promise<void>;
  /** Its read failed: it has left the shared reads. */
  fail(error: Error): void;
}

/** Interval of the poll while it brings entries, ms. */
export const POLL_MS = 100;
/** Its interval once idle: doubled after each poll that brought nothing, up to this, ms. */
export const IDLE_POLL_MS = 400;
/** Entries one read returns at most per stream. */
const READ_COUNT = "1000";

/**
 * `XREAD` of `streams` from their positions, blocking `blockMs` when given.
 *
 * @example
 * ```ts ignore (internal: needs the streams of a log)
 * await connection.sendCommand(xreadOf(streams, 1_000));
 * ```
 */
export function xreadOf(streams: readonly SharedStream[], blockMs?: number): string[] {
  return [
    "XREAD",
    "COUNT",
    READ_COUNT,
    ...(blockMs === undefined ? [] : ["BLOCK", String(blockMs)]),
    "STREAMS",
    ...streams.map((stream) => stream.stream),
    ...streams.map((stream) => `0-${stream.position()}`),
  ];
}

/** A place's polled streams, by group, and whether its poll runs. */
export interface PolledGroups {
  /** Streams past the blocking reads, by group (a slot, or one group). */
  readonly polled: Map<string, Set<SharedStream>>;
  polling: boolean;
}

/** What one poll hands its reads to. */
export interface PollHooks {
  /** True once the reads closed. */
  closed(): boolean;
  /** Hands each of `streams` still in `current` what the read brought for it. */
  hand(
    streams: SharedStream[],
    read: Map<string, StreamEntry[]>,
    current: Set<SharedStream>,
  ): Promise<void>;
  /** A group's read failed. */
  failed(group: Set<SharedStream>, error: unknown): void;
  /** The poll stopped: no group left. */
  done(): void;
}

/**
 * Polls `place`'s groups through `redis` while it has any (one poll per
 * place: a second call returns at once).
 *
 * @example
 * ```ts ignore (internal: needs a place of the shared reads)
 * void pollGroups(place, redis, hooks);
 * ```
 */
export async function pollGroups(
  place: PolledGroups,
  redis: RedisCommands,
  hooks: PollHooks,
): Promise<void> {
  if (place.polling) return;
  place.polling = true;
  let interval = POLL_MS;
  try {
    while (!hooks.closed()) {
      for (const [group, streams] of place.polled) {
        if (streams.size === 0) place.polled.delete(group);
      }
      if (place.polled.size === 0) break;
      await new Promise((resolve) => setTimeout(resolve, interval));
      let brought = false;
      await Promise.all([...place.polled.values()].map(async (group) => {
        const streams = [...group];
        if (streams.length === 0) return;
        try {
          const read = streamsOf(await redis.sendCommand(xreadOf(streams)));
          brought ||= read.size > 0;
          await hooks.hand(streams, read, group);
        } catch (error) {
          hooks.failed(group, error);
        }
      }));
      interval = brought ? POLL_MS : Math.min(IDLE_POLL_MS, interval * 2);
    }
  } finally {
    place.polling = false;
    hooks.done();
  }
}
