/**
 * A {@linkcode SessionStore} in Redis, so several tether instances share
 * sessions. Each session is one JSON record (`<prefix>s:<id>`) and one hash of
 * its state (`<prefix>st:<id>`); a sorted set (`<prefix>sessions`) scores
 * every session by its deadline, which makes the cap, expiry and the sweep
 * one command each; a hash (`<prefix>owners`) counts the sessions of each
 * owner, for the share per principal, in the same scripts that create and
 * remove them. Every multi-key step is a Lua script, so two instances
 * never both create past the cap or both report one expired session.
 * `updateState` is a compare-and-set retried on conflict (the update
 * function is JavaScript and runs here, not in Redis).
 *
 * Scope: records and state only; streams, in-flight work and server→client
 * requests are not shared by this store. It talks to Redis through the
 * small {@linkcode RedisCommands} interface (node-redis fits it as is).
 * @module
 */

import type {
  ExpiredSession,
  SessionChanges,
  SessionRecord,
  SessionStore,
  SessionUse,
} from "../legacy/sessions/session_store.ts";
import { LuaScript } from "./lua_script.ts";
import type { RedisCommands } from "./redis_commands.ts";

/**
 * Options of {@linkcode RedisSessionStore}.
 *
 * @example
 * ```ts
 * import type { RedisSessionStoreOptions } from "@tether/mcp/redis";
 * const options: RedisSessionStoreOptions = { prefix: "tenant-a:" };
 * ```
 */
export interface RedisSessionStoreOptions {
  /** Prefix of every key. Default `"tether:"`. */
  prefix?: string;
  /** Called by `close()` (e.g. to quit a client the store owns). */
  onClose?: () => Promise<void> | void;
}

// Gives back the place of a removed record's owner (from its json): the count drops by one, and the
// owner's field goes at 0.
const RELEASE_OWNER = `
local function releaseOwner(owners, json)
  local ok, record = pcall(cjson.decode, json)
  if not ok or type(record) ~= 'table' or type(record.ownerKey) ~= 'string' then return end
  if redis.call('HINCRBY', owners, record.ownerKey, -1) <= 0 then
    redis.call('HDEL', owners, record.ownerKey)
  end
end`;

// KEYS[1] sessions zset, KEYS[2] record, KEYS[3] owners hash; ARGV[1] max, ARGV[2] record json,
// ARGV[3] expiresAt, ARGV[4] id, ARGV[5] owner key, ARGV[6] max per owner. 1 created, 0 full,
// 2 the owner holds its share.
const CREATE = new LuaScript(`
if tonumber(redis.call('HGET', KEYS[3], ARGV[5]) or '0') >= tonumber(ARGV[6]) then return 2 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX') == false then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('HINCRBY', KEYS[3], ARGV[5], 1)
return 1`);

// KEYS[1] sessions zset, KEYS[2] record; ARGV[1] expiresAt, ARGV[2] id
const TOUCH = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
return 1`);

// KEYS[1] sessions zset, KEYS[2] record; ARGV[1] id, ARGV[2] now, ARGV[3] owner key, ARGV[4] idle ttl,
// ARGV[5] absolute ttl. {record json, deadline}, the deadline moved when the owner matches; nil when gone.
const GET_AND_TOUCH = new LuaScript(`
local json = redis.call('GET', KEYS[2])
if not json then return false end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= tonumber(ARGV[2]) then return false end
local record = cjson.decode(json)
if record.ownerKey == ARGV[3] then
  local deadline = math.min(tonumber(ARGV[2]) + tonumber(ARGV[4]), record.createdAt + tonumber(ARGV[5]))
  score = string.format('%d', deadline)
  redis.call('ZADD', KEYS[1], 'XX', score, ARGV[1])
end
return {json, score}`);

// KEYS[1] record; ARGV[1] changes json
const UPDATE = new LuaScript(`
local json = redis.call('GET', KEYS[1])
if not json then return 0 end
local record = cjson.decode(json)
local changes = cjson.decode(ARGV[1])
if changes.logLevel then record.logLevel = changes.logLevel end
local list = record.subscriptions
if type(list) ~= 'table' then list = {} end
if changes.subscribe then
  local found = false
  for _, uri in ipairs(list) do if uri == changes.subscribe then found = true end end
  if not found then table.insert(list, changes.subscribe) end
end
if changes.unsubscribe then
  local kept = {}
  for _, uri in ipairs(list) do if uri ~= changes.unsubscribe then table.insert(kept, uri) end end
  list = kept
