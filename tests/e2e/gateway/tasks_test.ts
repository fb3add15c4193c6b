/**
 * Tasks through the gateway (an SDK upstream with the 2025-11-25
 * experimental tasks, tether with `tasksExtension()` and `tasks: true`, the
 * official SDK client downstream driving downstream tasks): a long plain
 * upstream call runs as a downstream task the client polls; an upstream tool
 * that runs as a task is called as an upstream task (created, polled, its
 * result read) whether the downstream call is a task or not, in the
 * caller's own upstream session.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { tasksExtension } from "../../../src/extensions/tasks/mod.ts";
import { type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import { type GatewayFixture, startGateway } from "./fixture.ts";

/** Runs `name` as a downstream task, releasing the upstream once it waits; the stream's messages. */
async function asTask(fixture: GatewayFixture, connection: SdkConnection, name: string) {
  const release = (async () => {
    await waitFor(() => fixture.upstream.record.release.length > 0, `${name} waits upstream`);
    fixture.upstream.record.release.shift()!();
  })();
  const types: string[] = [];
  let result: Record<string, unknown> | undefined;
  const stream = connection.client.experimental.tasks.callToolStream(
    { name, arguments: {} },
    CallToolResultSchema,
    { task: {} },
  );
  for await (const message of stream) {
    types.push(message.type);
    if (message.type === "result") result = message.result;
    if (message.type === "error") throw message.error;
  }
  await release;
  return { types, result: result! };
}

describe("gateway tasks", () => {
  it("a long upstream call runs as a downstream task; an upstream task tool is an upstream task", async () => {
    const fixture = await startGateway({ tasks: true }, { extensions: [tasksExtension()] });
    try {
      const alice = await fixture.connect("alice");
      const tools = (await alice.client.listTools()).tools;
      const long = tools.find((tool) => tool.name === "up_long")!;
      assert.equal(long.execution?.taskSupport, "optional", "listed as a possible task");
      const session = textOf(await alice.client.callTool({ name: "up_whoami", arguments: {} }));

      const plain = await asTask(fixture, alice, "up_long");
      assert.equal(plain.types[0], "taskCreated", "a downstream task");
      assert.equal(plain.types.at(-1), "result");
      assert.equal(textOf(plain.result), `long done in ${session}`);
      assert.equal(fixture.upstream.record.tasksCreated, 0, "a plain upstream call");

      const brewed = await asTask(fixture, alice, "up_brew");
      assert.equal(brewed.types[0], "taskCreated");
      assert.equal(textOf(brewed.result), `brewed in ${session}`, "in her upstream session");
      assert.equal(fixture.upstream.record.tasksCreated, 1, "an upstream task");

      // A plain downstream call of an upstream task tool still runs it as an upstream task.
      const waiting = alice.client.callTool({ name: "up_brew", arguments: {} });
      await waitFor(() => fixture.upstream.record.release.length > 0, "brew waits upstream");
      fixture.upstream.record.release.shift()!();
      assert.equal(textOf(await waiting), `brewed in ${session}`);
      assert.equal(fixture.upstream.record.tasksCreated, 2);
    } finally {
      await fixture.close();
    }
  });

  it("a downstream task cancelled cancels its upstream task", async () => {
    const fixture = await startGateway({ tasks: true }, { extensions: [tasksExtension()] });
    try {
      const alice = await fixture.connect("alice");
      const stream = alice.client.experimental.tasks.callToolStream(
        { name: "up_brew", arguments: {} },
        CallToolResultSchema,
        { task: {} },
      );
      const first = await stream.next();
      assert.equal(first.value?.type, "taskCreated");
      const downstreamId = (first.value as { task: { taskId: string } }).task.taskId;
      await waitFor(() => fixture.upstream.record.tasksCreated === 1, "the upstream task created");
      const upstreamId = fixture.upstream.record.taskIds[0];
      assert.equal(await fixture.upstream.taskStatus(upstreamId), "working");
      await alice.client.experimental.tasks.cancelTask(downstreamId);
      await waitFor(
        async () => await fixture.upstream.taskStatus(upstreamId) === "cancelled",
        "the upstream task cancelled",
      );
      await stream.return();
    } finally {
      await fixture.close();
    }
  });

  it('tasks: "mirror" lists each tool with the upstream\'s task support; results carry no upstream task id', async () => {
    const fixture = await startGateway({ tasks: "mirror" }, { extensions: [tasksExtension()] });
    try {
      const alice = await fixture.connect("alice");
      const tools = (await alice.client.listTools()).tools;
      const support = (name: string) =>
        tools.find((tool) => tool.name === name)?.execution?.taskSupport;
      assert.equal(support("up_brew"), "optional", "the upstream's own");
      assert.equal(support("up_long"), undefined, "never a task upstream, never one downstream");
      // A plain upstream tool called as a task is refused, as the upstream itself would.
      await assert.rejects(
        alice.client.request(
          { method: "tools/call", params: { name: "up_whoami", arguments: {}, task: {} } },
          CallToolResultSchema,
        ),
        (error: { code?: number }) => error.code === -32601,
      );
      const brewed = await asTask(fixture, alice, "up_brew");
      assert.equal(brewed.types[0], "taskCreated");
      assert.equal(fixture.upstream.record.tasksCreated, 1, "an upstream task");
      const upstreamId = fixture.upstream.record.taskIds[0];
      assert.ok(!JSON.stringify(brewed.result).includes(upstreamId), JSON.stringify(brewed.result));
    } finally {
      await fixture.close();
    }
  });
});
