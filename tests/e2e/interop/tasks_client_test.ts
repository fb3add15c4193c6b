/**
 * Tasks end to end through official clients over real HTTP. The SDK v2
 * client (2.4) ships no tasks client (its 2025 registry keeps the `tasks/*`
 * methods "with no SDK runtime"), so: SDK v1's experimental tasks client
 * (`client.experimental.tasks`, 1.32) on a 2025-11-25 session, and the SDK v2
 * client speaking 2026-07-28 with the extension declared, sending the
 * extension's requests through its generic `request()`.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as z from "zod";
import { Client as ClientV2, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { defineTool } from "../../../mod.ts";
import { tasksExtension } from "../../../src/extensions/tasks/mod.ts";
import { blockingTool } from "../../blocking_tool.ts";
import { aborted, CallToolResultSchema, withServer, withTimeout } from "./helpers.ts";
import { sleep } from "../../helpers.ts";

const crunch = defineTool({
  name: "crunch",
  description: "Crunches for a moment",
  task: "optional",
  handler: async (_input, ctx) => {
    await sleep(20);
    return ctx.signal.aborted ? "stopped" : "crunched";
  },
});

describe("tasks through official clients", () => {
  it("SDK v1's experimental tasks client runs a task to its result on a 2025-11-25 session", async () => {
    await withServer({
      tools: [crunch],
      extensions: [tasksExtension({ pollIntervalMs: 20 })],
    }, async (server) => {
      const { client } = await server.connect();
      assert.ok(client.getServerCapabilities()?.tasks?.requests?.tools?.call);
      await client.listTools(); // the client learns which tools take tasks
      const seen: string[] = [];
      let text = "";
      let taskId = "";
      const stream = client.experimental.tasks.callToolStream(
        { name: "crunch", arguments: {} },
        CallToolResultSchema,
      );
      for await (const message of stream) {
        seen.push(message.type);
        if (message.type === "taskCreated") taskId = message.task.taskId;
        if (message.type === "result") {
          text = (message.result.content[0] as { text: string }).text;
        }
        if (message.type === "error") throw message.error;
      }
      assert.equal(seen[0], "taskCreated");
      assert.ok(seen.includes("taskStatus"));
      assert.equal(seen.at(-1), "result");
      assert.equal(text, "crunched");
      const task = await client.experimental.tasks.getTask(taskId);
      assert.equal(task.status, "completed");
      const listed = await client.experimental.tasks.listTasks();
      assert.deepEqual(listed.tasks.map((t) => t.taskId), [taskId]);
    });
  });

  it("SDK v1's cancelTask reaches the running tool's signal", async () => {
    const blocking = blockingTool();
    await withServer({
      tools: [{ ...blocking.tool, task: "optional" }],
      extensions: [tasksExtension({ pollIntervalMs: 20, watchIntervalMs: 10 })],
    }, async (server) => {
      const { client } = await server.connect();
      await client.listTools();
      const stream = client.experimental.tasks.callToolStream({ name: "block", arguments: {} });
      const first = await stream.next();
      assert.equal(first.value?.type, "taskCreated");
      const taskId = (first.value as { task: { taskId: string } }).task.taskId;
      const call = await blocking.call(1);
      const cancelled = await client.experimental.tasks.cancelTask(taskId);
      assert.equal(cancelled.status, "cancelled");
      await aborted(call.signal);
      let last: string | undefined = first.value?.type;
      for await (const message of stream) last = message.type;
      assert.equal(last, "error", "the stream ends with the cancellation");
    });
  });

  it("the SDK v2 client refuses a 2026-07-28 CreateTaskResult: it ships no tasks support", async () => {
    await withServer({
      tools: [crunch],
      extensions: [tasksExtension({ pollIntervalMs: 20 })],
    }, async (server) => {
      const client = new ClientV2({ name: "v2-tasks", version: "1.0.0" }, {
        capabilities: { extensions: { "io.modelcontextprotocol/tasks": {} } },
        versionNegotiation: { mode: { pin: "2026-07-28" } },
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      try {
        // Pinned here so that the day the SDK learns tasks, this test says so.
        await assert.rejects(
          client.request(
            { method: "tools/call", params: { name: "crunch", arguments: {} } },
            z.object({ taskId: z.string() }).passthrough(),
          ),
          /Unsupported result type 'task' for tools\/call/,
        );
      } finally {
        await withTimeout(client.close(), 5_000, "client.close()");
      }
    });
  });

  it("the SDK v2 client runs a task end to end on a 2025-11-25 session, with explicit result schemas", async () => {
    await withServer({
      tools: [crunch],
      extensions: [tasksExtension({ pollIntervalMs: 20 })],
    }, async (server) => {
      const client = new ClientV2({ name: "v2-tasks", version: "1.0.0" }, { capabilities: {} });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      try {
        const task = z.object({ taskId: z.string(), status: z.string(), pollInterval: z.number() })
          .passthrough();
        const created = await client.request(
          { method: "tools/call", params: { name: "crunch", arguments: {}, task: {} } },
          z.object({ task }).passthrough(),
        );
        assert.equal(created.task.status, "working");
        const taskId = created.task.taskId;
        const result = await client.request(
          { method: "tasks/result", params: { taskId } },
          z.object({ content: z.array(z.object({ text: z.string() }).passthrough()) })
            .passthrough(),
        );
        assert.equal(result.content[0].text, "crunched");
        const status = await client.request({ method: "tasks/get", params: { taskId } }, task);
        assert.equal(status.status, "completed");
      } finally {
        await withTimeout(client.close(), 5_000, "client.close()");
      }
    });
  });
});
