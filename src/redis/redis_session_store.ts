/**
 * A {@linkcode SessionStore} in Redis, so several tether instances share
 * sessions. Each session is one JSON record (`<prefix>s:<id>`) and one hash of
 * its state (`<prefix>st:<id>`); a sorted set (`<prefix>sessions`) scores
 * every session by its deadline, which makes the cap, expiry and the sweep
 * one command each; a hash (`<prefix>owners`) counts the sessions of each
 * owner, for the share per principal, in the same scripts that create and
 * remove them (`<prefix>sessionOwners` names each session's owner, so the
 * count is given back even when the record already expired). Every
 * multi-key step is a Lua script, so two instances never both create past
 * the cap or both report one expired session. Records and state carry key
 * TTLs (the deadline plus `expiryGraceMs`, moved on touch) and the three
 * index keys live as long as their latest session, so when every instance
 * dies nothing outlives the sessions' deadlines by more than the grace.
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
  /**
   * How long past a session's deadline its keys stay in Redis, ms: the
   * sweep of a live instance reports the expiry (with the record) within
   * that time, and Redis drops the keys by itself when no instance is left.
   * Keep it at or above `sessions.sweepIntervalMs`. Deadlines are mapped onto
   * Redis's clock as durations, so an injected `now` and clock skew between
   * hosts do not shorten it.
   * @default {60000}
   */
  expiryGraceMs?: number;
}

/** The longest key TTL set (100 years): Redis refuses an expiry past its own clock's range. */
const MAX_KEY_TTL_MS = 3_155_760_000_000;

// Gives back the place of a removed session's owner (named in the sessionOwners hash, else in the
// record's json): the count drops by one, and the owner's field goes at 0.
const RELEASE_OWNER = `
local function releaseOwner(owners, sessionOwners, id, json)
  local owner = redis.call('HGET', sessionOwners, id)
  redis.call('HDEL', sessionOwners, id)
  if not owner and json then
    local ok, record = pcall(cjson.decode, json)
    if ok and type(record) == 'table' and type(record.ownerKey) == 'string' then owner = record.ownerKey end
  end
  if not owner then return end
  if redis.call('HINCRBY', owners, owner, -1) <= 0 then
    redis.call('HDEL', owners, owner)
  end
end`;

// Key TTLs. expire(keys, ms) sets a session's record and state TTL (ms: integer digits); keepFor
// makes an index key live at least ms (never shortened; an index left without TTL gets one).
const KEY_TTLS = `
local function keepFor(key, ms)
  local left = redis.call('PTTL', key)
  if left == -1 or (left >= 0 and left < tonumber(ms)) then redis.call('PEXPIRE', key, ms) end
end
local function ttlOf(ms)
  return string.format('%d', math.max(1, math.min(ms, ${MAX_KEY_TTL_MS})))
end`;

// KEYS[1] sessions zset, KEYS[2] record, KEYS[3] owners hash, KEYS[4] sessionOwners hash; ARGV[1] max,
// ARGV[2] record json, ARGV[3] expiresAt, ARGV[4] id, ARGV[5] owner key, ARGV[6] max per owner,
// ARGV[7] key TTL ms. 1 created, 0 full, 2 the owner holds its share.
const CREATE = new LuaScript(`${KEY_TTLS}
if tonumber(redis.call('HGET', KEYS[3], ARGV[5]) or '0') >= tonumber(ARGV[6]) then return 2 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
local ttl = ttlOf(tonumber(ARGV[7]))
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ttl) == false then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('HINCRBY', KEYS[3], ARGV[5], 1)
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])
keepFor(KEYS[1], ttl) keepFor(KEYS[3], ttl) keepFor(KEYS[4], ttl)
return 1`);

// KEYS[1] sessions zset, KEYS[2] record, KEYS[3] state, KEYS[4] owners, KEYS[5] sessionOwners;
// ARGV[1] expiresAt, ARGV[2] id. The key TTLs move by as much as the deadline (on Redis's clock).
const TOUCH = new LuaScript(`${KEY_TTLS}
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local old = redis.call('ZSCORE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
local left = redis.call('PTTL', KEYS[2])
if old and left >= 0 then
  local ttl = ttlOf(left + tonumber(ARGV[1]) - tonumber(old))
  redis.call('PEXPIRE', KEYS[2], ttl) redis.call('PEXPIRE', KEYS[3], ttl)
  keepFor(KEYS[1], ttl) keepFor(KEYS[4], ttl) keepFor(KEYS[5], ttl)
end
return 1`);

// KEYS[1] sessions zset, KEYS[2] record, KEYS[3] state, KEYS[4] owners, KEYS[5] sessionOwners;
// ARGV[1] id, ARGV[2] now, ARGV[3] owner key, ARGV[4] idle ttl, ARGV[5] absolute ttl, ARGV[6] grace.
// {record json, deadline}, the deadline (and the key TTLs) moved when the owner matches; nil when gone.
const GET_AND_TOUCH = new LuaScript(`${KEY_TTLS}
local json = redis.call('GET', KEYS[2])
if not json then return false end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= tonumber(ARGV[2]) then return false end
local record = cjson.decode(json)
if record.ownerKey == ARGV[3] then
  local deadline = math.min(tonumber(ARGV[2]) + tonumber(ARGV[4]), record.createdAt + tonumber(ARGV[5]))
  score = string.format('%d', deadline)
  redis.call('ZADD', KEYS[1], 'XX', score, ARGV[1])
  local ttl = ttlOf(deadline - tonumber(ARGV[2]) + tonumber(ARGV[6]))
  redis.call('PEXPIRE', KEYS[2], ttl) redis.call('PEXPIRE', KEYS[3], ttl)
  keepFor(KEYS[1], ttl) keepFor(KEYS[4], ttl) keepFor(KEYS[5], ttl)
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
local left = redis.call('PTTL', KEYS[1])
if left > 0 then redis.call('PEXPIRE', KEYS[2], left) end
return 1`);

