/**
 * The in-process {@linkcode TaskStore}: the default, for one instance. Bounded
 * by a per-owner cap on unfinished tasks (given by the caller), a total cap
 * on tasks, and a total byte budget on results: a result that does not fit
 * is refused and its task stored `failed` (results already kept are never
 * pushed out). Results are kept as JSON text, apart from the records, so
 * listing never touches them. Expired tasks are dropped when met and when
 * room is needed. Not shared between instances: use the Redis store
 * (`@tether/mcp/redis`) for that.
 * @module
 */

import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import {
  applyTaskChange,
  isExpired,
  isUnfinished,
  positiveStoreOption,
  refuseResult,
  type StoredTask,
  type TaskChange,
  type TaskStore,
} from "./task_store.ts";

/**
 * Options of {@linkcode MemoryTaskStore}.
 *
 * @example
 * ```ts
 * import { MemoryTaskStore } from "@tether/mcp/tasks";
 * const store = new MemoryTaskStore({ maxTasks: 1_000, maxTotalResultBytes: 64 * 1024 * 1024 });
 * ```
 */
export interface MemoryTaskStoreOptions {
  /**
   * Most tasks kept at once, all owners together.
   * @default 10000
   */
  maxTasks?: number;
  /**
   * Most bytes of results kept at once, all tasks together (UTF-8 bytes of
   * their JSON). A result that does not fit is not kept: its task ends
   * `failed` ("result budget is full") until older results expire.
   * @default 268435456 (256 MiB)
   */
  maxTotalResultBytes?: number;
  /**
   * The clock (ms), for expiry.
   * @default Date.now
   */
  now?: () => number;
}

/** A kept result: its JSON and that JSON's UTF-8 size. */
interface KeptResult {
  json: string;
  bytes: number;
}

/** Tasks in a `Map`, with an index by owner; results in another `Map`. */
export class MemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, StoredTask>();
  readonly #results = new Map<string, KeptResult>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #maxTasks: number;
  readonly #maxResultBytes: number;
  readonly #now: () => number;
  #resultBytes = 0;

  /** An empty store; throws a `RangeError` on a bound that is not a positive integer. */
  constructor(options: MemoryTaskStoreOptions = {}) {
    const name = "MemoryTaskStore";
    this.#maxTasks = positiveStoreOption(name, "maxTasks", options.maxTasks, 10_000);
    this.#maxResultBytes = positiveStoreOption(
      name,
      "maxTotalResultBytes",
      options.maxTotalResultBytes,
      256 * 1024 * 1024,
    );
    this.#now = options.now ?? Date.now;
  }

  /** Stores a new task unless its owner has `maxPerOwner` unfinished ones (or the store is full). */
  create(task: StoredTask, maxPerOwner: number): Promise<boolean> {
    const unfinished = this.#live(task.ownerKey).filter(isUnfinished);
    if (unfinished.length >= maxPerOwner) return Promise.resolve(false);
    if (this.#tasks.size >= this.#maxTasks) this.#sweep();
    if (this.#tasks.size >= this.#maxTasks) return Promise.resolve(false);
    const { result, ...record } = structuredClone(task);
    this.#tasks.set(task.taskId, record);
    if (result !== undefined) this.#keep(task.taskId, result);
    let ids = this.#byOwner.get(task.ownerKey);
    if (ids === undefined) this.#byOwner.set(task.ownerKey, ids = new Set());
    ids.add(task.taskId);
    return Promise.resolve(true);
  }

  /** The task; undefined when unknown or expired. */
  get(taskId: string): Promise<StoredTask | undefined> {
    const task = this.#find(taskId);
    return Promise.resolve(task === undefined ? undefined : this.#withResult(task));
  }

  /** Applies `change` atomically; the task as it then is (failed when its result does not fit). */
  change(taskId: string, change: TaskChange): Promise<StoredTask | undefined> {
    const task = this.#find(taskId);
    if (task === undefined) return Promise.resolve(undefined);
    const next = applyTaskChange(task, structuredClone(change), this.#now());
    if (next === undefined) return Promise.resolve(this.#withResult(task));
    const { result, ...record } = next;
    const stored = result === undefined || this.#keep(taskId, result)
      ? record
      : refuseResult(record);
    this.#tasks.set(taskId, stored);
    return Promise.resolve(this.#withResult(stored));
  }

  /** The owner's live tasks, oldest first, without their results. */
  list(ownerKey: string): Promise<StoredTask[]> {
    return Promise.resolve(this.#live(ownerKey).map((task) => structuredClone(task)));
  }

  /** Releases what the store holds. */
  close(): Promise<void> {
    this.#tasks.clear();
    this.#results.clear();
    this.#byOwner.clear();
    this.#resultBytes = 0;
    return Promise.resolve();
  }

  /** A copy of `task` with its result, if one is kept. */
  #withResult(task: StoredTask): StoredTask {
    const copy = structuredClone(task);
    const kept = this.#results.get(task.taskId);
    if (kept !== undefined) copy.result = JSON.parse(kept.json);
    return copy;
  }

  /** Keeps `result` for `taskId` when it fits in the budget (expired results are dropped first); false when not. */
  #keep(taskId: string, result: Record<string, unknown>): boolean {
    const json = JSON.stringify(result);
    const bytes = utf8Length(json);
    if (this.#resultBytes + bytes > this.#maxResultBytes) this.#sweep();
    if (this.#resultBytes + bytes > this.#maxResultBytes) return false;
    this.#results.set(taskId, { json, bytes });
    this.#resultBytes += bytes;
    return true;
  }

  /** The task, unless expired (then it is dropped). */
  #find(taskId: string): StoredTask | undefined {
    const task = this.#tasks.get(taskId);
    if (task === undefined) return undefined;
    if (!isExpired(task, this.#now())) return task;
    this.#drop(task);
    return undefined;
  }

  /** The owner's unexpired tasks, oldest first (expired ones are dropped on the way). */
  #live(ownerKey: string): StoredTask[] {
    const live: StoredTask[] = [];
    for (const id of this.#byOwner.get(ownerKey) ?? []) {
      const task = this.#find(id);
      if (task !== undefined) live.push(task);
    }
    return live.sort((a, b) => a.createdAt - b.createdAt);
  }

  #sweep(): void {
    const now = this.#now();
    for (const task of this.#tasks.values()) if (isExpired(task, now)) this.#drop(task);
  }

  #drop(task: StoredTask): void {
    this.#tasks.delete(task.taskId);
    const kept = this.#results.get(task.taskId);
    if (kept !== undefined) {
      this.#results.delete(task.taskId);
      this.#resultBytes -= kept.bytes;
    }
    const ids = this.#byOwner.get(task.ownerKey);
    ids?.delete(task.taskId);
    if (ids?.size === 0) this.#byOwner.delete(task.ownerKey);
  }
}
