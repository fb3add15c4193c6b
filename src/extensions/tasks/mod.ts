/**
 * `@tether/mcp/tasks`: the tasks extension (`io.modelcontextprotocol/tasks`,
 * SEP-2663) for the `extensions` option of `createMcpHandler`. A tool that
 * declares `task` runs as a task when the client can take one: the call
 * answers at once with a task id and the client polls for the outcome.
 * Kept apart from `@tether/mcp` so a server without tasks loads none of
 * their code (a Worker bundles less, and a served call on Node counted
 * about 6% more instructions with it loaded: bench/lab/instructions.ts).
 *
 * @example
 * ```ts
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import { tasksExtension } from "@tether/mcp/tasks";
 *
 * const handler = createMcpHandler({
 *   name: "reports",
 *   version: "1.0.0",
 *   extensions: [tasksExtension({ ttlMs: 30 * 60_000 })],
 *   tools: [defineTool({
 *     name: "yearly_report",
 *     description: "Builds a year's report",
 *     task: "optional",
 *     handler: () => "done",
 *   })],
 * });
 * ```
 * @module
 */

export { TASKS_EXTENSION_ID, tasksExtension, type TasksOptions } from "./tasks_extension.ts";
export { runAsTask, type TaskWorkFunction } from "./run_as_task.ts";
export { TaskStoreRecoveredError } from "./task_runner.ts";
export {
  applyTaskChange,
  isTerminal,
  isUnfinished,
  principalOfOwner,
  refuseResult,
  RESULT_BUDGET_FULL,
  type ResultBudget,
  resultBudgetOf,
  type StoredTask,
  type TaskChange,
  type TaskInputRequest,
  type TaskStatus,
  type TaskStore,
} from "./task_store.ts";
export { MemoryTaskStore, type MemoryTaskStoreOptions } from "./memory_task_store.ts";
