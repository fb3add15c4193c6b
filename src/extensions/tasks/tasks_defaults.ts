/**
 * The one table of the tasks subpath's defaults (`@tether/mcp/tasks`), by
 * option type and field: the extension and the memory store read their
 * defaults here and nowhere else, and every numeric `@default` of those types
 * matches it (scripts/options_reference.ts checks; docs/options.md lists them).
 * @module
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const SECOND = 1000;

/**
 * The defaults of `tasksExtension()` and `MemoryTaskStore`, by option type and field.
 * `MemoryTaskStoreOptions.maxTotalResultBytes` is every store's default result budget
 * (`resultBudgetOf`), the Redis store's too.
 *
 * @example
 * ```ts
 * import { TASKS_DEFAULTS } from "./tasks_defaults.ts";
 * TASKS_DEFAULTS.TasksOptions.ttlMs; // 3_600_000
 * ```
 */
export const TASKS_DEFAULTS = {
  TasksOptions: {
    ttlMs: 3_600 * SECOND,
    pollIntervalMs: SECOND,
    maxTasksPerPrincipal: 100,
    maxResultBytes: MiB,
    watchIntervalMs: 250,
    leaseMs: 30 * SECOND,
  },
  MemoryTaskStoreOptions: {
    maxTasks: 10_000,
    maxTotalResultBytes: 256 * MiB,
  },
} as const;
