/**
 * The task store seam: where tasks (the tasks extension's long-running tool
 * calls) are kept, so any instance can answer for a task another one runs.
 * A task is one JSON record; every change is one of four {@linkcode TaskChange}s,
 * applied by the pure {@linkcode applyTaskChange} (stores only make it
 * atomic), so the status machine is the same whatever the store. Expiry
 * is by the injected clock: a task is gone `ttlMs` after its creation.
 * Stores keep a result apart from its task's record, within a total byte
 * budget and each principal's share of it ({@linkcode resultBudgetOf}): a
 * result that does not fit either is refused, and its task is stored
 * `failed` instead ({@linkcode refuseResult}), so no finished task pushes
 * another one's result out and no principal fills everyone's budget.
 * Listing reads records only, never results.
 * Not here: running the work (task_runner.ts) and the wire (tasks_extension.ts).
 * @module
 */

import { TASKS_DEFAULTS } from "./tasks_defaults.ts";

/**
 * Where a task stands. `working` ⇄ `input_required`, then one of the
 * terminal three, which never change again.
 *
 * @example
 * ```ts
 * import type { TaskStatus } from "@tether/mcp/tasks";
 * const done = (status: TaskStatus): boolean => status === "completed";
 * ```
 */
export type TaskStatus = "working" | "input_required" | "completed" | "failed" | "cancelled";

/** True for `completed`, `failed` and `cancelled`. */
export function isTerminal(status: TaskStatus): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}

/**
 * A request the task's tool is waiting on the client to answer (`elicitation/create`, ...).
 *
 * @example
 * ```ts
 * import type { TaskInputRequest } from "@tether/mcp/tasks";
 * const ask: TaskInputRequest = { method: "elicitation/create", params: { message: "Sure?", requestedSchema: { type: "object", properties: {} } } };
 * ```
 */
export interface TaskInputRequest {
  /** The request's method. */
  method: string;
  /** Its params. */
  params: Record<string, unknown>;
}

/**
 * One task as stored. Times are milliseconds since the epoch.
 *
 * @example
 * ```ts
 * import type { StoredTask } from "@tether/mcp/tasks";
 * const task: StoredTask = { taskId: "t1", ownerKey: "user:alice", status: "working", createdAt: 0, lastUpdatedAt: 0, ttlMs: 60_000, pollIntervalMs: 1_000 };
 * ```
 */
export interface StoredTask {
  /** The task's id (unguessable). */
  taskId: string;
  /** Who created it (`ownerKeyOf(principal)`): only they may see or change it. */
  ownerKey: string;
  /** Where it stands. */
  status: TaskStatus;
  /** A human-readable note on the status (why it failed, ...). */
  statusMessage?: string;
  /** When it was created. */
  createdAt: number;
  /** When its status or input last changed. */
  lastUpdatedAt: number;
  /** How long after `createdAt` it is kept. */
  ttlMs: number;
  /** How often a client should poll it. */
  pollIntervalMs: number;
  /** The tool's result, once `completed`. */
  result?: Record<string, unknown>;
  /** The protocol error, once `failed`. */
  error?: { code: number; message: string; data?: unknown };
  /** What the tool waits for, by key, while `input_required`. */
  inputRequests?: Record<string, TaskInputRequest>;
  /** Answers given and not yet taken by the running tool, by key. */
  inputResponses?: Record<string, Record<string, unknown>>;
  /**
   * Until when the instance running it vouches for it (renewed while it runs):
   * a task still unfinished after that was lost with its instance.
   */
  leaseUntil?: number;
}

/**
 * One change to a task: the tool `ask`s for input, the client `answer`s,
 * the runner `take`s the answers and `renew`s its lease, the task `settle`s
 * (completes, fails or is cancelled).
 *
 * @example
 * ```ts
 * import type { TaskChange } from "@tether/mcp/tasks";
 * const cancel: TaskChange = { type: "settle", status: "cancelled" };
 * ```
 */
export type TaskChange =
  | { type: "ask"; key: string; request: TaskInputRequest }
  | { type: "answer"; responses: Record<string, Record<string, unknown>> }
  | { type: "take"; keys: readonly string[] }
  | { type: "renew"; leaseUntil: number }
  | {
    type: "settle";
    status: "completed" | "failed" | "cancelled";
    result?: Record<string, unknown>;
    error?: { code: number; message: string; data?: unknown };
    statusMessage?: string;
  };

