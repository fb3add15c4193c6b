/**
 * Helpers for the tasks extension's tests: a 2026-07-28 client that declared
 * the extension, as a principal named by `x-user`, and a poll of `tasks/get`
 * with a deadline. Not a test file itself.
 * @module
 */

import type { McpHandler, Principal } from "../../mod.ts";
import type { RpcOutcome } from "../helpers.ts";
import { modernRpc } from "./modern_helpers.ts";
import { sleep } from "../helpers.ts";

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
