/**
 * A {@linkcode TaskStore} in Postgres, so any tether instance answers `tasks/get` (and
 * `tasks/update`, `tasks/cancel`, `tasks/result`, `tasks/list`) for a task another one runs, and
 * a task outlives the instance that created it. A row of `tether_tasks` per task: its record as
 * JSON text, its result apart (listing never reads one), and as columns its owner, principal,
 * whether it is unfinished, and its deadline (`createdAt + ttlMs`), which reads compare with the
 * injected clock. A create checks the owner's unfinished tasks and the namespace's tasks and
 * inserts in one step (a schema function, under the namespace's advisory lock); a change is one
 * transaction holding the task's row lock (concurrent changes queue, none is lost or retried),
 * the status machine (`applyTaskChange`) run here as in every store; a result is checked against
 * the total budget and its principal's share under the namespace's result lock, held until the
 * result is committed, so instances never pass a bound together. After a change commits, a
 * wake-up carrying the task's id tells every instance's watchers to read it now
 * ({@linkcode PostgresTaskStore.watch}); their polling stays, so a lost one costs latency only.
 * Expired rows are deleted by the backend's sweep (postgres_expiry.ts). Not here: running work.
 * @module
 */

import {
  applyTaskChange,
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
import type { PostgresGate, PostgresSql } from "../connection/postgres_gate.ts";
import type { Wakeups } from "../connection/postgres_wakeups.ts";
import { capOf, namespaceOf } from "../sessions/postgres_session_store.ts";
import { POSTGRES_DEFAULTS } from "../postgres_defaults.ts";

/**
 * Options of the Postgres task store (`createPostgresBackend`'s `taskStore`).
 *
 * @example
 * ```ts
 * import type { PostgresTaskStoreOptions } from "@tether/mcp/postgres";
 * const options: PostgresTaskStoreOptions = { maxTasks: 50_000, maxTotalResultBytes: 1024 ** 3 };
 * ```
 */
export interface PostgresTaskStoreOptions {
  /**
   * The namespace of the store's rows: stores of different namespaces never see each other's
   * tasks.
   * @default {"tether"}
   */
  namespace?: string;
  /**
   * Most live tasks kept at once, all owners and instances together.
   * @default {100_000}
   */
  maxTasks?: number;
  /**
   * Most bytes of results kept at once, all tasks and instances together (UTF-8 bytes of their
   * JSON). A result that does not fit is not kept: its task ends `failed` ("result budget is
   * full") until older results expire.
   * @default {268_435_456}
   */
  maxTotalResultBytes?: number;
  /**
   * Most bytes of results one principal's tasks keep at once, all instances together (every
   * anonymous caller together is one principal): past it that principal's results fail as a
   * full `maxTotalResultBytes` does, while other principals' are still kept. Set it to
   * `maxTotalResultBytes` to turn the share off.
   * @default a quarter of maxTotalResultBytes (64 MiB)
   */
  maxResultBytesPerPrincipal?: number;
  /**
   * The clock (ms), for expiry; the same on every instance (NTP).
   * @default Date.now
   */
  now?: () => number;
}

/** The wake-up channel of task changes (payload: the task's id). */
export const TASK_CHANNEL = "tether_tasks";

/** A task id longer than this is not sent in a wake-up (its watchers poll). */
const MAX_WAKE_ID_BYTES = 200;

/** A row as the store reads it. */
interface TaskRow {
  record: string;
  result?: string | null;
}

/**
 * Tasks in Postgres, shared by every instance on the same database and namespace: pass it as
 * `tasksExtension({ store })` (`createPostgresBackend` makes one as `taskStore`).
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { tasksExtension } from "@tether/mcp/tasks";
 * import { createPostgresBackend } from "@tether/mcp/postgres";
 *
 * const backend = await createPostgresBackend({ url: "postgres://app@127.0.0.1:5432/app" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   sessions: { store: backend.sessionStore },
 *   extensions: [tasksExtension({ store: backend.taskStore })],
 * });
 * ```
 */
export class PostgresTaskStore implements TaskStore {
  readonly #gate: PostgresGate;
  readonly #wakeups: Wakeups | undefined;
  readonly #namespace: string;
  readonly #maxTasks: number;
  readonly #budget: ResultBudget;
  readonly #now: () => number;
  readonly #watchers = new Map<string, Set<() => void>>();
  #unlisten: (() => void) | undefined;

  /**
   * A store whose statements pass `gate`, waking watchers through `wakeups` (none: watchers
   * poll only); throws a `RangeError` on a bound that is not a positive integer.
   */
  constructor(gate: PostgresGate, options: PostgresTaskStoreOptions = {}, wakeups?: Wakeups) {
    const name = "PostgresTaskStore";
    this.#gate = gate;
    this.#wakeups = wakeups;
    const DEFAULT = POSTGRES_DEFAULTS.PostgresTaskStoreOptions;
    this.#namespace = namespaceOf(options.namespace ?? DEFAULT.namespace);
    this.#maxTasks = positiveStoreOption(name, "maxTasks", options.maxTasks, DEFAULT.maxTasks);
    this.#budget = resultBudgetOf(name, {
      ...options,
      maxTotalResultBytes: options.maxTotalResultBytes ?? DEFAULT.maxTotalResultBytes,
    });
    this.#now = options.now ?? Date.now;
  }

  #run<T>(make: (sql: PostgresSql) => Promise<T>): Promise<T> {
    return this.#gate.run("task store", make);
  }

  /** Stores a new task unless its owner has `maxPerOwner` unfinished ones (or the store is full). */
  async create(task: StoredTask, maxPerOwner: number): Promise<boolean> {
    // A new task has no result; one given anyway is not kept (results are written by a change).
    const { result: _result, ...record } = task;
    const rows = await this.#run((sql) =>
      sql`SELECT tether_create_task(
        ${this.#namespace}, ${task.taskId}, ${task.ownerKey}, ${principalOfOwner(task.ownerKey)},
        ${JSON.stringify(record)}, ${task.createdAt}, ${task.createdAt + task.ttlMs},
        ${this.#now()}, ${this.#maxTasks}, ${capOf(maxPerOwner)}
      ) AS outcome`
    );
    return rows[0]?.outcome === "created";
  }

  /** The task (with its result); undefined when unknown or expired. */
  async get(taskId: string): Promise<StoredTask | undefined> {
    const rows = await this.#run((sql) =>
      sql`SELECT record, result FROM tether_tasks
      WHERE namespace = ${this.#namespace} AND id = ${taskId} AND expires_at > ${this.#now()}`
    );
    return taskOf(rows[0] as TaskRow | undefined);
  }

  /**
   * Applies `change` in one transaction holding the task's row lock; the task as it then is
   * (failed when its result does not fit the budget or its principal's share).
   */
  async change(taskId: string, change: TaskChange): Promise<StoredTask | undefined> {
    const outcome = await this.#gate.transaction("task store", async (sql) => {
      const now = this.#now();
      const rows = await sql`SELECT record, result FROM tether_tasks
        WHERE namespace = ${this.#namespace} AND id = ${taskId} AND expires_at > ${now}
        FOR UPDATE`;
      const task = taskOf(rows[0] as TaskRow | undefined);
      if (task === undefined) return { task: undefined, changed: false };
      const next = applyTaskChange(task, change, now);
      if (next === undefined) return { task, changed: false };
      const { result, ...changed } = next;
      let record: StoredTask = changed;
      let resultJson: string | null = null;
      if (result !== undefined) {
        const json = JSON.stringify(result);
        const bytes = utf8Length(json);
        const fits = await sql`SELECT tether_task_result_fits(
          ${this.#namespace}, ${principalOfOwner(task.ownerKey)}, ${bytes}, ${now},
          ${this.#budget.total}, ${this.#budget.perPrincipal}
        ) AS fits`;
        if (fits[0]?.fits === true) resultJson = json;
        else record = refuseResult(changed);
      }
      const bytes = resultJson === null ? 0 : utf8Length(resultJson);
      await sql`UPDATE tether_tasks SET
        record = ${JSON.stringify(record)},
        unfinished = ${!isTerminal(record.status)},
        result = coalesce(${resultJson}::text, result),
        result_bytes = CASE WHEN ${resultJson}::text IS NULL THEN result_bytes ELSE ${bytes} END
        WHERE namespace = ${this.#namespace} AND id = ${taskId}`;
      const stored = resultJson === null ? record : { ...record, result: JSON.parse(resultJson) };
      return { task: stored, changed: true };
    });
    if (outcome.changed) this.#wake(taskId);
    return outcome.task;
  }

  /** The owner's live tasks, oldest first, without their results (no result is read). */
  async list(ownerKey: string): Promise<StoredTask[]> {
    const rows = await this.#run((sql) =>
      sql`SELECT record FROM tether_tasks
      WHERE namespace = ${this.#namespace} AND owner_key = ${ownerKey}
        AND expires_at > ${this.#now()}
      ORDER BY created_at, id`
    );
    return rows.map((row) => JSON.parse(String(row.record)) as StoredTask);
  }

  /**
   * Calls `wake` each time `taskId` was changed, by any instance on the namespace's database
   * (and once after the listening connection listens again, since a change may have been
   * missed meanwhile); returns the unsubscribe. Without wake-ups (polling-only) it never calls:
   * the watcher's own polling finds changes.
   */
  watch(taskId: string, wake: () => void): () => void {
    let set = this.#watchers.get(taskId);
    if (set === undefined) this.#watchers.set(taskId, set = new Set());
    set.add(wake);
    // Subscribed once, for the store's life: a channel subscribed afresh makes the listening
    // connection listen again and wake every subscriber, which each first task would repeat.
    this.#unlisten ??= this.#wakeups?.on(TASK_CHANNEL, (id) => this.#dispatch(id));
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.#watchers.get(taskId) === set) this.#watchers.delete(taskId);
    };
  }

  /** Stops listening for wake-ups; the backend owns the connections (`backend.close()`). */
  close(): Promise<void> {
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.#watchers.clear();
    return Promise.resolve();
  }

  /** Sends the wake-up of `taskId`'s change (after its commit). */
  #wake(taskId: string): void {
    if (this.#wakeups === undefined || utf8Length(taskId) > MAX_WAKE_ID_BYTES) return;
    this.#wakeups.notify(TASK_CHANNEL, taskId);
  }

  /** Wakes the watchers of `id` (every watcher for `""`: the listener listens again). */
  #dispatch(id: string): void {
    const sets = id === "" ? [...this.#watchers.values()] : [this.#watchers.get(id)];
    for (const set of sets) {
      for (const wake of set ?? []) {
        try {
          wake();
        } catch { /* a watcher's failure is its own */ }
      }
    }
  }
}

/** The task of a row, with its result when one is kept; undefined for no row. */
function taskOf(row: TaskRow | undefined): StoredTask | undefined {
  if (row === undefined) return undefined;
  const task = JSON.parse(row.record) as StoredTask;
  if (typeof row.result === "string") task.result = JSON.parse(row.result);
  return task;
}
