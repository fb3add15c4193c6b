/**
 * The in-process {@linkcode TaskStore}: the default, for one instance. Bounded
 * by a per-owner cap (given by the caller) and a total cap; expired tasks are
 * dropped when met and when room is needed. Not shared between instances: use
 * the Redis store (`@tether/mcp/redis`) for that.
 * @module
 */

import {
  applyTaskChange,
  isExpired,
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
 * const store = new MemoryTaskStore({ maxTasks: 1_000 });
 * ```
 */
export interface MemoryTaskStoreOptions {
  /**
   * Most tasks kept at once, all owners together.
   * @default 10000
   */
  maxTasks?: number;
  /**
   * The clock (ms), for expiry.
   * @default Date.now
   */
  now?: () => number;
}

/** Tasks in a `Map`, with an index by owner. */
export class MemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, StoredTask>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #maxTasks: number;
  readonly #now: () => number;

  /** An empty store. */
  constructor(options: MemoryTaskStoreOptions = {}) {
    this.#maxTasks = options.maxTasks ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Stores a new task unless its owner is at `maxPerOwner` (or the store is full). */
  create(task: StoredTask, maxPerOwner: number): Promise<boolean> {
    const owned = this.#live(task.ownerKey);
    if (owned.length >= maxPerOwner) return Promise.resolve(false);
    if (this.#tasks.size >= this.#maxTasks) this.#sweep();
    if (this.#tasks.size >= this.#maxTasks) return Promise.resolve(false);
    this.#tasks.set(task.taskId, structuredClone(task));
    let ids = this.#byOwner.get(task.ownerKey);
    if (ids === undefined) this.#byOwner.set(task.ownerKey, ids = new Set());
    ids.add(task.taskId);
    return Promise.resolve(true);
  }

  /** The task; undefined when unknown or expired. */
  get(taskId: string): Promise<StoredTask | undefined> {
    const task = this.#find(taskId);
    return Promise.resolve(task === undefined ? undefined : structuredClone(task));
  }

  /** Applies `change` atomically; the task as it then is. */
  change(taskId: string, change: TaskChange): Promise<StoredTask | undefined> {
    const task = this.#find(taskId);
    if (task === undefined) return Promise.resolve(undefined);
    const next = applyTaskChange(task, structuredClone(change), this.#now());
    if (next !== undefined) this.#tasks.set(taskId, next);
    return Promise.resolve(structuredClone(next ?? task));
  }

  /** The owner's live tasks, oldest first. */
  list(ownerKey: string): Promise<StoredTask[]> {
    return Promise.resolve(this.#live(ownerKey).map((task) => structuredClone(task)));
  }

  /** Releases what the store holds. */
  close(): Promise<void> {
    this.#tasks.clear();
    this.#byOwner.clear();
    return Promise.resolve();
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
    const ids = this.#byOwner.get(task.ownerKey);
    ids?.delete(task.taskId);
    if (ids?.size === 0) this.#byOwner.delete(task.ownerKey);
  }
}
