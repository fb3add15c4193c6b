/**
 * Tasks of a 2026-07-28 upstream through the gateway (`tasks: "mirror"`):
 * a tether upstream with `tasksExtension()` over HTTP, the gateway served
 * over HTTP with the extension too. A 2026-07-28 caller that declared the
 * extension gets a task of the gateway's own when the upstream makes one,
 * followed upstream (working, completed, failed, cancelled, input asked
 * and answered under the upstream's keys); one that did not declare it gets
 * the plain result, the upstream asked for none. The official SDK client
 * (2025-11-25) gets the result inline, or a task when it asks for one.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  createMcpHandler,
  defineTool,
  ErrorCode,
  McpError,
  type McpHandler,
} from "../../../mod.ts";
import { runAsTask, tasksExtension } from "../../../src/extensions/tasks/mod.ts";
import { createGateway, type Gateway, httpUpstream } from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { connectClient, textOf, waitFor } from "../interop/helpers.ts";
import { readAnswer, type RpcOutcome } from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";
import { TASK_CLIENT } from "../../support/task_helpers.ts";
import { downstreamUser } from "./down_tokens.ts";

/** What the upstream saw. */
interface Seen {
  /** Whether each call of `compute` declared the tasks extension. */
  declared: boolean[];
  /** Calls of `compute` whose signal aborted. */
  aborted: number;
  /** Releases the oldest waiting `compute`. */
  waiting: (() => void)[];
  /** The `Mcp-Method` of each POST. */
  methods: string[];
  /** The answers `confirm` got. */
  answers: unknown[];
}

const NAME_FORM = {
  type: "object" as const,
  properties: { name: { type: "string" as const } },
  required: ["name"],
};
const CONFIRM_FORM = {
  type: "object" as const,
  properties: { confirm: { type: "boolean" as const } },
  required: ["confirm"],
};

/** A tether upstream serving tasks, on a free port. */
async function startUpstream(seen: Seen): Promise<RunningServer & { handler: McpHandler }> {
  const handler = createMcpHandler({
    name: "task-upstream",
    version: "1.0.0",
    extensions: [tasksExtension({ pollIntervalMs: 20 })],
    tools: [
      defineTool({
        name: "compute",
        description: "Waits until the test releases it",
        task: "optional",
        handler: (_input, ctx) => {
          seen.declared.push(
            Object.hasOwn(ctx.clientCapabilities.extensions ?? {}, "io.modelcontextprotocol/tasks"),
          );
          return new Promise<string>((resolve, reject) => {
            const done = () => resolve("computed");
            seen.waiting.push(done);
            ctx.signal.addEventListener("abort", () => {
              seen.aborted++;
              seen.waiting.splice(seen.waiting.indexOf(done), 1);
              reject(ctx.signal.reason);
            }, { once: true });
          });
        },
      }),
      defineTool({
        name: "broken",
        description: "Fails as a protocol error, as a task",
        task: { support: "optional", start: "handler" },
        handler: () =>
          runAsTask(() => {
            throw new McpError(ErrorCode.InvalidParams, "broken on purpose");
          }),
      }),
      defineTool({
        name: "confirm",
        description: "Asks for a confirmation inside its task",
        task: "optional",
        handler: async (_input, ctx) => {
          const answer = await ctx.elicit(
            { message: "Sure?", requestedSchema: CONFIRM_FORM },
            { key: "confirm" },
          );
          seen.answers.push(answer);
          return answer.action === "accept" && answer.content?.confirm === true ? "done" : "kept";
        },
      }),
      defineTool({
        name: "named",
        description: "Asks for user_name, then becomes a task",
        task: { support: "optional", start: "handler" },
        handler: async (_input, ctx) => {
          const answer = await ctx.elicit(
            { message: "Name?", requestedSchema: NAME_FORM },
            { key: "user_name" },
          );
          return runAsTask(() => `Hello, ${answer.content?.name}`);
        },
      }),
    ],
  });
  const server = await serveHandler(async (request) => {
    seen.methods.push(request.headers.get("mcp-method") ?? "");
    return await handler(request);
  }, 0);
  return { ...server, handler };
}