// KEYS[1] sessions zset, KEYS[2] owners hash, KEYS[3] sessionOwners hash; ARGV[1] now, ARGV[2] prefix.
// Returns id, deadline, record json (or '', when its key TTL removed it first) per session.
const SWEEP = new LuaScript(`${RELEASE_OWNER}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES')
local out = {}
for i = 1, #expired, 2 do
  local id = expired[i]
  local json = redis.call('GET', ARGV[2] .. 's:' .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', ARGV[2] .. 's:' .. id, ARGV[2] .. 'st:' .. id)
  releaseOwner(KEYS[2], KEYS[3], id, json)
  table.insert(out, id)
  table.insert(out, expired[i + 1])
  table.insert(out, json or '')
end
return out`);

// KEYS[1] sessions zset, KEYS[2] record, KEYS[3] state, KEYS[4] owners hash, KEYS[5] sessionOwners;
// ARGV[1] id
const DELETE = new LuaScript(`${RELEASE_OWNER}
local json = redis.call('GET', KEYS[2])
local existed = redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
releaseOwner(KEYS[4], KEYS[5], ARGV[1], json)
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
  #graceMs: number;

  /** A store on `redis` (a connected client). */
  constructor(redis: RedisCommands, options: RedisSessionStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "tether:";
    this.#onClose = options.onClose;
    this.#graceMs = expiryGraceOf(options);
  }

  get #index(): string {
    return `${this.#prefix}sessions`;
  }

  /** Sessions held per owner key (the share per principal), counted by the scripts that create and remove. */
  get #owners(): string {
    return `${this.#prefix}owners`;
  }

  /** Each session's owner key, so a record removed by its key TTL still gives its owner's place back. */
  get #sessionOwners(): string {
    return `${this.#prefix}sessionOwners`;
  }

  /** The key TTL of a session whose deadline is `expiresAt` at `now` (a duration on Redis's clock). */
  #keyTtl(expiresAt: number, now: number): number {
    return Math.ceil(Math.min(expiresAt - now, MAX_KEY_TTL_MS) + this.#graceMs);
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
    now: number,
    maxPerOwner = Infinity,
  ): Promise<boolean | "owner-full"> {
    const { expiresAt: _deadline, ...rest } = session;
    const keys = [this.#index, this.#record(session.id), this.#owners, this.#sessionOwners];
    const created = Number(
      await this.#eval(CREATE, keys, [
        Math.min(maxSessions, MAX_COUNT),
        JSON.stringify(rest),
        session.expiresAt,
        session.id,
        session.ownerKey,
        Math.min(maxPerOwner, MAX_COUNT),
        this.#keyTtl(session.expiresAt, now),
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
    const reply = await this.#eval(GET_AND_TOUCH, this.#touchKeys(id), [
      id,
      now,
      use.ownerKey,
      Math.min(use.idleTtlMs, MAX_TTL_MS),
      Math.min(use.absoluteTtlMs, MAX_TTL_MS),
      this.#graceMs,
    ]);
    if (!Array.isArray(reply) || typeof reply[0] !== "string") return undefined;
    return { ...JSON.parse(reply[0]), expiresAt: Number(reply[1]) } as SessionRecord;
  }

  /** Moves the session's deadline. */
  async touch(id: string, expiresAt: number): Promise<void> {
    await this.#eval(TOUCH, this.#touchKeys(id), [expiresAt, id]);
  }

  /** The keys a touch moves: index, record, state, owners, sessionOwners. */
  #touchKeys(id: string): string[] {
    return [this.#index, this.#record(id), this.#state(id), this.#owners, this.#sessionOwners];
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
      await this.#eval(DELETE, [
        this.#index,
        this.#record(id),
        this.#state(id),
        this.#owners,
        this.#sessionOwners,
      ], [id]),
    ) === 1;
  }

  /** Removes every expired session (atomically: each is reported by one instance only). */
  async sweep(now: number): Promise<ExpiredSession[]> {
    const reply = await this.#eval(SWEEP, [this.#index, this.#owners, this.#sessionOwners], [
      now,
      this.#prefix,
    ]);
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

/**
 * The `expiryGraceMs` of `options` (default 60,000); a RangeError unless it
 * is a number from 0 to 100 years.
 *
 * @example
 * ```ts
 * import { expiryGraceOf } from "./redis_session_store.ts";
 * expiryGraceOf({}); // 60000
 * ```
 */
export function expiryGraceOf(options: Pick<RedisSessionStoreOptions, "expiryGraceMs">): number {
  const grace = options.expiryGraceMs ?? 60_000;
  if (!(grace >= 0) || grace > MAX_KEY_TTL_MS) {
    throw new RangeError(
      `RedisSessionStore option expiryGraceMs must be a number from 0 to ${MAX_KEY_TTL_MS}`,
    );
  }
  return grace;
}

/** The creation time in a stored record's JSON; NaN when it cannot be read (the record was gone). */
function createdAtOf(json: string): number {
  try {
    return Number((JSON.parse(json) as Partial<SessionRecord>).createdAt);
  } catch {
    return NaN;
  }
}
