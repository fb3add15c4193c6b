/**
 * Tasks over stdio, with examples/stdio.ts (the tasks extension's
 * `slow_compute`) run on the test's runtime: SDK v1's experimental tasks
 * client (`client.experimental.tasks`) runs one to its result in a
 * 2025-11-25 session; in 2026-07-28, raw lines with the extension declared
 * in the envelope create one (`resultType: "task"`) and poll `tasks/get`
 * until it completes with its result.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.d.ts"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { within } from "../../helpers.ts";
import { runtimeCommand } from "../gateway/runtime_command.ts";
import { connectWithin, envelope, EXAMPLE, withProcess } from "./stdio_process.ts";

const TASKS = { extensions: { "io.modelcontextprotocol/tasks": {} } };

describe("tasks over stdio", () => {
  it("SDK v1's experimental tasks client runs a task to its result (2025-11-25)", async () => {
    const { command, args } = runtimeCommand(EXAMPLE);
    const client = new Client({ name: "stdio-tasks", version: "1.0.0" });
    await connectWithin(client, new StdioClientTransport({ command, args, stderr: "ignore" }));
    try {
      assert.ok(client.getServerCapabilities()?.tasks?.requests?.tools?.call);
      await client.listTools(); // the client learns which tools take tasks
      const seen: string[] = [];
      let text = "";
      let taskId = "";
      const stream = client.experimental.tasks.callToolStream(
        { name: "slow_compute", arguments: { seconds: 0.1, label: "over stdio" } },
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
      assert.equal(seen.at(-1), "result");
      assert.equal(text, "Computed over stdio after 0.1s");
      const task = await client.experimental.tasks.getTask(taskId);
      assert.equal(task.status, "completed");
    } finally {
      await within(client.close(), 20_000, "close");
    }
  });

  it("a 2026-07-28 call creates a task; tasks/get polls it to its result", async () => {
    await withProcess(EXAMPLE, async (server) => {
      const created = await server.request(1, "tools/call", {
        name: "slow_compute",
        arguments: { seconds: 0.1, label: "over stdio" },
        _meta: envelope(TASKS),
      });
      const task = created.result as { resultType: string; status: string; taskId: string };
      assert.equal(task.resultType, "task", JSON.stringify(created));
      assert.equal(task.status, "working");
      // deno-lint-ignore no-explicit-any
      let last: any;
      for (let id = 2; id < 600; id++) {
        await new Promise((resolve) => setTimeout(resolve, 100)); // the client's pause
        const polled = await server.request(id, "tasks/get", {
          taskId: task.taskId,
          _meta: envelope(TASKS),
        });
        last = polled.result;
        if (last?.status !== "working") break;
      }
      assert.equal(last.status, "completed", JSON.stringify(last));
      assert.deepEqual(last.result.content, [
        { type: "text", text: "Computed over stdio after 0.1s" },
      ]);
      assert.deepEqual(server.strays, []);
    });
  });
});