describe("gateway: tasks of a 2026-07-28 upstream", { timeout: 120_000 }, () => {
  const seen: Seen = { declared: [], aborted: 0, waiting: [], methods: [], answers: [] };
  let upstream: RunningServer & { handler: McpHandler };
  let gateway: Gateway;
  let handler: McpHandler;
  let server: RunningServer;
  /** A 2026-07-28 request to the gateway over HTTP, as `user` (tasks declared unless told). */
  const ask = (
    method: string,
    params: Record<string, unknown>,
    capabilities: Record<string, unknown> = TASK_CLIENT,
  ): Promise<RpcOutcome> =>
    sendOverHttp(
      modernRequest(method, params, {
        capabilities,
        headers: { authorization: "Bearer down-ann" },
      }),
    );
  /** `request` (addressed to the test endpoint) sent to the gateway's server; its answer. */
  const sendOverHttp = async (request: Request): Promise<RpcOutcome> =>
    await readAnswer(
      await fetch(`${server.url}/mcp`, {
        method: request.method,
        headers: request.headers,
        body: await request.text(),
      }),
    );
  /** Polls the gateway's `tasks/get` until `done` holds (10 s); that task. */
  // deno-lint-ignore no-explicit-any
  const until = async (taskId: string, done: (task: any) => boolean) => {
    // deno-lint-ignore no-explicit-any
    let task: any = {};
    await waitFor(async () => {
      const { message } = await ask("tasks/get", { taskId });
      assert.equal(message.error, undefined, JSON.stringify(message.error));
      task = message.result;
      return done(task);
    }, `task ${taskId} reaches the status`);
    return task;
  };
  /** Releases the next `compute` once it waits upstream. */
  const release = async () => {
    await waitFor(() => seen.waiting.length > 0, "compute waits upstream");
    seen.waiting.shift()!();
  };

  before(async () => {
    upstream = await startUpstream(seen);
    gateway = await createGateway({
      upstreams: [httpUpstream({
        name: "up",
        url: `${upstream.url}/mcp`,
        credentials: () => ({ authorization: "Bearer up" }),
      })],
      tasks: "mirror",
      graceMs: 0,
      onError: () => {},
    });
    handler = createMcpHandler({
      name: "gateway",
      version: "1.0.0",
      ...gateway.definitions(),
      extensions: [tasksExtension({ pollIntervalMs: 20 })],
      auth: { authenticate: gateway.authenticate(downstreamUser) },
      observe: { onError: () => {} },
    });
    gateway.attach(handler);
    server = await serveHandler(handler, 0);
  });
  after(async () => {
    await server?.close();
    await gateway?.close({ graceMs: 0 });
    await handler?.close();
    await upstream?.close();
    await upstream?.handler.close();
  });

  it("an upstream task becomes the caller's task, followed to its result", async () => {
    const created = (await ask("tools/call", { name: "up_compute", arguments: {} })).message.result;
    assert.equal(created.resultType, "task", JSON.stringify(created));
    assert.equal(typeof created.taskId, "string");
    assert.equal(seen.declared.at(-1), true, "the extension was declared upstream");
    const working = await until(created.taskId, () => true);
    assert.equal(working.status, "working");
    await release();
    const done = await until(created.taskId, (task) => task.status === "completed");
    assert.equal(textOf(done.result as Record<string, unknown>), "computed");
    assert.ok(seen.methods.includes("tasks/get"), "the gateway polled the upstream's task");
  });

  it("a caller that declared no tasks gets the result, and the upstream was asked for none", async () => {
    const answer = ask("tools/call", { name: "up_compute", arguments: {} }, {});
    await release();
    const { message } = await answer;
    assert.equal(message.result.resultType, "complete", JSON.stringify(message));
    assert.equal(textOf(message.result), "computed");
    assert.equal(seen.declared.at(-1), false, "no extension declared upstream");
  });

  it("an upstream task that fails fails the caller's, with the upstream's code", async () => {
    const created = (await ask("tools/call", { name: "up_broken", arguments: {} })).message.result;
    assert.equal(created.resultType, "task", JSON.stringify(created));
    const failed = await until(created.taskId, (task) => task.status !== "working");
    assert.equal(failed.status, "failed", JSON.stringify(failed));
    const error = failed.error as { code: number; message: string };
    assert.equal(error.code, ErrorCode.InvalidParams);
    assert.equal(error.message, 'Upstream "up": broken on purpose');
    assert.equal(failed.result, undefined);
  });

  it("cancelling the caller's task cancels the upstream's", async () => {
    const aborted = seen.aborted;
    const created = (await ask("tools/call", { name: "up_compute", arguments: {} })).message.result;
    await waitFor(() => seen.waiting.length > 0, "compute runs upstream");
    const { message } = await ask("tasks/cancel", { taskId: created.taskId });
    assert.equal(message.result?.resultType, "complete", JSON.stringify(message));
    assert.equal(message.result.taskId, undefined, "an ack, not the task");
    const cancelled = await until(created.taskId, (task) => task.status !== "working");
    assert.equal(cancelled.status, "cancelled");
    await waitFor(() => seen.aborted > aborted, "the upstream's tool is cancelled");
  });

  it("the upstream task's input is asked under its own key, and the answer goes back", async () => {
    const created = (await ask("tools/call", { name: "up_confirm", arguments: {} })).message.result;
    assert.equal(created.resultType, "task", JSON.stringify(created));
    const waiting = await until(created.taskId, (task) => task.status === "input_required");
    const requests = waiting.inputRequests as Record<string, { method: string }>;
    assert.deepEqual(Object.keys(requests), ["confirm"]);
    assert.equal(requests.confirm.method, "elicitation/create");
    const update = await ask("tasks/update", {
      taskId: created.taskId,
      inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
    });
    assert.equal(update.message.error, undefined, JSON.stringify(update.message));
    const done = await until(created.taskId, (task) => task.status === "completed");
    assert.equal(textOf(done.result as Record<string, unknown>), "done");
    assert.ok(seen.methods.includes("tasks/update"), "the answer went upstream");
    assert.deepEqual(seen.answers.at(-1), { action: "accept", content: { confirm: true } });
  });

  it("input asked before the task is a round under the upstream's key", async () => {
    const first = await ask("tools/call", { name: "up_named", arguments: {} });
    const round = first.message.result;
    assert.equal(round.resultType, "input_required", JSON.stringify(round));
    assert.deepEqual(Object.keys(round.inputRequests), ["user_name"]);
    const retry = await ask("tools/call", {
      name: "up_named",
      arguments: {},
      inputResponses: { user_name: { action: "accept", content: { name: "Ada" } } },
      ...(round.requestState === undefined ? {} : { requestState: round.requestState }),
    });
    const created = retry.message.result;
    assert.equal(created.resultType, "task", JSON.stringify(retry.message));
    const done = await until(created.taskId, (task) => task.status === "completed");
    assert.equal(textOf(done.result as Record<string, unknown>), "Hello, Ada");
  });

  it("a 2025 session gets the result inline, or a task when it asks for one", async () => {
    const sdk = await connectClient(`${server.url}/mcp`, { token: "down-bo" });
    try {
      const inline = sdk.client.callTool({ name: "up_compute", arguments: {} });
      await release();
      assert.equal(textOf(await inline), "computed");
      const types: string[] = [];
      let result: Record<string, unknown> = {};
      const released = release();
      const stream = sdk.client.experimental.tasks.callToolStream(
        { name: "up_compute", arguments: {} },
        CallToolResultSchema,
        { task: {} },
      );
      for await (const message of stream) {
        types.push(message.type);
        if (message.type === "result") result = message.result;
        if (message.type === "error") throw message.error;
      }
      await released;
      assert.equal(types[0], "taskCreated", String(types));
      assert.equal(textOf(result), "computed");
    } finally {
      await sdk.close();
    }
  });
});
