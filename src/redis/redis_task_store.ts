/**
 * A {@linkcode TaskStore} in Redis, so any tether instance answers
 * `tasks/get` (and `tasks/update`, `tasks/cancel`, `tasks/result`) for a task
 * another one runs, and a task outlives the instance that created it. Each
 * task is one JSON record (`<prefix>task:<id>`, expiring with the task) and,
 * once completed, its result apart (`<prefix>task-result:<id>`), so listing
 * reads records only. Sorted sets score task ids by expiry: per owner
 * (`<prefix>task-owner:<ownerKey>`, for listing), per owner while unfinished
 * (`<prefix>task-active:<ownerKey>`, the per-owner cap), all tasks
 * (`<prefix>task-all`, `maxTasks`), and all kept results
 * (`<prefix>task-results`, with their sizes in `<prefix>task-result-sizes`
 * and their sum in `<prefix>task-result-bytes`: the result budget, kept in
 * the same script that writes a result; a result that does not fit is
 * refused and its task stored `failed`). A change is a compare-and-set of
 * the record, retried on conflict: the status machine (`applyTaskChange`)
 * runs here in JavaScript, the same as the memory store's. Expiry follows
 * the injected clock (records also carry a Redis TTL, so nothing is left
 * behind). The keys of one operation are not under one hash tag: not for
 * Redis Cluster. Not here: running the work.
 * @module
 */

import {
  applyTaskChange,
  isExpired,
  isTerminal,
  positiveStoreOption,
  refuseResult,
  type StoredTask,
  type TaskChange,
  type TaskStore,
} from "../extensions/tasks/task_store.ts";
import { LuaScript } from "./lua_script.ts";
import type { RedisCommands } from "./redis_commands.ts";

/**
 * Options of {@linkcode RedisTaskStore}.
 *
 * @example
 * ```ts
 * import type { RedisTaskStoreOptions } from "@tether/mcp/redis";
 * const options: RedisTaskStoreOptions = { prefix: "tenant-a:", maxTotalResultBytes: 1024 ** 3 };
 * ```
 */
export interface RedisTaskStoreOptions {
  /**
   * Prefix of every key.
   * @default "tether:"
   */
  prefix?: string;
  /**
   * Most tasks kept at once, all owners and instances together.
   * @default 100000
   */
  maxTasks?: number;
  /**
   * Most bytes of results kept at once, all tasks and instances together
   * (bytes of their JSON). A result that does not fit is not kept: its task
   * ends `failed` ("result budget is full") until older results expire.
   * @default 268435456 (256 MiB)
   */
  maxTotalResultBytes?: number;
  /**
   * The clock (ms), for expiry; the same on every instance.
   * @default Date.now
   */
  now?: () => number;
  /** Called by `close()` (e.g. to quit a client the store owns). */
  onClose?: () => Promise<void> | void;
}

// KEYS[1] owner zset, KEYS[2] owner's unfinished zset, KEYS[3] record, KEYS[4] all tasks zset;
// ARGV[1] now, ARGV[2] max unfinished per owner, ARGV[3] json, ARGV[4] expiresAt, ARGV[5] id,
// ARGV[6] record TTL ms, ARGV[7] max tasks
const CREATE = new LuaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[7]) then return 0 end
if redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', ARGV[6]) == false then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
for i = 1, 2 do
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
end
return 1`);

// KEYS[1] record, KEYS[2] owner's unfinished zset, KEYS[3] result, KEYS[4] results zset,
// KEYS[5] result sizes hash, KEYS[6] result bytes counter;
// ARGV[1] the JSON read, ARGV[2] the JSON to write, ARGV[3] '1' when the task just finished,
// ARGV[4] id, ARGV[5] the result's JSON ('' for none), ARGV[6] the task's expiresAt,
// ARGV[7] now, ARGV[8] the result budget, ARGV[9] the JSON to write when the result does not fit.
// 0 on conflict, 1 when written, 2 when written without the result (it did not fit).
// Every result written first forgets up to 100 expired ones (so the sizes stay bounded by the
// live results), and as many as it takes when the budget looks full.
const CHANGE = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local function forget(limit)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[7], 'LIMIT', 0, limit)
  local freed = 0
  for _, id in ipairs(expired) do
    freed = freed + tonumber(redis.call('HGET', KEYS[5], id) or '0')
    redis.call('HDEL', KEYS[5], id)
    redis.call('ZREM', KEYS[4], id)
  end
  if freed > 0 then redis.call('DECRBY', KEYS[6], freed) end
end
local record = ARGV[2]
local written = 1
if ARGV[5] ~= '' then
  local size = string.len(ARGV[5])
  forget(100)
  if tonumber(redis.call('GET', KEYS[6]) or '0') + size > tonumber(ARGV[8]) then forget(-1) end
  if tonumber(redis.call('GET', KEYS[6]) or '0') + size > tonumber(ARGV[8]) then
    record = ARGV[9]
    written = 2
  else
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 1 then ttl = 1 end
    redis.call('SET', KEYS[3], ARGV[5], 'PX', ttl)
    redis.call('ZADD', KEYS[4], ARGV[6], ARGV[4])
    redis.call('HSET', KEYS[5], ARGV[4], size)
    redis.call('INCRBY', KEYS[6], size)
  end
end
redis.call('SET', KEYS[1], record, 'KEEPTTL')
if ARGV[3] == '1' then redis.call('ZREM', KEYS[2], ARGV[4]) end
return written`);