end
if #list > 0 then record.subscriptions = list else record.subscriptions = nil end
redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
return 1`);

// KEYS[1] record, KEYS[2] state; ARGV[1] field, ARGV[2] new json ('' deletes), ARGV[3] maxBytes,
// ARGV[4] expected current json (only with ARGV[5] == '1'; '' = absent)
const WRITE_STATE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if ARGV[5] == '1' then
  local expected = ARGV[4]
  if (current or '') ~= expected then return 0 end
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
local bytes = 0
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then bytes = bytes + #all[i] + #all[i + 1] end
end
bytes = bytes + #ARGV[1] + #ARGV[2]
if bytes > tonumber(ARGV[3]) then return -bytes end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`);

// KEYS[1] sessions zset, KEYS[2] owners hash; ARGV[1] now, ARGV[2] prefix. Returns id, deadline,
// record json (or '') per session.
const SWEEP = new LuaScript(`${RELEASE_OWNER}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES')
local out = {}
for i = 1, #expired, 2 do
  local id = expired[i]
  local json = redis.call('GET', ARGV[2] .. 's:' .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', ARGV[2] .. 's:' .. id, ARGV[2] .. 'st:' .. id)
  if json then releaseOwner(KEYS[2], json) end
  table.insert(out, id)
  table.insert(out, expired[i + 1])
  table.insert(out, json or '')
end
return out`);

// KEYS[1] sessions zset, KEYS[2] record, KEYS[3] state, KEYS[4] owners hash; ARGV[1] id
const DELETE = new LuaScript(`${RELEASE_OWNER}
local json = redis.call('GET', KEYS[2])
local existed = redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
if json then releaseOwner(KEYS[4], json) end
if existed > 0 then return 1 end
return 0`);

/** "No limit" sent to Lua as a finite number (the span of Date; deadlines stay exact doubles). */
const MAX_TTL_MS = 8.64e15;

/** "No limit" for a count, sent to Lua as digits (`Infinity` is not a number to `tonumber`). */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** How often a conflicting `updateState` is retried before it gives up. */
const MAX_CAS_ATTEMPTS = 100;

/**
 * Sessions in Redis, shared by every instance that uses the same Redis and
 * prefix.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { createMcpHandler } from "@tether/mcp";
 * import { RedisSessionStore } from "@tether/mcp/redis";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   sessions: { store: new RedisSessionStore(client) },
 * });
 * ```
 */
export class RedisSessionStore implements SessionStore {
  #redis: RedisCommands;
  #prefix: string;
  #onClose: (() => Promise<void> | void) | undefined;

  /** A store on `redis` (a connected client). */
  constructor(redis: RedisCommands, options: RedisSessionStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "tether:";
    this.#onClose = options.onClose;
  }

