/**
 * An {@linkcode EventLog} in Redis, so a stream logged by one instance can be
 * replayed by another, on one node, under Sentinel or on a Redis Cluster.
 * Each logical stream is a Redis stream (`<prefix>ev:{<session>}:<stream>`)
 * whose entry ids are `0-<seq>`, so a replay is one `XRANGE` from an
 * exclusive start; a small hash beside it holds the next sequence number
 * and the completion flag, and a sorted set per session lists its streams
 * (oldest dropped past `maxStreamsPerSession`, everything dropped with the
 * session). Every key of a session carries its id as hash tag: one slot.
 * Appends are Lua scripts on that slot: the sequence number, the entry and
 * the session's byte totals are written together.
 *
 * Bounds, with the memory log's semantics: events per stream, streams per
 * session and bytes of event data per session (`maxBytesPerSession`: a
 * stream over it alone sheds its own oldest events first, then the session's
 * oldest events go, oldest streams first) exactly, in the writing
 * script. Bytes for the whole deployment (`maxTotalBytes`) are kept per
 * budget book (`budgetBooks`: 1 to 16 by `maxTotalBytes`, one on one node
 * under `createRedisBackend`), each session in one by a hash of its id,
 * each holding `maxTotalBytes / books` (`<prefix>eg:{<k>}:*`, one slot
 * each). This instance books its writes' byte changes in batches
 * (`budgetBatchBytes`, event_log_budget.ts: the write that fills one books
 * them all, a timer the rest within `budgetBatchMs`, `close()` what is left), so
 * a write is one script on its session's slot; with `budgetBatchBytes` 0
 * each write books its own (one more script, or on one node the same one).
 * Past its share, the book's streams written least recently lose their events first,
 * finished streams whole before running ones (each evicted by a script on
 * its own session), the stream being written last; a running stream
 * records the last sequence number it lost, and a resume from before it
 * replays nothing rather than a gap. The bound: the data held exceeds
 * `maxTotalBytes` by at most instances × `budgetBatchBytes` (plus the
 * writes in flight; exact in one book with batches off), and a book may
 * evict while others have room. A finished stream's keys live
 * `finishedTtlSeconds` from its end (retention by time). `flushWindowMs` is
 * not applied here: a stream that writes here reads it and waits out the
 * window between its appends (`waitToFlush` in src/legacy/streams/send_batch.ts,
 * called by `LogicalStream` in src/legacy/streams/logical_stream.ts): one
 * append per window.
 * Every key has a TTL, the safety net for sessions no instance deletes: a
 * session's keys get its record's TTL (`<prefix>s:{<session>}`, the deadline
 * plus the store's grace) when that is shorter than `ttlSeconds`, and the
 * session store's read-and-touch moves them on with the session's, so when
 * every instance dies nothing of the log outlives its session; a budget book
 * lives as long as the last stream written to it (an eighth longer at most,
 * and at most a minute: its keys are renewed once per that slack).
 * The totals count event data, not Redis's overhead per entry: bound Redis
 * itself with `maxmemory`.
 *
 * Live tailing (`waitAfter`, event_log_tails.ts): `complete` appends a
 * terminal entry, so a follower blocked in `XREAD BLOCK` wakes for every
 * event and for the end. The followers of one stream in this process share
 * one tail (read from the lowest follower's position, and one state check
 * per idle second), however many resumes follow it; the tails share the
 * blocking reads (shared_reads.ts: one `XREAD` over many streams, at most
 * `maxTailConnections` per server or Cluster master, opened with
 * `openConnection`, closed after `tailIdleMs` without streams; past them,
 * or without `openConnection`, streams share a poll). Each log has an instance id and keeps a heartbeat key
 * (`<prefix>hb:<instance>`) alive while it has opened streams; a stream
 * records its writer and the request ids it answers, so a follower whose
 * writer's heartbeat lapsed (the process died) learns it within
 * `instanceTimeoutMs` and can answer those requests with an error.
 * @module
 */

import { REDIS_DEFAULTS } from "../redis_defaults.ts";
import { toHex } from "../../hex.ts";
import {
  type AppendOptions,
  type EventLog,
  formatEventId,
  parseEventId,
  type Replay,
  type StreamInfo,
  type WaitOptions,
} from "../../storage/event_log/event_log.ts";
import { APPEND, COMPLETE, DELETE_SESSION, EVICT, OPEN } from "./event_log_scripts.ts";
import { EventLogBudget } from "./event_log_budget.ts";
import type { LuaScript } from "../connection/lua_script.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import { entriesOf } from "../connection/stream_entries.ts";
import { eventLogKeysOf } from "../sessions/session_keys.ts";
import { EventLogTails, replayOf } from "./event_log_tails.ts";
import { SharedReads } from "./shared_reads.ts";
import type { RedisEventLogOptions } from "./event_log_options.ts";
import { WriterHeartbeat } from "../../storage/event_log/writer_heartbeat.ts";

export type { RedisEventLogOptions } from "./event_log_options.ts";

