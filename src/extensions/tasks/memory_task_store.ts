/**
 * The in-process {@linkcode TaskStore}: the default, for one instance. Bounded
 * by a per-owner cap on unfinished tasks (given by the caller), a total cap
 * on tasks, and a total byte budget on results with a share per principal:
 * a result that does not fit either is refused and its task stored
 * `failed` (results already kept are never pushed out). Results are kept
 * as JSON text, apart from the records, so listing never touches them.
 * Expired tasks are dropped when met and when room is needed. Not shared
 * between instances: use the Redis store (`@tether/mcp/redis`) for that.
 * @module
 */

import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import { TASKS_DEFAULTS } from "./tasks_defaults.ts";
import {
  applyTaskChange,
  isExpired,
  isUnfinished,
  positiveStoreOption,
  principalOfOwner,
  refuseResult,
  type ResultBudget,
  resultBudgetOf,
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
   * @default {10_000}
   */
  maxTasks?: number;
  /**
   * Most bytes of results kept at once, all tasks together (UTF-8 bytes of
   * their JSON). A result that does not fit is not kept: its task ends
   * `failed` ("result budget is full") until older results expire.
   * @default {268_435_456}
   */
  maxTotalResultBytes?: number;
  /**
   * Most bytes of results one principal's tasks keep at once (every
   * anonymous caller together is one principal): past it that principal's
   * results fail as a full `maxTotalResultBytes` does, until its older
   * results expire, while other principals' are still kept. Set it to
   * `maxTotalResultBytes` to turn the share off (a server without
   * authentication, whose callers are all the anonymous principal).
   * @default a quarter of maxTotalResultBytes (64 MiB)
   */
  maxResultBytesPerPrincipal?: number;
  /**
   * The clock (ms), for expiry.
   * @default Date.now
   */
  now?: () => number;
}

/** A kept result: its JSON, that JSON's UTF-8 size, and whose share it counts against. */
interface KeptResult {
  json: string;
  bytes: number;
  principal: string;
}

/** Tasks in a `Map`, with an index by owner; results in another `Map`. */
export class MemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, StoredTask>();
  readonly #results = new Map<string, KeptResult>();
  readonly #byOwner = new Map<string, Set<string>>();
  /** Bytes of kept results by principal; a principal holding none has no entry. */
  readonly #bytesByPrincipal = new Map<string, number>();
  readonly #maxTasks: number;
  readonly #budget: ResultBudget;
  readonly #now: () => number;
  #resultBytes = 0;

  /** An empty store; throws a `RangeError` on a bound that is not a positive integer. */
  constructor(options: MemoryTaskStoreOptions = {}) {
    const name = "MemoryTaskStore";
    this.#maxTasks = positiveStoreOption(
      name,
      "maxTasks",
      options.maxTasks,
      TASKS_DEFAULTS.MemoryTaskStoreOptions.maxTasks,
    );
    this.#budget = resultBudgetOf(name, options);
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
    if (result !== undefined) this.#keep(record, result);
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
    const stored = result === undefined || this.#keep(record, result)
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
    this.#bytesByPrincipal.clear();
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

  /**
   * Keeps `result` for `task` when it fits in the budget and in its
   * principal's share (expired results are dropped first); false when not.
   */
  #keep(task: StoredTask, result: Record<string, unknown>): boolean {
    const json = JSON.stringify(result);
    const bytes = utf8Length(json);
    const principal = principalOfOwner(task.ownerKey);
    if (!this.#fits(principal, bytes)) this.#sweep();
    if (!this.#fits(principal, bytes)) return false;
    this.#results.set(task.taskId, { json, bytes, principal });
    this.#resultBytes += bytes;
    this.#bytesByPrincipal.set(principal, (this.#bytesByPrincipal.get(principal) ?? 0) + bytes);
    return true;
  }

  /** True when `bytes` more of `principal`'s fit in the total and in its share. */
  #fits(principal: string, bytes: number): boolean {
    const held = this.#bytesByPrincipal.get(principal) ?? 0;
    return this.#resultBytes + bytes <= this.#budget.total &&
      held + bytes <= this.#budget.perPrincipal;
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
      const held = (this.#bytesByPrincipal.get(kept.principal) ?? 0) - kept.bytes;
      if (held > 0) this.#bytesByPrincipal.set(kept.principal, held);
      else this.#bytesByPrincipal.delete(kept.principal);
    }
    const ids = this.#byOwner.get(task.ownerKey);
    ids?.delete(task.taskId);
    if (ids?.size === 0) this.#byOwner.delete(task.ownerKey);
  }
}