  get #index(): string {
    return `${this.#prefix}sessions`;
  }

  /** Sessions held per owner key (the share per principal), counted by the scripts that create and remove. */
  get #owners(): string {
    return `${this.#prefix}owners`;
  }

  #record(id: string): string {
    return `${this.#prefix}s:${id}`;
  }

  #state(id: string): string {
    return `${this.#prefix}st:${id}`;
  }

  #eval(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return script.run(this.#redis, keys, args.map(String));
  }

  /**
   * Inserts the session unless its owner holds `maxPerOwner` (`"owner-full"`)
   * or `maxSessions` are held in all (false); expired ones count until swept.
   */
  async create(
    session: SessionRecord,
    maxSessions: number,
    _now: number,
    maxPerOwner = Infinity,
  ): Promise<boolean | "owner-full"> {
    const { expiresAt: _deadline, ...rest } = session;
    const keys = [this.#index, this.#record(session.id), this.#owners];
    const created = Number(
      await this.#eval(CREATE, keys, [
        Math.min(maxSessions, MAX_COUNT),
        JSON.stringify(rest),
        session.expiresAt,
        session.id,
        session.ownerKey,
        Math.min(maxPerOwner, MAX_COUNT),
      ]),
    );
    return created === 2 ? "owner-full" : created === 1;
  }

  /** The live record; undefined when unknown or expired. */
  async get(id: string, now: number): Promise<SessionRecord | undefined> {
    const [json, score] = await Promise.all([
      this.#redis.sendCommand(["GET", this.#record(id)]),
      this.#redis.sendCommand(["ZSCORE", this.#index, id]),
    ]);
    if (typeof json !== "string" || score === null || score === undefined) return undefined;
    const expiresAt = Number(score);
    if (expiresAt <= now) return undefined;
    return { ...JSON.parse(json), expiresAt } as SessionRecord;
  }

  /** `get` and, for the owner, `touch`, in one script (one round trip). */
  async getAndTouch(
    id: string,
    now: number,
    use: SessionUse,
  ): Promise<SessionRecord | undefined> {
    const reply = await this.#eval(GET_AND_TOUCH, [this.#index, this.#record(id)], [
      id,
      now,
      use.ownerKey,
      Math.min(use.idleTtlMs, MAX_TTL_MS),
      Math.min(use.absoluteTtlMs, MAX_TTL_MS),
    ]);
    if (!Array.isArray(reply) || typeof reply[0] !== "string") return undefined;
    return { ...JSON.parse(reply[0]), expiresAt: Number(reply[1]) } as SessionRecord;
  }

  /** Moves the session's deadline. */
  async touch(id: string, expiresAt: number): Promise<void> {
    await this.#eval(TOUCH, [this.#index, this.#record(id)], [expiresAt, id]);
  }

  /** Applies log-level and subscription changes atomically. */
  async update(id: string, changes: SessionChanges): Promise<void> {
    await this.#eval(UPDATE, [this.#record(id)], [JSON.stringify(changes)]);
  }

  /** Reads one key of the session's state. */
  async readState(id: string, key: string): Promise<unknown> {
    const json = await this.#redis.sendCommand(["HGET", this.#state(id), key]);
    return typeof json === "string" ? JSON.parse(json) : undefined;
  }

  /** Writes one key (`undefined` deletes); a RangeError past `maxBytes`. */
  async writeState(id: string, key: string, value: unknown, maxBytes: number): Promise<void> {
    await this.#write(id, key, value, maxBytes, undefined);
  }

  /** Replaces one key with `update(current)`: a compare-and-set, retried on conflict. */
  async updateState(
    id: string,
    key: string,
    update: (current: unknown) => unknown,
    maxBytes: number,
  ): Promise<unknown> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const raw = await this.#redis.sendCommand(["HGET", this.#state(id), key]);
      const current = typeof raw === "string" ? raw : "";
      const next = update(current === "" ? undefined : JSON.parse(current));
      if (await this.#write(id, key, next, maxBytes, current)) {
        return next === undefined ? undefined : JSON.parse(JSON.stringify(next));
      }
    }
    throw new Error(
      `Session state "${key}" kept changing during ${MAX_CAS_ATTEMPTS} update attempts`,
    );
  }

  /** One write; false when `expected` no longer matches (a concurrent update won). */
  async #write(
    id: string,
    key: string,
    value: unknown,
    maxBytes: number,
    expected: string | undefined,
  ): Promise<boolean> {
    let json = "";
    if (value !== undefined) {
      const encoded = JSON.stringify(value);
      if (encoded === undefined) {
        throw new TypeError(`Session state value for "${key}" is not JSON-serialisable`);
      }
      json = encoded;
    }
    const result = Number(
      await this.#eval(WRITE_STATE, [this.#record(id), this.#state(id)], [
        key,
        json,
        maxBytes,
        expected ?? "",
        expected === undefined ? "0" : "1",
      ]),
    );
    if (result < 0) {
      throw new RangeError(`Session state would grow to ${-result} bytes (limit ${maxBytes})`);
    }
    return result === 1;
  }

  /** Removes a session and its state. */
  async delete(id: string): Promise<boolean> {
    return Number(
      await this.#eval(DELETE, [this.#index, this.#record(id), this.#state(id), this.#owners], [
        id,
      ]),
    ) === 1;
  }

  /** Removes every expired session (atomically: each is reported by one instance only). */
  async sweep(now: number): Promise<ExpiredSession[]> {
    const reply = await this.#eval(SWEEP, [this.#index, this.#owners], [now, this.#prefix]);
    const expired: ExpiredSession[] = [];
    if (!Array.isArray(reply)) return expired;
    for (let i = 0; i + 2 < reply.length; i += 3) {
      expired.push({
        id: String(reply[i]),
        expiresAt: Number(reply[i + 1]),
        createdAt: createdAtOf(String(reply[i + 2])),
      });
    }
    return expired;
  }

  /** The number of sessions held. */
  async size(): Promise<number> {
    return Number(await this.#redis.sendCommand(["ZCARD", this.#index]));
  }

  /** Runs `onClose` (the store does not own the client unless told). */
  async close(): Promise<void> {
    await this.#onClose?.();
  }
}

/** The creation time in a stored record's JSON; NaN when it cannot be read (the record was gone). */
function createdAtOf(json: string): number {
  try {
    return Number((JSON.parse(json) as Partial<SessionRecord>).createdAt);
  } catch {
    return NaN;
  }
}
