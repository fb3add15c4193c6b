/**
 * An {@linkcode EventLog} in Redis, so a stream logged by one instance can be
 * replayed by another. Each logical stream is a Redis stream
 * (`<prefix>ev:<session>:<stream>`) whose entry ids are `0-<seq>`, so a
 * replay is one `XRANGE` from an exclusive start; a small hash beside it
 * holds the next sequence number and the completion flag, and a sorted set
 * per session lists its streams (oldest dropped past `maxStreamsPerSession`,
 * everything dropped with the session). Appends are Lua scripts: the
 * sequence number and the entry are written together.
 *
 * Bounds, with the memory log's semantics: events per stream, streams per
 * session, bytes of event data per session (`maxBytesPerSession`: the
 * session's oldest events go, oldest streams first) and for the whole
 * deployment (`maxTotalBytes`: streams written least recently lose their
 * events first, finished streams whole before running ones; a running
 * stream records the last sequence number it lost, and a resume from
 * before it replays nothing rather than a gap). The appending script keeps
 * the byte totals (per session, and per stream in `<prefix>eg:sizes` so a
 * stream whose keys expired still gives its bytes back when the global
 * trim meets it) and trims exactly, so a write costs O(events dropped).
 * A TTL on every key is the safety net for sessions no instance ever
 * deletes. The totals count event data, not Redis's overhead per entry:
 * bound Redis itself with `maxmemory`.
 *
 * Live tailing (`waitAfter`): `complete` appends a terminal entry, so a
 * follower blocked in `XREAD BLOCK` wakes for every event and for the end.
 * The followers of one stream in this process share one read loop (one
 * blocking read or poll at a time, from the lowest follower's position, and
 * one state check per idle second), however many resumes follow it.
 * Blocking reads need connections of their own (`openConnection`, pooled up
 * to `maxTailConnections`; past that, or without `openConnection`, a
 * follower polls). Each log has an instance id and keeps a heartbeat key
 * (`<prefix>hb:<instance>`) alive while it has opened streams; a stream
 * records its writer and the request ids it answers, so a follower whose
 * writer's heartbeat lapsed (the process died) learns it within
 * `instanceTimeoutMs` and can answer those requests with an error.
 * @module
 */

import type { RequestId } from "../jsonrpc/messages.ts";
import {
  type AppendOptions,
  type EventLog,
  formatEventId,
  parseEventId,
  type Replay,
  type StoredEvent,
  type StreamInfo,
  type WaitOptions,
} from "../legacy/event_log.ts";
import { APPEND, COMPLETE, DELETE_SESSION, OPEN, STATE } from "./event_log_scripts.ts";
import type { LuaScript } from "./lua_script.ts";
import type { OpenRedisConnection, RedisCommands, RedisConnection } from "./redis_commands.ts";
import { unrefTimer } from "../runtime.ts";
import { entriesOf, streamEntriesOf, type StreamEntry } from "./stream_entries.ts";

/**
 * Options of {@linkcode RedisEventLog}.
 *
 * @example
 * ```ts
 * import type { RedisEventLogOptions } from "@tether/mcp/redis";
 * const options: RedisEventLogOptions = { prefix: "app:", maxEventsPerStream: 500, ttlSeconds: 3_600 };
 * ```
 */
export interface RedisEventLogOptions {
  /** Prefix of every key. Default `"tether:"`. */
  prefix?: string;
  /** Events kept per stream (oldest trimmed). Default 1,000. */
  maxEventsPerStream?: number;
  /** Streams kept per session (oldest dropped). Default 64. */
  maxStreamsPerSession?: number;
  /**
   * Bytes of event data kept per session (its oldest events dropped, oldest
   * streams first), as the memory log's `maxBytesPerSession`.
   * @default 1 MiB
   */
  maxBytesPerSession?: number;
  /**
   * Bytes of event data kept for all sessions of every instance on this
   * Redis and prefix. Past it, the streams written least recently lose
   * their events, finished streams (whole) first; a running stream that
   * loses events can no longer be resumed from before the loss. As the
   * memory log's `maxTotalBytes`.
   * @default 256 MiB
   */
  maxTotalBytes?: number;
  /** Seconds every key lives after its last write. Default 24 hours. */
  ttlSeconds?: number;
  /**
   * Opens a connection for blocking reads (live tailing). Without it a
   * follower polls every 50 ms. `createRedisBackend` passes one.
   */
  openConnection?: OpenRedisConnection;
  /** Blocking connections kept for followers; past it, followers poll. Default 32. */
  maxTailConnections?: number;
  /**
   * How long after this instance's last heartbeat its unfinished streams
   * count as lost, ms (heartbeats go every third of it). Default 6,000.
   */
  instanceTimeoutMs?: number;
}