const DEFAULT = REDIS_DEFAULTS.RedisEventLogOptions;

/**
 * Resumable SSE streams in Redis, shared by every instance that uses the
 * same Redis and prefix. Internal: `createRedisBackend` makes it (its `eventLog`).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { createMcpHandler } from "@tether/mcp";
 * import { RedisEventLog } from "./redis_event_log.ts";
 *
 * const redis = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", streams: { eventLog: new RedisEventLog(redis) } });
 * ```
 */
export class RedisEventLog implements EventLog {
  #redis: RedisCommands;
  #prefix: string;
  #maxEvents: number;
  #maxStreams: number;
  #maxBytes: number;
  #maxTotalBytes: number;
  #ttl: number;
  #finishedTtl: number;
  /** The deployment's byte budget, in books. */
  #budget: EventLogBudget;
  #instanceTimeoutMs: number;
  /** This log's writer id, recorded on every stream it opens. */
  readonly #instance = randomId();
  readonly #heartbeat: WriterHeartbeat;
  /** The blocking reads the followed streams share. */
  #reads: SharedReads;
  /** The followers of this log's streams in this process. */
  #tails: EventLogTails;
  #closed = false;
  /** How long a stream's next events wait after an append to go in one append, ms (logical_stream.ts). */
  readonly flushWindowMs: number;
  #busInstance: (() => string | undefined) | undefined;

