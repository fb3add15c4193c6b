/**
 * The options of the Redis event log (`RedisEventLog`): its key prefix, its
 * bounds per stream, per session and in all, how long its keys live, and how
 * followers tail. Types only; the log applies the defaults (redis_defaults.ts)
 * and refuses a value out of range.
 * @module
 */

import type { OpenRedisConnection } from "../connection/redis_commands.ts";

/**
 * Options of the Redis event log (`createRedisBackend`'s `eventLog`).
 *
 * @example
 * ```ts
 * import type { RedisEventLogOptions } from "@tether/mcp/redis";
 * const options: RedisEventLogOptions = { prefix: "app:", maxEventsPerStream: 500, ttlSeconds: 3_600 };
 * ```
 */
export interface RedisEventLogOptions {
  /**
   * Prefix of every key.
   * @default {"tether:"}
   */
  prefix?: string;
  /**
   * Events kept per stream (oldest trimmed).
   * @default {1_000}
   */
  maxEventsPerStream?: number;
  /**
   * Streams kept per session (oldest dropped).
   * @default {64}
   */
  maxStreamsPerSession?: number;
  /**
   * Bytes of event data kept per session (a stream over it alone sheds its
   * own oldest events first, then the session's oldest go, oldest streams
   * first), as the memory log's `maxBytesPerSession`.
   * @default {1_048_576}
   */
  maxBytesPerSession?: number;
  /**
   * Bytes of event data kept for all sessions of every instance on this
   * Redis and prefix. Past it, the streams written least recently lose
   * their events, finished streams (whole) first; a running stream that
   * loses events can no longer be resumed from before the loss. As the
   * memory log's `maxTotalBytes`.
   * @default {268_435_456}
   */
  maxTotalBytes?: number;
  /**
   * Bytes this instance writes before it books them in the budget books
   * (one script per book with changes, also after `budgetBatchMs` and on
   * `close()`): the books are off the write path, and the data held may
   * exceed `maxTotalBytes` by what is not booked yet, at most instances ×
   * `budgetBatchBytes`. 0 books every write before it resolves (exact in
   * one book, one more script per write on a Cluster).
   * @default min(64 KiB, floor(maxTotalBytes / 256))
   */
  budgetBatchBytes?: number;
  /**
   * How long, ms, this instance's writes may wait unbooked before a timer
   * books them (when no write filled a batch): how far the books lag
   * behind the streams.
   * @default {1_000}
   */
  budgetBatchMs?: number;
  /**
   * Budget books `maxTotalBytes` is kept in, each on its own slot (spread
   * over a Cluster's masters), each session's bytes in one; every instance
   * on the prefix must use the same number. One book keeps the budget
   * exact. `createRedisBackend` passes 1 on one node and under Sentinel
   * (one master holds every book).
   * @default floor(maxTotalBytes / 16 MiB), 1 to 16
   */
  budgetBooks?: number;
  /**
   * Every key is on one node (one node, Sentinel; never a Cluster): a write books its bytes in
   * its own script (one round trip, not two). `createRedisBackend` passes true off a Cluster.
   */
  singleNode?: boolean;
  /**
   * Seconds a stream's keys live after its last write. A stream of a
   * session whose record a `RedisSessionStore` keeps on the same prefix
   * lives as long as the session's keys instead (its deadline plus
   * `expiryGraceMs`; a write gives the shorter of the two, and each touch of
   * the session moves them on with the session's), so nothing of the log
   * outlives its session when every instance dies.
   * @default {86_400}
   */
  ttlSeconds?: number;
  /**
   * Seconds a finished stream stays resumable: its keys' TTL from its end
   * (never more than `ttlSeconds` or its session's). Retention by time, beside
   * the byte bounds.
   * @default ttlSeconds
   */
  finishedTtlSeconds?: number;
  /**
   * The flush window of a stream's events, ms: after an append, the
   * stream's next events wait at most this long and go in one append (each
   * keeps its own id, in order); a response or the stream's end goes at
   * once, with whatever waits. Bounds the added latency of a progress
   * notification. 0 appends what arrives in each task (or while an append
   * is in flight) at once.
   * @default {50}
   */
  flushWindowMs?: number;
  /**
   * Opens a connection for blocking reads (live tailing), to the place
   * `placeOf` names. Without it the followed streams share a poll every
   * 100 ms (400 ms while idle). `createRedisBackend` passes one.
   */
  openConnection?: OpenRedisConnection;
  /**
   * On a Redis Cluster: the master (`host:port`) owning a stream key's slot;
   * the streams of one master share its blocking reads, one slot per read
   * (Redis refuses an `XREAD` over keys of several slots), and each read's
   * connection is opened to that master. Without it every stream is on one
   * server and any of them share a read (on a Cluster, a read refused with
   * `CROSSSLOT` makes the log read one slot per read). `createRedisBackend`
   * passes it on a Cluster.
   */
  placeOf?: (key: string) => string;
  /**
   * Blocking reads (connections) per server or Cluster master that the
   * followed streams share, each one `XREAD` over many streams (on a
   * Cluster, one slot's); past them the streams share a poll every 100 ms (400 ms while idle).
   * @default {3}
   */
  maxTailConnections?: number;
  /**
   * How long a blocking read's connection (and the control connection that
   * interrupts it) stays open without streams to read, ms.
   * @default {30_000}
   */
  tailIdleMs?: number;
  /**
   * How long after this instance's last heartbeat its unfinished streams
   * count as lost, ms (heartbeats go every third of it).
   * @default {6_000}
   */
  instanceTimeoutMs?: number;
  /**
   * This process's bus instance id while its bus is live (`RedisBus`'s
   * `liveId()`, on the same Redis and prefix;
   * `createRedisBackend` passes its bus's). Recorded with each stream this
   * log opens, so a follower elsewhere also checks the writer's bus
   * liveness key (`bus.aliveMs`) and ends as soon as it is gone (a
   * `close()`, or a process killed, within `aliveMs`), not only when
   * `instanceTimeoutMs` lapses.
   */
  busInstance?: () => string | undefined;
}
