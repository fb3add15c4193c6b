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
 * Bounds: events per stream (`MAXLEN`), streams per session, and a TTL on
 * every key as a safety net for sessions no instance ever deletes; bound
 * Redis itself with `maxmemory`.
 *
 * Live tailing (`waitAfter`): `complete` appends a terminal entry, so a
 * follower blocked in `XREAD BLOCK` wakes for every event and for the end.
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
} from "../streams/event_log.ts";
import { LuaScript } from "./lua_script.ts";
import type { OpenRedisConnection, RedisCommands, RedisConnection } from "./redis_commands.ts";
import { unrefTimer } from "../streams/stream_hub.ts";
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

// KEYS[1] session streams zset, KEYS[2] stream meta hash, KEYS[3] stream; ARGV[1] stream id,
// ARGV[2] max streams, ARGV[3] ttl, ARGV[4] prefix .. 'ev:' .. session .. ':', ARGV[5] prefix .. 'em:' .. session .. ':'
const REGISTER = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then
  local order = redis.call('INCR', KEYS[1] .. ':order')
  redis.call('ZADD', KEYS[1], order, ARGV[1])
  redis.call('HSETNX', KEYS[2], 'next', 0)
  local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
  if extra > 0 then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, extra - 1)
    for _, id in ipairs(oldest) do
      redis.call('DEL', ARGV[4] .. id, ARGV[5] .. id)
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[1] .. ':order', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
`;

// KEYS and ARGV as REGISTER, plus ARGV[6] writer instance id, ARGV[7] request ids (JSON)
const OPEN = new LuaScript(
  REGISTER + `
redis.call('HSET', KEYS[2], 'w', ARGV[6], 'r', ARGV[7])
return 1`,
);

// KEYS and ARGV as REGISTER, plus ARGV[6] data, ARGV[7] max events. A stream opened already
// (the usual case) costs three commands; TTLs are renewed every 256 events and on completion.
const APPEND = new LuaScript(
  `
if redis.call('EXISTS', KEYS[2]) == 0 then
` + REGISTER + `
end
local seq = redis.call('HINCRBY', KEYS[2], 'next', 1)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '0-' .. seq, 'd', ARGV[6])
if seq % 256 == 1 then
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[1] .. ':order', ARGV[3])
end
return seq`,
);

// KEYS and ARGV[1..5] as REGISTER, ARGV[6] '1' to complete the stream after the events, ARGV[7] max
// events, ARGV[8..] the events' data. Returns the first sequence number; the others follow it.
const APPEND_MANY = new LuaScript(
  `
if redis.call('EXISTS', KEYS[2]) == 0 then
` + REGISTER + `
end
local count = #ARGV - 7
local first = redis.call('HINCRBY', KEYS[2], 'next', count) - count + 1
for i = 1, count do
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '0-' .. (first + i - 1), 'd', ARGV[7 + i])
end
local last = first + count - 1
if ARGV[6] == '1' and redis.call('HGET', KEYS[2], 'complete') ~= '1' then
  redis.call('HSET', KEYS[2], 'complete', 1)
  last = redis.call('HINCRBY', KEYS[2], 'next', 1)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '0-' .. last, 'e', 1)
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
elseif first == 1 or math.floor((first - 1) / 256) < math.floor(last / 256) then
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[1] .. ':order', ARGV[3])
end
return first`,
);

// KEYS[1] meta hash, KEYS[2] stream; ARGV[1] max events, ARGV[2] ttl. The terminal entry wakes followers.
const COMPLETE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HGET', KEYS[1], 'complete') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'complete', 1)
local seq = redis.call('HINCRBY', KEYS[1], 'next', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '0-' .. seq, 'e', 1)
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`);

// KEYS[1] meta hash; ARGV[1] prefix .. 'hb:'. {exists, complete, writer alive, request ids}
const STATE = new LuaScript(`
local f = redis.call('HMGET', KEYS[1], 'next', 'complete', 'w', 'r')
if not f[1] then return {0, 0, 0, ''} end
if f[2] == '1' then return {1, 1, 1, ''} end
if not f[3] or f[3] == '' or redis.call('EXISTS', ARGV[1] .. f[3]) == 1 then return {1, 0, 1, ''} end
return {1, 0, 0, f[4] or ''}`);