/**
 * The task after `change` at time `now`; undefined when the change does not
 * apply (a terminal task never changes but for `take`; an answer to no
 * pending key changes nothing). Pure: the input is never modified.
 *
 * @example
 * ```ts
 * import { applyTaskChange, type StoredTask } from "@tether/mcp/tasks";
 * const task: StoredTask = { taskId: "t1", ownerKey: "anonymous", status: "working", createdAt: 0, lastUpdatedAt: 0, ttlMs: 1_000, pollIntervalMs: 100 };
 * applyTaskChange(task, { type: "settle", status: "cancelled" }, 5)?.status; // "cancelled"
 * ```
 */
export function applyTaskChange(
  task: StoredTask,
  change: TaskChange,
  now: number,
): StoredTask | undefined {
  switch (change.type) {
    case "ask": {
      if (isTerminal(task.status)) return undefined;
      return {
        ...task,
        status: "input_required",
        lastUpdatedAt: now,
        inputRequests: { ...task.inputRequests, [change.key]: change.request },
      };
    }
    case "answer": {
      if (isTerminal(task.status) || task.inputRequests === undefined) return undefined;
      const pending = { ...task.inputRequests };
      const responses = { ...task.inputResponses };
      let answered = false;
      for (const key of Object.keys(change.responses)) {
        if (!Object.hasOwn(pending, key)) continue;
        responses[key] = change.responses[key];
        delete pending[key];
        answered = true;
      }
      if (!answered) return undefined;
      const next: StoredTask = { ...task, lastUpdatedAt: now, inputResponses: responses };
      if (Object.keys(pending).length === 0) {
        delete next.inputRequests;
        next.status = "working";
      } else next.inputRequests = pending;
      return next;
    }
    case "take": {
      if (task.inputResponses === undefined) return undefined;
      const responses = { ...task.inputResponses };
      for (const key of change.keys) delete responses[key];
      const next: StoredTask = { ...task, inputResponses: responses };
      if (Object.keys(responses).length === 0) delete next.inputResponses;
      return next;
    }
    case "renew": {
      if (isTerminal(task.status)) return undefined;
      return { ...task, leaseUntil: change.leaseUntil };
    }
    case "settle": {
      if (isTerminal(task.status)) return undefined;
      const next: StoredTask = { ...task, status: change.status, lastUpdatedAt: now };
      delete next.inputRequests;
      delete next.inputResponses;
      delete next.leaseUntil;
      if (change.result !== undefined) next.result = change.result;
      if (change.error !== undefined) next.error = change.error;
      if (change.statusMessage !== undefined) next.statusMessage = change.statusMessage;
      return next;
    }
  }
}

/** True when `task` is unfinished and the instance running it has not renewed its lease by `now`. */
export function isOrphaned(task: StoredTask, now: number): boolean {
  return !isTerminal(task.status) && task.leaseUntil !== undefined && now >= task.leaseUntil;
}

/** True when `task` has outlived its TTL at `now`. */
export function isExpired(task: StoredTask, now: number): boolean {
  return now >= task.createdAt + task.ttlMs;
}

/** True when `task` is working or waiting on input: what counts against its owner's cap. */
export function isUnfinished(task: StoredTask): boolean {
  return !isTerminal(task.status);
}

/**
 * The message of a task whose result did not fit in the store's result
 * budget, or in its principal's share of it (its `error`, code `-32603`;
 * the same words either way, so a refusal tells nothing of others' results).
 */
export const RESULT_BUDGET_FULL =
  "The task finished, but its result could not be kept: the task store's result budget is full";

/**
 * `task` (just settled `completed` with a `result`) as it is stored when its
 * result does not fit in the store's budget: `failed`, with
 * {@linkcode RESULT_BUDGET_FULL}, and no result.
 *
 * @example
 * ```ts
 * import { refuseResult, type StoredTask } from "@tether/mcp/tasks";
 * const done: StoredTask = { taskId: "t1", ownerKey: "anonymous", status: "completed", createdAt: 0, lastUpdatedAt: 5, ttlMs: 1_000, pollIntervalMs: 100, result: { content: [] } };
 * refuseResult(done).status; // "failed"
 * ```
 */
export function refuseResult(task: StoredTask): StoredTask {
  const refused: StoredTask = {
    ...task,
    status: "failed",
    error: { code: -32603, message: RESULT_BUDGET_FULL },
  };
  delete refused.result;
  return refused;
}

/**
 * The principal whose share of the result budget `ownerKey`'s results count
 * against: the owner key itself, except that every anonymous owner
 * (`anonymous`, and `anonymous:<digest>`, one per anonymous session) is the
 * one anonymous principal, since an anonymous caller can open sessions at will.
 *
 * @example
 * ```ts
 * import { principalOfOwner } from "@tether/mcp/tasks";
 * principalOfOwner("anonymous:5f3a"); // "anonymous"
 * principalOfOwner("user:alice"); // "user:alice"
 * ```
 */
