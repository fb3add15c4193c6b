/**
 * A {@linkcode TaskStore} in Redis, so any tether instance answers
 * `tasks/get` (and `tasks/update`, `tasks/cancel`, `tasks/result`) for a task
 * another one runs, and a task outlives the instance that created it. Each
 * task is one JSON record (`<prefix>task:<id>`, expiring with the task); a
 * sorted set per owner (`<prefix>task-owner:<ownerKey>`) scores its tasks by
 * expiry, which makes the per-owner cap one script. A change is a
 * compare-and-set of the record, retried on conflict: the status machine
 * (`applyTaskChange`) runs here in JavaScript, the same as the memory store's.
 * Expiry follows the injected clock (records also carry a Redis TTL, so
 * nothing is left behind). Not here: running the work.
 * @module
 */

import {
  applyTaskChange,
  isExpired,
  type StoredTask,
  type TaskChange,
  type TaskStore,
} from "../tasks/task_store.ts";
import { LuaScript } from "./lua_script.ts";
import type { RedisCommands } from "./redis_commands.ts";

/**
 * Options of {@linkcode RedisTaskStore}.
 *
 * @example
 * ```ts
 * import type { RedisTaskStoreOptions } from "@tether/mcp/redis";
 * const options: RedisTaskStoreOptions = { prefix: "tenant-a:" };
 * ```
 */
export interface RedisTaskStoreOptions {
  /**
   * Prefix of every key.
   * @default "tether:"
   */
  prefix?: string;
  /**
   * The clock (ms), for expiry; the same on every instance.
   * @default Date.now
   */
  now?: () => number;
  /** Called by `close()` (e.g. to quit a client the store owns). */
  onClose?: () => Promise<void> | void;
}

// KEYS[1] owner zset, KEYS[2] record; ARGV[1] now, ARGV[2] max per owner, ARGV[3] json,
// ARGV[4] expiresAt, ARGV[5] id, ARGV[6] record TTL ms
const CREATE = new LuaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[6]) == false then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[5])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
return 1`);

// KEYS[1] record; ARGV[1] the JSON read, ARGV[2] the JSON to write. 1 when written, 0 on conflict.
const COMPARE_AND_SET = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`);

/** How many times a change is tried against concurrent writers before it gives up. */
const MAX_ATTEMPTS = 16;

/** Tasks in Redis, shared by every instance with the same prefix. */
export class RedisTaskStore implements TaskStore {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #onClose: (() => Promise<void> | void) | undefined;

  /** A store on `redis`. */
  constructor(redis: RedisCommands, options: RedisTaskStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "tether:";
    this.#now = options.now ?? Date.now;
    this.#onClose = options.onClose;
  }

  /** Stores a new task unless its owner is at `maxPerOwner` (or the store is full). */
  async create(task: StoredTask, maxPerOwner: number): Promise<boolean> {
    const now = this.#now();
    const expiresAt = task.createdAt + task.ttlMs;
    // The Redis TTL is a backstop for the injected clock: a little longer, never shorter.
    const recordTtl = Math.max(1, expiresAt - now) + 1_000;
    const created = await CREATE.run(
      this.#redis,
      [this.#ownerKey(task.ownerKey), this.#taskKey(task.taskId)],
      [
        String(now),
        String(maxPerOwner),
        JSON.stringify(task),
        String(expiresAt),
        task.taskId,
        String(recordTtl),
      ],
    );
    return Number(created) === 1;
  }

  /** The task; undefined when unknown or expired. */
  async get(taskId: string): Promise<StoredTask | undefined> {
    return (await this.#read(taskId))?.task;
  }

  /** Applies `change` atomically; the task as it then is. */
  async change(taskId: string, change: TaskChange): Promise<StoredTask | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const read = await this.#read(taskId);
      if (read === undefined) return undefined;
      const next = applyTaskChange(read.task, change, this.#now());
      if (next === undefined) return read.task;
      const written = await COMPARE_AND_SET.run(this.#redis, [this.#taskKey(taskId)], [
        read.json,
        JSON.stringify(next),
      ]);
      if (Number(written) === 1) return next;
    }
    throw new Error(`Task ${taskId}: too many concurrent changes`);
  }

  /** The owner's live tasks, oldest first. */
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

  async #read(taskId: string): Promise<{ json: string; task: StoredTask } | undefined> {
    const json = await this.#redis.sendCommand(["GET", this.#taskKey(taskId)]);
    if (typeof json !== "string") return undefined;
    const task = JSON.parse(json) as StoredTask;
    return isExpired(task, this.#now()) ? undefined : { json, task };
  }

  #taskKey(taskId: string): string {
    return `${this.#prefix}task:${taskId}`;
  }

  #ownerKey(ownerKey: string): string {
    return `${this.#prefix}task-owner:${ownerKey}`;
  }
}
