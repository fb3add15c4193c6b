/**
 * The tasks extension's part of the conformance fixture (examples/everything.ts):
 * the tools the `tasks-*` scenarios call (`greet`, `slow_compute`,
 * `failing_job`, `protocol_error_job`, `confirm_delete`, `multi_input`,
 * `test_tool_with_task`), served with `tasksExtension()`.
 * @module
 */

import { defineTool, ErrorCode, McpError } from "../mod.ts";
import type { ElicitResult } from "../src/types/mod.ts";
import { runAsTask, tasksExtension, type TasksOptions } from "../src/extensions/tasks/mod.ts";

/** Waits `ms`, or until `signal` aborts (then rejects with its reason). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const CONFIRM_FORM = {
  type: "object",
  properties: { confirm: { type: "boolean" } },
  required: ["confirm"],
};
const NAME_FORM = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };

function field(result: ElicitResult, name: string): string {
  return result.action === "accept" ? String(result.content?.[name] ?? "") : result.action;
}

/** The tools the tasks scenarios call. */
export const taskTools = [
  defineTool({
    name: "greet",
    description: "Greets someone (never a task)",
    input: { type: "object", properties: { name: { type: "string" } } },
    handler: (input) => `Hello, ${String((input as { name?: string }).name ?? "there")}!`,
  }),
  defineTool({
    name: "slow_compute",
    description: "Sleeps `seconds` seconds, then answers (a task when the client takes one)",
    input: {
      type: "object",
      properties: { seconds: { type: "number", minimum: 0 }, label: { type: "string" } },
    },
    task: "optional",
    handler: async (input, ctx) => {
      const { seconds = 0, label = "" } = input as { seconds?: number; label?: string };
      await sleep(seconds * 1000, ctx.signal);
      return `Computed ${label} after ${seconds}s`;
    },
  }),
  defineTool({
    name: "failing_job",
    description: "Fails as a tool (isError) after a second; must run as a task",
    task: "required",
    handler: async (_input, ctx) => {
      await sleep(1000, ctx.signal);
      throw new Error("failing_job failed, as it always does");
    },
  }),
  defineTool({
    name: "protocol_error_job",
    description: "Fails with a protocol error (the task ends failed)",
    task: { support: "optional", start: "handler" },
    handler: () =>
      runAsTask(() => {
        throw new McpError(ErrorCode.InternalError, "protocol_error_job broke, as designed");
      }),
  }),
  defineTool({
    name: "confirm_delete",
    description: "Asks the user to confirm deleting `filename`",
    input: { type: "object", properties: { filename: { type: "string" } } },
    task: "optional",
    handler: async (input, ctx) => {
      const filename = String((input as { filename?: string }).filename ?? "");
      const answer = await ctx.elicit({
        message: `Delete ${filename}?`,
        requestedSchema: CONFIRM_FORM,
      });
      return answer.action === "accept" && answer.content?.confirm === true
        ? `Deleted ${filename}`
        : `Kept ${filename}`;
    },
  }),
  defineTool({
    name: "multi_input",
    description: "Asks two questions at once",
    task: "optional",
    handler: async (_input, ctx) => {
      const [first, second] = await Promise.all([
        ctx.elicit({ message: "First name?", requestedSchema: NAME_FORM }),
        ctx.elicit({ message: "Second name?", requestedSchema: NAME_FORM }),
      ]);
      return `Got ${field(first, "name")} and ${field(second, "name")}`;
    },
  }),
  defineTool({
    name: "test_tool_with_task",
    description: "Asks for user_name over input rounds, then finishes as a task",
    task: { support: "required", start: "handler" },
    handler: async (_input, ctx) => {
      const answer = await ctx.elicit(
        { message: "What is your name?", requestedSchema: NAME_FORM },
        { key: "user_name" },
      );
      const name = field(answer, "name");
      return runAsTask(() => `Hello, ${name}, from a task`);
    },
  }),
];

/** The fixture's tasks extension (a memory store; short polls so the scenarios run fast). */
export function fixtureTasks(options: TasksOptions = {}) {
  return tasksExtension({ pollIntervalMs: 200, ttlMs: 10 * 60_000, ...options });
}