// KEYS[1] session streams zset; ARGV[1] prefix .. 'ev:' .. session .. ':', ARGV[2] prefix .. 'em:' .. session .. ':'
const DELETE_SESSION = new LuaScript(`
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id, ARGV[2] .. id) end
redis.call('DEL', KEYS[1], KEYS[1] .. ':order')
return #ids`);

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
  #closed = false;

  /** A log on `redis` (a connected client). */
  constructor(redis: RedisCommands, options: RedisEventLogOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "tether:";
    this.#maxEvents = options.maxEventsPerStream ?? 1_000;
    this.#maxStreams = options.maxStreamsPerSession ?? 64;
    this.#ttl = options.ttlSeconds ?? 24 * 60 * 60;
    this.#openConnection = options.openConnection;
    this.#maxTailConnections = options.maxTailConnections ?? 32;
    this.#instanceTimeoutMs = options.instanceTimeoutMs ?? 6_000;
    for (
      const [name, value] of Object.entries({
        maxEventsPerStream: this.#maxEvents,
        maxStreamsPerSession: this.#maxStreams,
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

  #args(sessionId: string, streamId: string): string[] {
    return [
      streamId,
      String(this.#maxStreams),
      String(this.#ttl),
      `${this.#prefix}ev:${sessionId}:`,
      `${this.#prefix}em:${sessionId}:`,
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
      data,
      String(this.#maxEvents),
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
      await this.#eval(APPEND_MANY, this.#keys(sessionId, streamId), [
        ...this.#args(sessionId, streamId),
        complete ? "1" : "0",
        String(this.#maxEvents),
        ...data,
      ]),
    );
    return data.map((_, i) => formatEventId(streamId, first + i));
  }

  /** Marks a stream as ended (followers wake and see the end). */
  async complete(sessionId: string, streamId: string): Promise<void> {
    const [, meta, stream] = this.#keys(sessionId, streamId);
    await this.#eval(COMPLETE, [meta, stream], [String(this.#maxEvents), String(this.#ttl)]);
  }

  /** Events after `lastEventId` in its own stream; undefined for unknown, malformed or future ids. */
  async replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return undefined;
    const [, meta, stream] = this.#keys(sessionId, parsed.streamId);
    const fields = await this.#redis.sendCommand([
      "HMGET",
      meta,
      "next",
      "complete",
    ]) as (string | null)[];
    const next = fields?.[0];
    if (next === null || next === undefined || parsed.seq > Number(next)) return undefined;
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
   * Live tailing: events after `lastEventId`, or a blocking read until the
   * next one or the end. Between reads (at least every second) it checks
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
    const signal = options.signal;
    const deadline = Date.now() + options.timeoutMs;
    const running: Replay = { streamId, events: [], complete: false };
    for (;;) {
      const blockMs = Math.max(1, Math.min(MAX_BLOCK_MS, deadline - Date.now()));
      const entries = await this.#read(stream, seq, blockMs, signal);
      if (entries.length > 0) {
        const { events, ended } = this.#eventsOf(streamId, entries);
        return { streamId, events, complete: ended };
      }
      if (signal?.aborted) return running;
      const state = await this.#eval(STATE, [meta], [`${this.#prefix}hb:`]) as unknown[];
      if (Number(state[0]) !== 1) return undefined;
      // Completed since the read: the terminal entry is there now, and so is every event.
      if (Number(state[1]) === 1) return await this.replayAfter(sessionId, lastEventId);
      if (Number(state[2]) !== 1) {
        return { ...running, writerLost: { requestIds: requestIdsOf(String(state[3])) } };
      }
      if (Date.now() >= deadline) return running;
    }
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
    const prefix = this.#prefix;
    await this.#eval(
      DELETE_SESSION,
      [`${prefix}es:${sessionId}`],
      [`${prefix}ev:${sessionId}:`, `${prefix}em:${sessionId}:`],
    );
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
