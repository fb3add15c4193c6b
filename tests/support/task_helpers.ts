/**
 * Helpers for the tasks extension's tests: a 2026-07-28 client that declared
 * the extension, as a principal named by `x-user`, a poll of `tasks/get`
 * with a deadline, a task tool that asks for input, and the two flows of a
 * task across instances (cancel, answer) that every shared store passes. Not a test file itself.
 * @module
 */

import assert from "node:assert/strict";
import { defineTool, type McpHandler, type Principal } from "../../mod.ts";
import type { BlockingTool } from "../blocking_tool.ts";
import type { RpcOutcome } from "../helpers.ts";
import { modernRpc } from "./modern_helpers.ts";
import { abortReason, sleep } from "../helpers.ts";

/** Capabilities of a client that takes tasks (and answers elicitations). */
export const TASK_CLIENT = {
  elicitation: {},
  extensions: { "io.modelcontextprotocol/tasks": {} },
};

/** The `authenticate` option of these tests: the `x-user` header names the principal. */
export function userFromHeader(request: Request): Principal | undefined {
  const user = request.headers.get("x-user");
  return user === null ? undefined : { id: user };
}

/** A modern request from a client that declared tasks, as `user` (anonymous when omitted). */
export function asUser(
  handler: McpHandler,
  method: string,
  params: Record<string, unknown>,
  user?: string,
  capabilities: Record<string, unknown> = TASK_CLIENT,
): Promise<RpcOutcome> {
  return modernRpc(handler, method, params, {
    capabilities,
    headers: user === undefined ? {} : { "x-user": user },
  });
}

/** Polls `tasks/get` until `done(task)` holds (deadline 5 s); returns that task. */
export async function pollTask(
  handler: McpHandler,
  taskId: string,
  // deno-lint-ignore no-explicit-any
  done: (task: any) => boolean,
  user?: string,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { message } = await asUser(handler, "tasks/get", { taskId }, user);
    if (message.error !== undefined) throw new Error(`tasks/get: ${message.error.message}`);
    if (done(message.result)) return message.result;
    if (Date.now() > deadline) {
      throw new Error(`task ${taskId} stayed ${message.result.status} for 5 s`);
    }
    await sleep(5);
  }
}

/** A task tool that asks the client for a name (`elicitation/create`) and greets it. */
export const askTool = defineTool({
  name: "ask",
  task: "optional",
  handler: async (_input, ctx) => {
    const answer = await ctx.elicit({
      message: "Name?",
      requestedSchema: { type: "object", properties: {} },
    });
    return `hello ${answer.content?.name}`;
  },
});

/** An instance of a cross-instance tasks test: its handler and its blocking tool (`block`). */
export interface TaskInstance {
  handler: McpHandler;
  blocking: BlockingTool;
}

/**
 * A runs a task; B reports it, refuses a stranger, and its cancel reaches A's tool (its signal
 * aborts within `deadlineMs`).
 */
export async function cancelAcross(a: TaskInstance, b: TaskInstance, deadlineMs = 3_000) {
  const { message } = await asUser(a.handler, "tools/call", { name: "block" }, "alice");
  const taskId = message.result.taskId;
  const call = await a.blocking.call(1);
  const seen = await asUser(b.handler, "tasks/get", { taskId }, "alice");
  assert.equal(seen.message.result.status, "working");
  const stranger = await asUser(b.handler, "tasks/get", { taskId }, "mallory");
  assert.equal(stranger.message.error.code, -32602);
  await asUser(b.handler, "tasks/cancel", { taskId }, "alice");
  assert.equal(await abortReason(call.signal, deadlineMs), "cancelled");
  assert.equal((await pollTask(a.handler, taskId, () => true, "alice")).status, "cancelled");
}

/** A's task (the {@linkcode askTool}) waits for input; the answer given to B resumes it on A. */
export async function answerAcross(a: TaskInstance, b: TaskInstance) {
  const { message } = await asUser(a.handler, "tools/call", { name: "ask" }, "alice");
  const taskId = message.result.taskId;
  const waiting = await pollTask(b.handler, taskId, (t) => t.status === "input_required", "alice");
  const [key] = Object.keys(waiting.inputRequests);
  await asUser(b.handler, "tasks/update", {
    taskId,
    inputResponses: { [key]: { action: "accept", content: { name: "Ada" } } },
  }, "alice");
  const done = await pollTask(b.handler, taskId, (t) => t.status === "completed", "alice");
  assert.equal(done.result.content[0].text, "hello Ada");
}
