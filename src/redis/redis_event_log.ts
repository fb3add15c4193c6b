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

// Every script but STATE starts with LIBRARY: ARGV[1] prefix, ARGV[2] max events per stream,
// ARGV[3] max streams per session, ARGV[4] max bytes per session, ARGV[5] max total bytes,
// ARGV[6] ttl, ARGV[7] session id, ARGV[8] stream id; a script's own arguments follow.
//
// Keys of a stream: <p>em:<s>:<st> (hash: next, complete, c = events held, lost = the last
// sequence number lost to the global budget, w/r = writer and request ids), <p>ev:<s>:<st>
// (entries 0-<seq>, 'd' = data or 'e' = the end). Of a session: <p>es:<s> (its streams by
// creation), <p>es:<s>:order, <p>es:<s>:bytes. Of the deployment: <p>eg:bytes (data bytes held),
// <p>eg:sizes (hash '<s> <st>' -> its bytes, so a stream whose keys expired still gives its
// bytes back), <p>eg:f and <p>eg:r (finished and running streams by last write, scored by
// <p>eg:clock, microseconds of Redis's clock). Session ids are visible ASCII (no space), so
// '<s> <st>' splits at its first space.
const LIBRARY = `
local P = ARGV[1]
local MAX_EVENTS, MAX_STREAMS = tonumber(ARGV[2]), tonumber(ARGV[3])
local MAX_SESSION, MAX_TOTAL, TTL = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local TOTAL, SIZES, FINISHED, RUNNING, CLOCK = P .. 'eg:bytes', P .. 'eg:sizes', P .. 'eg:f', P .. 'eg:r', P .. 'eg:clock'

local function keys(s, st)
  return P .. 'es:' .. s, P .. 'em:' .. s .. ':' .. st, P .. 'ev:' .. s .. ':' .. st
end

-- A score for "written now": Redis's clock in microseconds, strictly increasing (ties are one
-- microsecond apart), so the orders are by last write and a member older than the TTL is gone.
local function stamp()
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
  local last = tonumber(redis.call('GET', CLOCK) or '0')
  if now <= last then now = last + 1 end
  redis.call('SET', CLOCK, now)
  return now
end

-- Adds delta bytes to the stream's, its session's and the deployment's totals.
local function account(s, st, delta)
  if delta == 0 then return end
  local member = s .. ' ' .. st
  if redis.call('HINCRBY', SIZES, member, delta) <= 0 then redis.call('HDEL', SIZES, member) end
  redis.call('INCRBY', TOTAL, delta)
  local session = P .. 'es:' .. s .. ':bytes'
  if delta > 0 or redis.call('EXISTS', session) == 1 then redis.call('INCRBY', session, delta) end
end

-- Forgets a whole stream and gives its bytes back.
local function forget(s, st)
  local zset, meta, events = keys(s, st)
  local member = s .. ' ' .. st
  local bytes = tonumber(redis.call('HGET', SIZES, member) or '0')
  redis.call('DEL', meta, events)
  redis.call('ZREM', zset, st)
  redis.call('ZREM', FINISHED, member)
  redis.call('ZREM', RUNNING, member)
  account(s, st, -bytes)
  return bytes
end

-- Drops a stream's oldest events until want_bytes and want_count are freed, keeping at least
-- keep events; returns the bytes freed and the last sequence number dropped (0 for none).
local function shed(s, st, want_bytes, want_count, keep)
  local _, meta, events = keys(s, st)
  local held = tonumber(redis.call('HGET', meta, 'c') or '0')
  local freed, count, last = 0, 0, 0
  while (freed < want_bytes or count < want_count) and held - count > keep do
    local batch = redis.call('XRANGE', events, '-', '+', 'COUNT', 64)
    local drop = {}
    for _, entry in ipairs(batch) do
      if not (freed < want_bytes or count < want_count) or held - count <= keep then break end
      local fields = entry[2]
      if fields[1] ~= 'd' then break end
      drop[#drop + 1] = entry[1]
      freed = freed + string.len(fields[2])
      count = count + 1
      last = tonumber(string.sub(entry[1], 3))
    end
    if #drop == 0 then break end
    redis.call('XDEL', events, unpack(drop))
  end
  if count > 0 then
    redis.call('HINCRBY', meta, 'c', -count)
    account(s, st, -freed)
  end
  return freed, last
end

-- Streams last written more than a TTL ago have expired (every write renews their keys' TTL at
-- most then): forget a few of them, so the orders and the totals do not keep what the TTL
-- removed for sessions no instance deleted. Run with every new stream, it keeps pace with them.
local function collect()
  local time = redis.call('TIME')
  local before = (tonumber(time[1]) - tonumber(TTL)) * 1000000 + tonumber(time[2])
  for _, order in ipairs({ FINISHED, RUNNING }) do
    for _, member in ipairs(redis.call('ZRANGEBYSCORE', order, '-inf', before, 'LIMIT', 0, 8)) do
      local space = string.find(member, ' ', 1, true)
      forget(string.sub(member, 1, space - 1), string.sub(member, space + 1))
    end
  end
end

-- Registers a stream (once): it runs, and the session's oldest streams go past MAX_STREAMS.
local function register(s, st)
  local zset, meta = keys(s, st)
  if redis.call('ZSCORE', zset, st) == false then
    collect()
    local order = redis.call('INCR', zset .. ':order')
    redis.call('ZADD', zset, order, st)
    redis.call('HSETNX', meta, 'next', 0)
    redis.call('ZADD', RUNNING, stamp(), s .. ' ' .. st)
    redis.call('SET', zset .. ':bytes', 0, 'NX', 'EX', TTL)
    local extra = redis.call('ZCARD', zset) - MAX_STREAMS
    if extra > 0 then
      for _, id in ipairs(redis.call('ZRANGE', zset, 0, extra - 1)) do forget(s, id) end
    end
  end
  redis.call('EXPIRE', zset, TTL)
  redis.call('EXPIRE', zset .. ':order', TTL)
  redis.call('EXPIRE', zset .. ':bytes', TTL)
  redis.call('EXPIRE', meta, TTL)
end

-- The session's oldest events go, oldest streams first, until it fits MAX_SESSION.
local function fit_session(s)
  local zset = P .. 'es:' .. s
  local over = tonumber(redis.call('GET', zset .. ':bytes') or '0') - MAX_SESSION
  if over <= 0 then return end
  for _, st in ipairs(redis.call('ZRANGE', zset, 0, -1)) do
    over = over - shed(s, st, over, 0, 0)
    if over <= 0 then return end
  end
end

-- The deployment fits MAX_TOTAL again: streams written least recently go first, finished ones
-- (whole) before running ones (their events, marked lost), the current stream last.
local function fit_total(s, st)
  local over = tonumber(redis.call('GET', TOTAL) or '0') - MAX_TOTAL
  if over <= 0 then return end
  local current = s .. ' ' .. st
  for _, order in ipairs({ FINISHED, RUNNING }) do
    local start = 0
    while over > 0 do
      local batch = redis.call('ZRANGE', order, start, start + 63)
      if #batch == 0 then break end
      for _, member in ipairs(batch) do
        if over <= 0 then break end
        if member == current then
          start = start + 1
        else
          local space = string.find(member, ' ', 1, true)
          local ms, mst = string.sub(member, 1, space - 1), string.sub(member, space + 1)
          local _, meta = keys(ms, mst)
          local state = redis.call('HMGET', meta, 'next', 'complete')
          if not state[1] or state[2] == '1' then
            over = over - forget(ms, mst)
          else
            local freed, last = shed(ms, mst, math.huge, 0, 0)
            if last > 0 then redis.call('HSET', meta, 'lost', last) end
            over = over - freed
            start = start + 1
          end
        end
      end
    end
  end
  if over > 0 then
    local freed, last = shed(s, st, over, 0, 1)
    if last > 0 then
      local _, meta = keys(s, st)
      redis.call('HSET', meta, 'lost', last)
    end
  end
end

-- Ends a stream: the terminal entry wakes followers, and it counts as finished.
local function finish(s, st)
  local _, meta, events = keys(s, st)
  if redis.call('EXISTS', meta) == 0 or redis.call('HGET', meta, 'complete') == '1' then return 0 end
  redis.call('HSET', meta, 'complete', 1)
  local seq = redis.call('HINCRBY', meta, 'next', 1)
  redis.call('XADD', events, '0-' .. seq, 'e', 1)
  local member = s .. ' ' .. st
  redis.call('ZREM', RUNNING, member)
  redis.call('ZADD', FINISHED, stamp(), member)
  redis.call('EXPIRE', events, TTL)
  redis.call('EXPIRE', meta, TTL)
  return 1
end

local S, ST = ARGV[7], ARGV[8]
`;