export function principalOfOwner(ownerKey: string): string {
  return ownerKey.startsWith("anonymous:") ? "anonymous" : ownerKey;
}

/**
 * The result bounds of a task store: all results together, and one
 * principal's ({@linkcode principalOfOwner}) results together.
 *
 * @example
 * ```ts
 * import type { ResultBudget } from "@tether/mcp/tasks";
 * const budget: ResultBudget = { total: 1024 ** 2, perPrincipal: 256 * 1024 };
 * ```
 */
export interface ResultBudget {
  /** Most bytes of results kept at once, all tasks together. */
  total: number;
  /** Most bytes of results one principal's tasks keep at once. */
  perPrincipal: number;
}

/** The stores' default total result budget (the table's, tasks_defaults.ts). */
const DEFAULT_MAX_TOTAL_RESULT_BYTES = TASKS_DEFAULTS.MemoryTaskStoreOptions.maxTotalResultBytes;

/**
 * A principal's default share of the total result budget, `1/parts` of it:
 * a quarter, as a principal's share of the sessions and of the calls in
 * flight, so one account, or the anonymous callers and one account
 * together, never hold the whole budget, while one result as large as a
 * quarter of it still fits.
 */
const DEFAULT_RESULT_SHARE_PARTS = 4;

/**
 * A store's {@linkcode ResultBudget} from its options (`maxTotalResultBytes`,
 * default 256 MiB; `maxResultBytesPerPrincipal`, default a quarter of the
 * total, at least 1); throws a `RangeError` naming the store and option on
 * one that is not a positive integer. A share above the total is allowed:
 * the total then binds (a share equal to the total turns the share off).
 *
 * @example
 * ```ts
 * import { resultBudgetOf } from "@tether/mcp/tasks";
 * resultBudgetOf("MyTaskStore", { maxTotalResultBytes: 1_000 }).perPrincipal; // 250
 * ```
 */
export function resultBudgetOf(
  store: string,
  options: { maxTotalResultBytes?: number; maxResultBytesPerPrincipal?: number },
): ResultBudget {
  const total = positiveStoreOption(
    store,
    "maxTotalResultBytes",
    options.maxTotalResultBytes,
    DEFAULT_MAX_TOTAL_RESULT_BYTES,
  );
  const perPrincipal = positiveStoreOption(
    store,
    "maxResultBytesPerPrincipal",
    options.maxResultBytesPerPrincipal,
    Math.max(1, Math.floor(total / DEFAULT_RESULT_SHARE_PARTS)),
  );
  return { total, perPrincipal };
}

/**
 * A store option's value: `fallback` when absent, else `value` if it is a
 * positive integer; throws a `RangeError` naming the store and option otherwise.
 */
export function positiveStoreOption(
  store: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${store} option ${name} must be a positive integer (got ${value})`);
  }
  return value;
}

/**
 * Where tasks are kept. Async, so it may live elsewhere (Redis); every
 * method may reject when the storage is unreachable, and the tasks
 * extension then fails closed (`-32603`, no task started or changed).
 *
 * @example
 * ```ts
 * import { MemoryTaskStore, type TaskStore } from "@tether/mcp/tasks";
 * const store: TaskStore = new MemoryTaskStore();
 * ```
 */
export interface TaskStore {
  /**
   * Stores a new task, durably: `get` finds it once this resolves. False
   * (nothing stored) when its owner already has `maxPerOwner` unfinished
   * tasks ({@linkcode isUnfinished}; finished ones do not count), or the
   * store is full.
   */
  create(task: StoredTask, maxPerOwner: number): Promise<boolean>;
  /** The task; undefined when unknown or expired. */
  get(taskId: string): Promise<StoredTask | undefined>;
  /**
   * Applies `change` atomically ({@linkcode applyTaskChange}) and returns the
   * task as it then is (unchanged when the change did not apply); undefined
   * when unknown or expired. A result that does not fit in the store's
   * result budget, or in its owner's principal's share of it
   * ({@linkcode resultBudgetOf}), is not kept: the task is stored
   * {@linkcode refuseResult}.
   */
  change(taskId: string, change: TaskChange): Promise<StoredTask | undefined>;
  /** The owner's live tasks, oldest first, without their results (listing reads no result). */
  list(ownerKey: string): Promise<StoredTask[]>;
  /**
   * Optional: calls `wake` when `taskId` may have been changed by another instance (a cancel,
   * an answer), so the instance running it reads it now instead of at its next poll; returns
   * the unsubscribe. A hint only: the runner polls as well, so a lost wake costs latency.
   */
  watch?(taskId: string, wake: () => void): () => void;
  /** Releases what the store holds (connections it owns). */
  close?(): Promise<void>;
}