/** How many times a change is tried against concurrent writers before it gives up. */
const MAX_ATTEMPTS = 16;

/** Tasks in Redis, shared by every instance with the same prefix. */
export class RedisTaskStore implements TaskStore {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #maxTasks: number;
  readonly #maxResultBytes: number;
  readonly #now: () => number;
  readonly #onClose: (() => Promise<void> | void) | undefined;

  /** A store on `redis`; throws a `RangeError` on a bound that is not a positive integer. */
  constructor(redis: RedisCommands, options: RedisTaskStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "tether:";
    const name = "RedisTaskStore";
    this.#maxTasks = positiveStoreOption(name, "maxTasks", options.maxTasks, 100_000);
    this.#maxResultBytes = positiveStoreOption(
      name,
      "maxTotalResultBytes",
      options.maxTotalResultBytes,
      256 * 1024 * 1024,
    );
    this.#now = options.now ?? Date.now;
    this.#onClose = options.onClose;
  }

  /** Stores a new task unless its owner has `maxPerOwner` unfinished ones (or the store is full). */
  async create(task: StoredTask, maxPerOwner: number): Promise<boolean> {
    const now = this.#now();
    // A new task has no result; one given anyway is not kept (results are written by a change).
    const { result: _result, ...record } = task;
    const expiresAt = task.createdAt + task.ttlMs;
    // The Redis TTL is a backstop for the injected clock: a little longer, never shorter.
    const recordTtl = Math.max(1, expiresAt - now) + 1_000;
    const created = await CREATE.run(
      this.#redis,
      [
        this.#ownerKey(task.ownerKey),
        this.#activeKey(task.ownerKey),
        this.#taskKey(task.taskId),
        `${this.#prefix}task-all`,
      ],
      [
        String(now),
        String(maxPerOwner),
        JSON.stringify(record),
        String(expiresAt),
        task.taskId,
        String(recordTtl),
        String(this.#maxTasks),
      ],
    );
    return Number(created) === 1;
  }

  /** The task (with its result); undefined when unknown or expired. */
  async get(taskId: string): Promise<StoredTask | undefined> {
    const [json, result] = await this.#redis.sendCommand([
      "MGET",
      this.#taskKey(taskId),
      this.#resultKey(taskId),
    ]) as (string | null)[];
    const task = this.#parse(json);
    if (task !== undefined && typeof result === "string") task.result = JSON.parse(result);
    return task;
  }

  /** Applies `change` atomically; the task as it then is (failed when its result does not fit). */
  async change(taskId: string, change: TaskChange): Promise<StoredTask | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const json = await this.#redis.sendCommand(["GET", this.#taskKey(taskId)]);
      const task = this.#parse(json);
      if (task === undefined) return undefined;
      const next = applyTaskChange(task, change, this.#now());
      if (next === undefined) return await this.get(taskId);
      const { result, ...record } = next;
      const written = await CHANGE.run(this.#redis, [
        this.#taskKey(taskId),
        this.#activeKey(task.ownerKey),
        this.#resultKey(taskId),
        `${this.#prefix}task-results`,
        `${this.#prefix}task-result-sizes`,
        `${this.#prefix}task-result-bytes`,
      ], [
        json as string,
        JSON.stringify(record),
        isTerminal(next.status) && !isTerminal(task.status) ? "1" : "0",
        taskId,
        result === undefined ? "" : JSON.stringify(result),
        String(task.createdAt + task.ttlMs),
        String(this.#now()),
        String(this.#maxResultBytes),
        JSON.stringify(refuseResult(record)),
      ]);
      if (Number(written) === 1) return next;
      if (Number(written) === 2) return refuseResult(record);
    }
    throw new Error(`Task ${taskId}: too many concurrent changes`);
  }

  /** The owner's live tasks, oldest first, without their results (no result key is read). */
  async list(ownerKey: string): Promise<StoredTask[]> {
    const now = this.#now();
    const ids = await this.#redis.sendCommand([
      "ZRANGEBYSCORE",
      this.#ownerKey(ownerKey),
      `(${now}`,
      "+inf",
    ]) as string[];
    if (ids.length === 0) return [];
    const records = await this.#redis.sendCommand([
      "MGET",
      ...ids.map((id) => this.#taskKey(id)),
    ]) as (string | null)[];
    const tasks: StoredTask[] = [];
    for (const json of records) {
      if (typeof json !== "string") continue;
      const task = JSON.parse(json) as StoredTask;
      if (!isExpired(task, now) && task.ownerKey === ownerKey) tasks.push(task);
    }
    return tasks.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Releases what the store holds. */
  async close(): Promise<void> {
    await this.#onClose?.();
  }

  /** The record in `json`, unless absent or expired. */
  #parse(json: unknown): StoredTask | undefined {
    if (typeof json !== "string") return undefined;
    const task = JSON.parse(json) as StoredTask;
    return isExpired(task, this.#now()) ? undefined : task;
  }

  #taskKey(taskId: string): string {
    return `${this.#prefix}task:${taskId}`;
  }

  #resultKey(taskId: string): string {
    return `${this.#prefix}task-result:${taskId}`;
  }

  #ownerKey(ownerKey: string): string {
    return `${this.#prefix}task-owner:${ownerKey}`;
  }

  #activeKey(ownerKey: string): string {
    return `${this.#prefix}task-active:${ownerKey}`;
  }
}