// ARGV[9] writer instance id, ARGV[10] request ids (JSON).
const OPEN = new LuaScript(
  LIBRARY + `
register(S, ST)
local _, meta = keys(S, ST)
redis.call('HSET', meta, 'w', ARGV[9], 'r', ARGV[10])
return 1`,
);

// ARGV[9] '1' to end the stream after the events, ARGV[10..] the events' data. Returns the first
// sequence number; the others follow it. Then the bounds, in the memory log's order: events per
// stream, the session's bytes, the deployment's bytes. TTLs are renewed every 256 events.
const APPEND = new LuaScript(
  LIBRARY + `
local zset, meta, events = keys(S, ST)
if redis.call('EXISTS', meta) == 0 then register(S, ST) end
local count = #ARGV - 9
local first = redis.call('HINCRBY', meta, 'next', count) - count + 1
local last = first + count - 1
if count > 0 then
  local bytes = 0
  for i = 1, count do
    local data = ARGV[9 + i]
    redis.call('XADD', events, '0-' .. (first + i - 1), 'd', data)
    bytes = bytes + string.len(data)
  end
  local held = redis.call('HINCRBY', meta, 'c', count)
  account(S, ST, bytes)
  local ended = redis.call('HGET', meta, 'complete') == '1'
  redis.call('ZADD', ended and FINISHED or RUNNING, stamp(), S .. ' ' .. ST)
  if held > MAX_EVENTS then shed(S, ST, 0, held - MAX_EVENTS, 0) end
  fit_session(S)
  fit_total(S, ST)
end
if ARGV[9] == '1' then finish(S, ST) end
if first == 1 or math.floor((first - 1) / 256) < math.floor(last / 256) then
  redis.call('EXPIRE', events, TTL)
  redis.call('EXPIRE', meta, TTL)
  redis.call('EXPIRE', zset, TTL)
  redis.call('EXPIRE', zset .. ':order', TTL)
  redis.call('EXPIRE', zset .. ':bytes', TTL)
end
return first`,
);

const COMPLETE = new LuaScript(LIBRARY + `return finish(S, ST)`);

// KEYS[1] meta hash; ARGV[1] prefix .. 'hb:'. {exists, complete, writer alive, request ids, lost}
const STATE = new LuaScript(`
local f = redis.call('HMGET', KEYS[1], 'next', 'complete', 'w', 'r', 'lost')
if not f[1] then return {0, 0, 0, '', 0} end
if f[2] == '1' then return {1, 1, 1, '', 0} end
local lost = tonumber(f[5] or '0')
if not f[3] or f[3] == '' or redis.call('EXISTS', ARGV[1] .. f[3]) == 1 then return {1, 0, 1, '', lost} end
return {1, 0, 0, f[4] or '', lost}`);

// Forgets every stream of session S (ST unused), giving their bytes back.
const DELETE_SESSION = new LuaScript(
  LIBRARY + `
local zset = P .. 'es:' .. S
local ids = redis.call('ZRANGE', zset, 0, -1)
for _, id in ipairs(ids) do forget(S, id) end
redis.call('DEL', zset, zset .. ':order', zset .. ':bytes')
return #ids`,
);

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