/** Longest single blocking read: the writer's heartbeat is checked between reads. */
const MAX_BLOCK_MS = 1_000;
/** Interval of the polling fallback. */
const POLL_MS = 50;
/** Entries one read returns at most. */
const READ_COUNT = "1000";

/** One follower waiting in `waitAfter`: its position, and how its wait ends. */
interface Follower {
  readonly seq: number;
  /** When its wait ends with "still running" (`Date.now()` time). */
  readonly deadline: number;
  settle(reply: Replay | undefined | Error): void;
}

/** The followers of one stream in this process, and the position of their shared read. */
interface Tail {
  readonly streamId: string;
  readonly stream: string;
  readonly meta: string;
  readonly followers: Set<Follower>;
  /** Where the read in progress started (the lowest follower's sequence number then). */
  from: number;
}

/** The sequence number of entry id `0-<seq>`. */
function seqOf(id: string): number {
  return Number(id.slice(2));
}

/**
 * Resumable SSE streams in Redis, shared by every instance that uses the
 * same Redis and prefix.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { createMcpHandler } from "@tether/mcp";
 * import { RedisEventLog } from "@tether/mcp/redis";
 *
 * const redis = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", eventLog: new RedisEventLog(redis) });
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
  #openConnection: OpenRedisConnection | undefined;
  #maxTailConnections: number;
  #instanceTimeoutMs: number;
  /** This log's writer id, recorded on every stream it opens. */
  readonly #instance = randomId();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #beating: Promise<unknown> | undefined;
  /** Idle blocking connections, and every one opened (to close them). */
  #idle: RedisConnection[] = [];
  #connections = new Set<RedisConnection>();
  /** Connections being opened (they count against the cap). */
  #connecting = 0;
  /** Followers of each stream (by its key), sharing one read loop. */
  #tails = new Map<string, Tail>();
  #closed = false;

  /** A log on `redis` (a connected client). */
  constructor(redis: RedisCommands, options: RedisEventLogOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "tether:";
    this.#maxEvents = options.maxEventsPerStream ?? 1_000;
    this.#maxStreams = options.maxStreamsPerSession ?? 64;
    this.#maxBytes = options.maxBytesPerSession ?? 1024 * 1024;
    this.#maxTotalBytes = options.maxTotalBytes ?? 256 * 1024 * 1024;
    this.#ttl = options.ttlSeconds ?? 24 * 60 * 60;
    this.#openConnection = options.openConnection;
    this.#maxTailConnections = options.maxTailConnections ?? 32;
    this.#instanceTimeoutMs = options.instanceTimeoutMs ?? 6_000;
    for (
      const [name, value] of Object.entries({
        maxEventsPerStream: this.#maxEvents,
        maxStreamsPerSession: this.#maxStreams,
        maxBytesPerSession: this.#maxBytes,
        maxTotalBytes: this.#maxTotalBytes,
        ttlSeconds: this.#ttl,
        maxTailConnections: this.#maxTailConnections,
        instanceTimeoutMs: this.#instanceTimeoutMs,
      })
    ) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`RedisEventLog option ${name} must be a positive integer`);
      }
    }
  }

  #keys(sessionId: string, streamId: string): string[] {
    return [
      `${this.#prefix}es:${sessionId}`,
      `${this.#prefix}em:${sessionId}:${streamId}`,
      `${this.#prefix}ev:${sessionId}:${streamId}`,
    ];
  }

  /** The arguments every script but STATE starts with (see LIBRARY). */
  #args(sessionId: string, streamId: string): string[] {
    return [
      this.#prefix,
      String(this.#maxEvents),
      String(this.#maxStreams),
      String(this.#maxBytes),
      String(this.#maxTotalBytes),
      String(this.#ttl),
      sessionId,
      streamId,
    ];
  }

  #eval(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    return script.run(this.#redis, keys, args);
  }

  /**
   * Registers a stream (resumable from its priming id before its first
   * event), with this instance as its writer and the requests it answers.
   */
  async open(sessionId: string, streamId: string, info?: StreamInfo): Promise<void> {
    await this.#keepAlive();
    await this.#eval(OPEN, this.#keys(sessionId, streamId), [
      ...this.#args(sessionId, streamId),
      this.#instance,
      JSON.stringify(info?.requestIds ?? []),
    ]);
  }

  /** Starts the heartbeat with the first stream: its key exists before any stream names this writer. */
  #keepAlive(): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("RedisEventLog: closed"));
    if (this.#beating !== undefined) return this.#beating;
    const beat = () =>
      this.#redis.sendCommand([
        "SET",
        `${this.#prefix}hb:${this.#instance}`,
        "1",
        "PX",
        String(this.#instanceTimeoutMs),
      ]);
    this.#beating = beat().catch((error) => {
      this.#beating = undefined; // try again with the next stream
      throw error;
    });
    this.#heartbeat ??= setInterval(
      () => void beat().catch(() => {/* Redis is away: every request fails closed meanwhile */}),
      Math.max(1, Math.floor(this.#instanceTimeoutMs / 3)),
    );
    unrefTimer(this.#heartbeat);
    return this.#beating;
  }

  /** Appends an event and returns its id. */
  async append(sessionId: string, streamId: string, data: string): Promise<string> {
    const seq = await this.#eval(APPEND, this.#keys(sessionId, streamId), [
      ...this.#args(sessionId, streamId),
      "0",
      data,
    ]);
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
      await this.#eval(APPEND, this.#keys(sessionId, streamId), [
        ...this.#args(sessionId, streamId),
        complete ? "1" : "0",
        ...data,
      ]),
    );
    return data.map((_, i) => formatEventId(streamId, first + i));
  }

  /** Marks a stream as ended (followers wake and see the end). */
  async complete(sessionId: string, streamId: string): Promise<void> {
    await this.#eval(COMPLETE, this.#keys(sessionId, streamId), this.#args(sessionId, streamId));
  }

  /**
   * Events after `lastEventId` in its own stream; undefined for unknown,
   * malformed or future ids, and for ids from before events the global
   * budget evicted (a replay would skip them).
   */
  async replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return undefined;
    const [, meta, stream] = this.#keys(sessionId, parsed.streamId);
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
    const entries = await this.#redis.sendCommand(["XRANGE", stream, `(0-${parsed.seq}`, "+"]);
    const { events } = this.#eventsOf(parsed.streamId, entriesOf(entries));
    return { streamId: parsed.streamId, events, complete: fields[1] === "1" };
  }

  /** Stored events and whether the terminal entry was among them. */
  #eventsOf(streamId: string, entries: StreamEntry[]): { events: StoredEvent[]; ended: boolean } {
    const events: StoredEvent[] = [];
    let ended = false;
    for (const { id, fields } of entries) {
      if (fields.d === undefined) {
        ended ||= fields.e !== undefined;
        continue;
      }
      events.push({ id: formatEventId(streamId, Number(id.slice(2))), data: String(fields.d) });
    }
    return { events, ended };
  }

  /**
   * Live tailing: events after `lastEventId`, or a wait for the next one or
   * the end. Every follower of one stream in this process shares one read
   * loop ({@linkcode RedisEventLog.#follow}): one blocking read at a time
   * (or one poll), and between reads (at least every second) one check that
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
    const { streamId, seq } = parsed;
    const [, meta, stream] = this.#keys(sessionId, streamId);
    // The shared read in progress starts after this follower: what lies between is read for it alone.
    let tail = this.#tails.get(stream);
    while (tail !== undefined && seq < tail.from) {
      const from = tail.from;
      const between = entriesOf(
        await this.#redis.sendCommand(["XRANGE", stream, `(0-${seq}`, `0-${from}`]),
      );
      if (between.length > 0) {
        if (between[0].id !== `0-${seq + 1}` && await this.#lostAfter(meta, seq)) return undefined;
        const { events, ended } = this.#eventsOf(streamId, between);
        return { streamId, events, complete: ended };
      }
      tail = this.#tails.get(stream);
      if (tail?.from === from) break;
    }
    const running: Replay = { streamId, events: [], complete: false };
    const signal = options.signal;
    if (signal?.aborted) return running;
    return await new Promise<Replay | undefined>((resolve, reject) => {
      const settle = (reply: Replay | undefined | Error) => {
        signal?.removeEventListener("abort", stop);
        this.#tails.get(stream)?.followers.delete(follower);
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      };
      // The loop ends the wait at its deadline, after checking the stream (as one follower would).
      const follower: Follower = { seq, deadline: Date.now() + options.timeoutMs, settle };
      const stop = () => settle(running);
      signal?.addEventListener("abort", stop, { once: true });
      let shared = this.#tails.get(stream);
      if (shared === undefined) {
        shared = { streamId, stream, meta, followers: new Set([follower]), from: seq };
        this.#tails.set(stream, shared);
        void this.#follow(shared);
      } else {
        shared.followers.add(follower);
      }
    });
  }

  /**
   * The read loop of one stream's followers, while it has any: reads from
   * the lowest follower's position, hands each follower what follows its
   * own, and checks the stream's state when nothing came. A Redis failure
   * rejects every follower waiting (each asks again).
   */
  async #follow(tail: Tail): Promise<void> {
    const { streamId, stream, meta, followers } = tail;
    const settleAll = (reply: Replay | undefined | Error) => {
      for (const follower of [...followers]) follower.settle(reply);
    };
    /** Followers past their deadline get "still running, ask again". */
    const expire = () => {
      const now = Date.now();
      for (const follower of [...followers]) {
        if (follower.deadline <= now) follower.settle({ streamId, events: [], complete: false });
      }
    };
    try {
      while (followers.size > 0) {
        let from = Number.MAX_SAFE_INTEGER;
        let deadline = Number.MAX_SAFE_INTEGER;
        for (const follower of followers) {
          from = Math.min(from, follower.seq);
          deadline = Math.min(deadline, follower.deadline);
        }
        tail.from = from;
        const blockMs = Math.max(1, Math.min(MAX_BLOCK_MS, deadline - Date.now()));
        const entries = await this.#read(stream, from, blockMs, undefined);
        if (followers.size === 0) break;
        if (entries.length > 0) {
          await this.#hand(tail, entries);
          expire();
          continue;
        }
        const state = await this.#eval(STATE, [meta], [`${this.#prefix}hb:`]) as unknown[];
        if (Number(state[0]) !== 1) {
          settleAll(undefined);
          break;
        }
        if (Number(state[1]) === 1) {
          // Completed since the read: the terminal entry is there now, and so is every event.
          await this.#hand(
            tail,
            entriesOf(await this.#redis.sendCommand(["XRANGE", stream, `(0-${from}`, "+"])),
          );
          continue;
        }
        if (Number(state[2]) !== 1) {
          const requestIds = requestIdsOf(String(state[3]));
          settleAll({ streamId, events: [], complete: false, writerLost: { requestIds } });
          break;
        }
        const lost = Number(state[4] ?? 0);
        for (const follower of [...followers]) {
          if (follower.seq < lost) follower.settle(undefined);
        }
        expire();
      }
    } catch (error) {
      settleAll(error instanceof Error ? error : new Error(String(error)));
    } finally {
      if (this.#tails.get(stream) === tail && followers.size === 0) this.#tails.delete(stream);
      else if (this.#tails.get(stream) === tail) void this.#follow(tail); // joined while it ended
    }
  }

  /** Settles each follower that `entries` (read from the lowest position) have something for. */
  async #hand(tail: Tail, entries: StreamEntry[]): Promise<void> {
    let lost: boolean | undefined;
    for (const follower of [...tail.followers]) {
      const next = `0-${follower.seq + 1}`;
      const start = entries.findIndex((entry) => seqOf(entry.id) > follower.seq);
      if (start === -1) continue;
      const mine = entries.slice(start);
      // A gap after its position: a loss to the global budget means no resume from there.
      if (mine[0].id !== next) {
        lost = await this.#lostAfter(tail.meta, follower.seq);
        if (lost) {
          follower.settle(undefined);
          continue;
        }
      }
      const { events, ended } = this.#eventsOf(tail.streamId, mine);
      follower.settle({ streamId: tail.streamId, events, complete: ended });
    }
  }

  /** True when the global budget evicted events after `seq` (the stream's `lost` mark is past it). */
  async #lostAfter(meta: string, seq: number): Promise<boolean> {
    const lost = await this.#redis.sendCommand(["HGET", meta, "lost"]);
    return seq < Number(lost ?? 0);
  }

  /** Entries after `0-<seq>`: a blocking read on a pooled connection, or a short poll. */
  async #read(
    stream: string,
    seq: number,
    blockMs: number,
    signal: AbortSignal | undefined,
  ): Promise<StreamEntry[]> {
    const connection = await this.#borrow();
    if (connection === undefined) {
      await sleep(Math.min(POLL_MS, blockMs), signal);
      return entriesOf(
        await this.#redis.sendCommand(["XRANGE", stream, `(0-${seq}`, "+", "COUNT", READ_COUNT]),
      );
    }
    const read = connection.sendCommand([
      "XREAD",
      "COUNT",
      READ_COUNT,
      "BLOCK",
      String(blockMs),
      "STREAMS",
      stream,
      `0-${seq}`,
    ]).then(
      (reply) => {
        this.#release(connection);
        return streamEntriesOf(reply);
      },
      (error) => {
        this.#discard(connection);
        throw error;
      },
    );
    if (signal === undefined) return await read;
    // An abort returns at once; the read finishes within its block time and frees the connection.
    read.catch(() => {});
    return await Promise.race([read, sleep(blockMs + 1_000, signal).then(() => [])]);
  }

  /** An idle blocking connection, a new one under the cap, or undefined (poll). */
  async #borrow(): Promise<RedisConnection | undefined> {
    if (this.#openConnection === undefined || this.#closed) return undefined;
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#connections.size + this.#connecting >= this.#maxTailConnections) return undefined;
    this.#connecting++;
    let connection: RedisConnection;
    try {
      connection = await this.#openConnection();
    } finally {
      this.#connecting--;
    }
    this.#connections.add(connection);
    if (this.#closed) {
      this.#discard(connection);
      return undefined;
    }
    return connection;
  }

  #release(connection: RedisConnection): void {
    if (this.#closed) this.#discard(connection);
    else this.#idle.push(connection);
  }

  #discard(connection: RedisConnection): void {
    this.#connections.delete(connection);
    void connection.close().catch(() => {});
  }

  /**
   * Stops the heartbeat (this instance's unfinished streams then count as
   * lost for followers elsewhere) and closes the tailing connections.
   * Close the handler first: it finishes its streams.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const connections = [...this.#connections];
    this.#connections.clear();
    this.#idle = [];
    await Promise.all(connections.map((connection) => connection.close().catch(() => {})));
    if (this.#beating !== undefined) {
      await this.#redis.sendCommand(["DEL", `${this.#prefix}hb:${this.#instance}`]).catch(() => {});
    }
  }

  /** Forgets every stream of a session. */
  async deleteSession(sessionId: string): Promise<void> {
    await this.#eval(DELETE_SESSION, [`${this.#prefix}es:${sessionId}`], this.#args(sessionId, ""));
  }
}

/** The request ids a stream recorded when it opened (JSON), or none. */
function requestIdsOf(text: string): RequestId[] {
  try {
    const ids = JSON.parse(text) as unknown;
    return Array.isArray(ids)
      ? ids.filter((id): id is RequestId => typeof id === "string" || typeof id === "number")
      : [];
  } catch {
    return [];
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

function randomId(): string {
  let out = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(8))) {
    out += byte.toString(16).padStart(2, "0");
  }
  return out;
}
