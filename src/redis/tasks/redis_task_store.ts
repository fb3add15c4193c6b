/**
 * A {@linkcode TaskStore} in Redis, so any tether instance answers
 * `tasks/get` (and `tasks/update`, `tasks/cancel`, `tasks/result`) for a task
 * another one runs, and a task outlives the instance that created it; on one
 * node, under Sentinel or on a Redis Cluster. Keys, each group under one hash
 * tag: a task's JSON record and, once completed, its result apart
 * (`<prefix>task:{t:<id>}`, `<prefix>task-result:{t:<id>}`: reading a task
 * is one slot, listing reads records only); an owner's tasks by expiry, all
 * and unfinished (`<prefix>task-owner:{o:<owner>}`,
 * `<prefix>task-active:{o:<owner>}`: listing, and the per-owner cap); and,
 * for the deployment, all tasks (`<prefix>{tasks}:all`, `maxTasks`) and the
 * result budget (`<prefix>{tasks}:results`, `:result-sizes`, `:result-bytes`)
 * with each principal's share of it (`:result-principals`, `:principal-bytes`),
 * touched only when a task is created or a result written, never by a read.
 * A create takes a place in the owner's keys, then in the deployment's, then
 * writes the record, giving places back when a later step refuses. A change
 * is a compare-and-set of the record, retried on conflict: the status
 * machine (`applyTaskChange`) runs here in JavaScript, the same as the memory
 * store's; a result first reserves its bytes in the budget and in its
 * principal's share, in one script (a reservation per attempt, given back
 * when that attempt's compare-and-set loses, never the winner's; both
 * come back when the result expires), and a task that finishes then
 * leaves its owner's unfinished set. A result that does not fit is refused
 * and its task stored `failed`. Expiry follows the injected clock (records
 * also carry a Redis TTL, so nothing is left behind). Not here: running the
 * work.
 * @module
 */

import { REDIS_DEFAULTS } from "../redis_defaults.ts";
import {
  applyTaskChange,
  isExpired,
  isTerminal,
  positiveStoreOption,
  principalOfOwner,
  refuseResult,
  type ResultBudget,
  resultBudgetOf,
  type StoredTask,
  type TaskChange,
  type TaskStore,
} from "../../extensions/tasks/task_store.ts";
import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import {
  CHANGE,
  CREATE,
  RELEASE_RESULT,
  RESERVE_ALL,
  RESERVE_OWNER,
  RESERVE_RESULT,
} from "./task_store_scripts.ts";

const DEFAULT = REDIS_DEFAULTS.RedisTaskStoreOptions;

/**
 * Options of the Redis task store (`createRedisBackend`'s `taskStore`).
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
   * @default {"tether:"}
   */
  prefix?: string;
  /**
   * Most tasks kept at once, all owners and instances together.
   * @default {100_000}
   */
  maxTasks?: number;
  /**
   * Most bytes of results kept at once, all tasks and instances together
   * (bytes of their JSON). A result that does not fit is not kept: its task
   * ends `failed` ("result budget is full") until older results expire.
   * @default {268_435_456}
   */
  maxTotalResultBytes?: number;
  /**
   * Most bytes of results one principal's tasks keep at once, all
   * instances together (every anonymous caller together is one principal):
   * past it that principal's results fail as a full `maxTotalResultBytes`
   * does, until its older results expire, while other principals' are still
   * kept. Set it to `maxTotalResultBytes` to turn the share off.
   * @default a quarter of maxTotalResultBytes (64 MiB)
   */
  maxResultBytesPerPrincipal?: number;
  /**
   * The clock (ms), for expiry; the same on every instance.
   * @default Date.now
   */
  now?: () => number;
  /** Called by `close()` (e.g. to quit a client the store owns). */
  onClose?: () => Promise<void> | void;
  /**
   * Called with a task's key once it is created; resolves once a replica
   * has it (`createRedisBackend`'s `waitForReplicaMs` passes one that sends
   * `WAIT`), rejects to fail the request closed. Default: none (no wait).
   */
  waitForReplica?: (key: string) => Promise<void>;
}

/** How many times a change is tried against concurrent writers before it gives up. */
const MAX_ATTEMPTS = 16;

/** Tasks in Redis, shared by every instance with the same prefix. */
export class RedisTaskStore implements TaskStore {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #maxTasks: number;
  readonly #budget: ResultBudget;
  readonly #now: () => number;
  readonly #onClose: (() => Promise<void> | void) | undefined;
  readonly #waitForReplica: ((key: string) => Promise<void>) | undefined;

