/**
 * `runAsTask(work)`: what a tool declared with `task: { support, start:
 * "handler" }` returns to become a task after its own synchronous part (for
 * instance once it has gathered input over 2026-07-28 input rounds). Where
 * the client cannot take a task, the work runs inline and its result is the
 * call's. Only the brand and the shape of the work live here.
 * @module
 */

import type { HandlerContext } from "../../protocol/context/request_context.ts";
import {
  type DeferredResult,
  deferResult,
  isDeferredResult,
} from "../../protocol/definitions/deferred_result.ts";
import type { CallToolResult } from "../../protocol/types.ts";

/**
 * The rest of a tool's work, run as a task. Its `ctx` is the task's: its
 * signal aborts on `tasks/cancel`, `ctx.elicit` parks the task in
 * `input_required`. A thrown `McpError` fails the task (a protocol error);
 * anything else thrown is a tool error (`isError: true`), as in a call.
 *
 * @example
 * ```ts
 * import type { TaskWorkFunction } from "@tether/mcp/tasks";
 * const work: TaskWorkFunction = (ctx) => ctx.signal.aborted ? "stopped" : "done";
 * ```
 */
export type TaskWorkFunction = (
  ctx: HandlerContext,
) => string | CallToolResult | Promise<string | CallToolResult>;

const TASK_WORK = Symbol.for("tether.taskWork");

interface TaskWorkCarrier {
  [TASK_WORK]: TaskWorkFunction;
}

/**
 * Turns the rest of a tool call into a task (see {@linkcode TaskWorkFunction}).
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * import { runAsTask } from "@tether/mcp/tasks";
 * export const report = defineTool({
 *   name: "report",
 *   task: { support: "optional", start: "handler" },
 *   handler: async (_input, ctx) => {
 *     const answer = await ctx.elicit({ message: "Which year?", requestedSchema: { type: "object", properties: { year: { type: "number" } } } });
 *     return runAsTask(async () => `Report for ${answer.content?.year}`);
 *   },
 * });
 * ```
 */
export function runAsTask(work: TaskWorkFunction): DeferredResult {
  return deferResult({ [TASK_WORK]: work } satisfies TaskWorkCarrier);
}

/** The work of a `runAsTask` result; undefined for any other value. */
export function taskWorkOf(value: unknown): TaskWorkFunction | undefined {
  if (!isDeferredResult(value)) return undefined;
  const carried = value.value as Partial<TaskWorkCarrier> | null;
  return typeof carried?.[TASK_WORK] === "function" ? carried[TASK_WORK] : undefined;
}
