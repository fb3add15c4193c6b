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
 * Redis itself with `maxmemory`. Scope: storage and replay; following a
 * stream live from another instance (tailing) is not part of this interface
 * yet.
 * @module
 */

import {
  type EventLog,
  formatEventId,
  parseEventId,
  type Replay,
  type StoredEvent,
} from "../streams/event_log.ts";
import type { RedisCommands } from "./redis_commands.ts";
import { entriesOf } from "./stream_entries.ts";

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
}

// KEYS[1] session streams zset, KEYS[2] stream meta hash, KEYS[3] stream; ARGV[1] stream id,
// ARGV[2] max streams, ARGV[3] ttl, ARGV[4] prefix .. 'ev:' .. session .. ':', ARGV[5] prefix .. 'em:' .. session .. ':'
const OPEN = `
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
return 1`;

// KEYS as OPEN; ARGV as OPEN plus ARGV[6] data, ARGV[7] max events
const APPEND = OPEN.replace("return 1", "") + `
local seq = redis.call('HINCRBY', KEYS[2], 'next', 1)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '0-' .. seq, 'd', ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return seq`;

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

  /** A log on `redis` (a connected client). */
  constructor(redis: RedisCommands, options: RedisEventLogOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "tether:";
    this.#maxEvents = options.maxEventsPerStream ?? 1_000;
    this.#maxStreams = options.maxStreamsPerSession ?? 64;
    this.#ttl = options.ttlSeconds ?? 24 * 60 * 60;
    for (
      const [name, value] of Object.entries({
        maxEventsPerStream: this.#maxEvents,
        maxStreamsPerSession: this.#maxStreams,
        ttlSeconds: this.#ttl,
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

  #eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.#redis.sendCommand(["EVAL", script, String(keys.length), ...keys, ...args]);
  }

  /** Registers a stream (resumable from its priming id before its first event). */
  async open(sessionId: string, streamId: string): Promise<void> {
    await this.#eval(OPEN, this.#keys(sessionId, streamId), this.#args(sessionId, streamId));
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

  /** Marks a stream as ended. */
  async complete(sessionId: string, streamId: string): Promise<void> {
    const [, meta] = this.#keys(sessionId, streamId);
    await this.#eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'complete', 1) end return 1`,
      [meta],
      [],
    );
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
    const events: StoredEvent[] = [];
    for (const { id, fields } of entriesOf(entries)) {
      events.push({
        id: formatEventId(parsed.streamId, Number(id.slice(2))),
        data: String(fields.d),
      });
    }
    return { streamId: parsed.streamId, events, complete: fields[1] === "1" };
  }

  /** Forgets every stream of a session. */
  async deleteSession(sessionId: string): Promise<void> {
    const prefix = this.#prefix;
    await this.#eval(
      `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id, ARGV[2] .. id) end
redis.call('DEL', KEYS[1], KEYS[1] .. ':order')
return #ids`,
      [`${prefix}es:${sessionId}`],
      [`${prefix}ev:${sessionId}:`, `${prefix}em:${sessionId}:`],
    );
  }
}