  /** A log on `redis` (a connected client). */
  constructor(redis: RedisCommands, options: RedisEventLogOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? DEFAULT.prefix;
    this.#maxEvents = options.maxEventsPerStream ?? DEFAULT.maxEventsPerStream;
    this.#maxStreams = options.maxStreamsPerSession ?? DEFAULT.maxStreamsPerSession;
    this.#maxBytes = options.maxBytesPerSession ?? DEFAULT.maxBytesPerSession;
    this.#maxTotalBytes = options.maxTotalBytes ?? DEFAULT.maxTotalBytes;
    this.#ttl = options.ttlSeconds ?? DEFAULT.ttlSeconds;
    this.#finishedTtl = Math.min(options.finishedTtlSeconds ?? this.#ttl, this.#ttl);
    this.flushWindowMs = options.flushWindowMs ?? DEFAULT.flushWindowMs;
    const batchMs = options.budgetBatchMs ?? DEFAULT.budgetBatchMs;
    const batchBytes = options.budgetBatchBytes ??
      Math.min(64 * 1024, Math.floor(this.#maxTotalBytes / 256));
    const maxTailConnections = options.maxTailConnections ?? DEFAULT.maxTailConnections;
    const tailIdleMs = options.tailIdleMs ?? DEFAULT.tailIdleMs;
    this.#instanceTimeoutMs = options.instanceTimeoutMs ?? DEFAULT.instanceTimeoutMs;
    this.#heartbeat = new WriterHeartbeat(
      () =>
        this.#redis.sendCommand([
          "SET",
          `${this.#prefix}hb:${this.#instance}`,
          "1",
          "PX",
          String(this.#instanceTimeoutMs),
        ]),
      this.#instanceTimeoutMs,
    );
    this.#busInstance = options.busInstance;
    for (
      const [name, value] of Object.entries({
        maxEventsPerStream: this.#maxEvents,
        maxStreamsPerSession: this.#maxStreams,
        maxBytesPerSession: this.#maxBytes,
        maxTotalBytes: this.#maxTotalBytes,
        ...(options.budgetBooks === undefined ? {} : { budgetBooks: options.budgetBooks }),
        ttlSeconds: this.#ttl,
        budgetBatchMs: batchMs,
        ...(options.finishedTtlSeconds === undefined
          ? {}
          : { finishedTtlSeconds: options.finishedTtlSeconds }),
        maxTailConnections,
        tailIdleMs,
        instanceTimeoutMs: this.#instanceTimeoutMs,
      })
    ) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`RedisEventLog option ${name} must be a positive integer`);
      }
    }
    for (
      const [name, value] of Object.entries({
        budgetBatchBytes: batchBytes,
        flushWindowMs: this.flushWindowMs,
      })
    ) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(`RedisEventLog option ${name} must be a non-negative integer`);
      }
    }
    this.#budget = new EventLogBudget({
      redis,
      prefix: this.#prefix,
      maxTotalBytes: this.#maxTotalBytes,
      books: options.budgetBooks,
      singleNode: options.singleNode,
      ttlSeconds: this.#ttl,
      finishedTtlSeconds: this.#finishedTtl,
      batchBytes,
      batchMs,
      evict: (sessionId, streamId, mode, want) =>
        EVICT.run(this.#redis, this.#keys(sessionId, streamId), [
          ...this.#args(streamId),
          mode,
          want,
        ]) as Promise<unknown[]>,
    });
    this.#reads = new SharedReads({
      redis,
      open: options.openConnection,
      placeOf: options.placeOf,
      anySlot: options.placeOf === undefined,
      maxReads: maxTailConnections,
      idleMs: tailIdleMs,
    });
    this.#tails = new EventLogTails({ redis, prefix: this.#prefix, reads: this.#reads });
  }

  /** A session script's keys (one hash tag: the session): see event_log_scripts.ts. */
  #keys(sessionId: string, streamId: string): string[] {
    return eventLogKeysOf(this.#prefix, sessionId, streamId);
  }

  /** The arguments every session script starts with (see LIBRARY). */
  #args(streamId: string): string[] {
    return [
      String(this.#maxEvents),
      String(this.#maxStreams),
      String(this.#maxBytes),
      String(this.#ttl),
      streamId,
      String(this.#finishedTtl),
    ];
  }

  /**
   * Runs a session script and books what it changed in the deployment's
   * budget (event_log_budget.ts); the script's result.
   */
  async #run(script: LuaScript, sessionId: string, streamId: string, args: string[]) {
    const keys = this.#keys(sessionId, streamId);
    const all = [...this.#args(streamId), ...args];
    return await this.#budget.write(script, keys, all, sessionId, streamId);
  }

  /**
   * Registers a stream (resumable from its priming id before its first
   * event), with this instance as its writer and the requests it answers.
   */
  async open(sessionId: string, streamId: string, info?: StreamInfo): Promise<void> {
    await this.#keepAlive();
    // `<log>@<bus>` while the bus is live: followers check both liveness keys (event_log_tails.ts).
    const bus = this.#busInstance?.();
    await this.#run(OPEN, sessionId, streamId, [
      bus === undefined ? this.#instance : `${this.#instance}@${bus}`,
      JSON.stringify(info?.requestIds ?? []),
    ]);
  }

  /** Starts the heartbeat with the first stream: its key exists before any stream names this writer. */
  #keepAlive(): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("RedisEventLog: closed"));
    return this.#heartbeat.start();
  }

  /** Appends an event and returns its id. */
  async append(sessionId: string, streamId: string, data: string): Promise<string> {
    const seq = await this.#run(APPEND, sessionId, streamId, ["0", data]);
    return formatEventId(streamId, Number(seq));
  }

  /** Appends several events in order, in one script (one round trip); returns their ids. */
  async appendMany(
    sessionId: string,
    streamId: string,
    data: readonly string[],
    options?: AppendOptions,
  ): Promise<string[]> {
    const complete = options?.complete === true;
    if (data.length === 0 && !complete) return [];
    const first = Number(
      await this.#run(APPEND, sessionId, streamId, [complete ? "1" : "0", ...data]),
    );
    return data.map((_, i) => formatEventId(streamId, first + i));
  }

  /** Marks a stream as ended (followers wake and see the end). */
  async complete(sessionId: string, streamId: string): Promise<void> {
    await this.#run(COMPLETE, sessionId, streamId, []);
  }

  /**
   * Events after `lastEventId` in its own stream; undefined for unknown,
   * malformed or future ids, and for ids from before events the global
   * budget evicted (a replay would skip them).
   */
  async replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return undefined;
    const [, , , , meta, stream] = this.#keys(sessionId, parsed.streamId);
    const fields = await this.#redis.sendCommand([
      "HMGET",
      meta,
      "next",
      "complete",
      "lost",
    ]) as (string | null)[];
    const next = fields?.[0];
    if (next === null || next === undefined || parsed.seq > Number(next)) return undefined;
    if (parsed.seq < Number(fields[2] ?? 0)) return undefined;
    const entries = entriesOf(
      await this.#redis.sendCommand(["XRANGE", stream, `(0-${parsed.seq}`, "+"]),
    );
    return replayOf(parsed.streamId, parsed.seq, entries, Number(next), fields[1] === "1");
  }

  /**
   * Live tailing: events after `lastEventId`, or a wait for the next one or
   * the end. Every follower of one stream in this process shares one tail
   * (event_log_tails.ts), read by the blocking reads every followed stream
   * shares, and (at most once per idle second) one check that
   * the stream still exists and its writer's heartbeat: when the writer is
   * gone, the reply says `writerLost` with the requests it was answering.
   */
  async waitAfter(
    sessionId: string,
    lastEventId: string,
    options: WaitOptions,
  ): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return undefined;
    const [, , , , meta, stream] = this.#keys(sessionId, parsed.streamId);
    return await this.#tails.wait(parsed.streamId, parsed.seq, meta, stream, options);
  }

  /**
   * Stops the heartbeat (this instance's unfinished streams then count as
   * lost for followers elsewhere) and closes the tailing connections.
   * Close the handler first: it finishes its streams.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // What this instance has not booked yet goes to the books before it leaves.
    await this.#budget.close().catch(() => {});
    this.#heartbeat.stop();
    this.#tails.close();
    await this.#reads.close();
    if (this.#heartbeat.started) {
      await this.#redis.sendCommand(["DEL", `${this.#prefix}hb:${this.#instance}`]).catch(() => {});
    }
  }

  /** Forgets every stream of a session. */
  async deleteSession(sessionId: string): Promise<void> {
    await this.#run(DELETE_SESSION, sessionId, "", []);
  }
}

function randomId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(8)));
}