  /** A store on `redis`; throws a `RangeError` on a bound that is not a positive integer. */
  constructor(redis: RedisCommands, options: RedisTaskStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? DEFAULT.prefix;
    const name = "RedisTaskStore";
    this.#maxTasks = positiveStoreOption(name, "maxTasks", options.maxTasks, DEFAULT.maxTasks);
    this.#budget = resultBudgetOf(name, options);
    this.#now = options.now ?? Date.now;
    this.#onClose = options.onClose;
    this.#waitForReplica = options.waitForReplica;
  }

  /** Stores a new task unless its owner has `maxPerOwner` unfinished ones (or the store is full). */
  async create(task: StoredTask, maxPerOwner: number): Promise<boolean> {
    const now = this.#now();
    // A new task has no result; one given anyway is not kept (results are written by a change).
    const { result: _result, ...record } = task;
    const expiresAt = task.createdAt + task.ttlMs;
    // The Redis TTL is a backstop for the injected clock: a little longer, never shorter.
    const recordTtl = Math.max(1, expiresAt - now) + 1_000;
    const owner = [this.#ownerKey(task.ownerKey), this.#activeKey(task.ownerKey)];
    const id = task.taskId;
    const ownerPlace = await RESERVE_OWNER.run(this.#redis, owner, [
      String(now),
      String(maxPerOwner),
      String(expiresAt),
      id,
      String(recordTtl),
    ]);
    if (Number(ownerPlace) !== 1) return false;
    let created = false;
    try {
      const all = await RESERVE_ALL.run(this.#redis, [this.#global("all")], [
        String(now),
        String(this.#maxTasks),
        String(expiresAt),
        id,
        String(recordTtl),
      ]);
      if (Number(all) !== 1) return false;
      try {
        created = Number(
          await CREATE.run(this.#redis, [this.#taskKey(id)], [
            JSON.stringify(record),
            String(recordTtl),
          ]),
        ) === 1;
      } finally {
        if (!created) await this.#redis.sendCommand(["ZREM", this.#global("all"), id]);
      }
      if (created) await this.#waitForReplica?.(this.#taskKey(id));
      return created;
    } finally {
      if (!created) {
        await Promise.all(owner.map((key) => this.#redis.sendCommand(["ZREM", key, id])));
      }
    }
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
    const budget = [
      "results",
      "result-sizes",
      "result-bytes",
      "result-principals",
      "principal-bytes",
    ]
      .map((name) => this.#global(name));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const json = await this.#redis.sendCommand(["GET", this.#taskKey(taskId)]);
      const task = this.#parse(json);
      if (task === undefined) return undefined;
      const next = applyTaskChange(task, change, this.#now());
      if (next === undefined) return await this.get(taskId);
      const { result, ...changed } = next;
      let record: StoredTask = changed;
      const resultJson = result === undefined ? "" : JSON.stringify(result);
      let reserved = false;
      const reservation = `${taskId}/${crypto.randomUUID()}`;
      if (resultJson !== "") {
        reserved = Number(
          await RESERVE_RESULT.run(this.#redis, budget, [
            reservation,
            String(utf8Length(resultJson)),
            String(task.createdAt + task.ttlMs),
            String(this.#now()),
            String(this.#budget.total),
            String(Math.max(1, task.createdAt + task.ttlMs - this.#now()) + 1_000),
            principalOfOwner(task.ownerKey),
            String(this.#budget.perPrincipal),
          ]),
        ) === 1;
        if (!reserved) record = refuseResult(changed);
      }
      const written = Number(
        await CHANGE.run(this.#redis, [this.#taskKey(taskId), this.#resultKey(taskId)], [
          json as string,
          JSON.stringify(record),
          reserved ? resultJson : "",
        ]),
      ) === 1;
      if (!written) {
        if (reserved) await RELEASE_RESULT.run(this.#redis, budget, [reservation]);
        continue;
      }
      if (isTerminal(record.status) && !isTerminal(task.status)) {
        await this.#redis.sendCommand(["ZREM", this.#activeKey(task.ownerKey), taskId]);
      }
      return reserved || resultJson === "" ? next : record;
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
    // One GET per task (each its own slot on a Cluster), sent together.
    const records = await Promise.all(
      ids.map((id) => this.#redis.sendCommand(["GET", this.#taskKey(id)])),
    );
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
    return `${this.#prefix}task:{t:${taskId}}`;
  }

  #resultKey(taskId: string): string {
    return `${this.#prefix}task-result:{t:${taskId}}`;
  }

  #ownerKey(ownerKey: string): string {
    return `${this.#prefix}task-owner:{o:${ownerKey}}`;
  }

  #activeKey(ownerKey: string): string {
    return `${this.#prefix}task-active:{o:${ownerKey}}`;
  }

  /** A key of the deployment's task books (`all`, the result budget's). */
  #global(name: string): string {
    return `${this.#prefix}{tasks}:${name}`;
  }
}
