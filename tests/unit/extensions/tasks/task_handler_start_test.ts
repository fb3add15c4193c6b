/**
 * A tool declared `task: { support: "required", start: "handler" }` (the
 * conformance fixture's `test_tool_with_task`) is served as it is listed: a
 * 2025-11-25 session sees `execution.taskSupport: "required"` and gets
 * `-32601` without `params.task` (its handler never runs), a task with it;
 * the 2026-07-28 flow (the handler first, then a task, or inline for a
 * client that takes none) is unchanged. An optional one stays a plain call
 * without `params.task`.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, type McpHandler } from "../../../../mod.ts";
import { runAsTask, tasksExtension } from "../../../../src/extensions/tasks/mod.ts";
import { initialize, makeHandler, rpc, type TestSession, within } from "../../../helpers.ts";
import { asUser, pollTask } from "../../../support/task_helpers.ts";

const started: string[] = [];

/** A tool that runs its handler as a plain call, then finishes as a task. */
function handlerStart(name: string, support: "optional" | "required") {
  return defineTool({
    name,
    description: `Starts in its handler (${support})`,
    task: { support, start: "handler" },
    handler: () => {
      started.push(name);
      return runAsTask(() => `${name} finished`);
    },
  });
}

function tasksHandler() {
  return makeHandler({
    tools: [handlerStart("then_task", "required"), handlerStart("maybe_task", "optional")],
    extensions: [tasksExtension({ watchIntervalMs: 10 })],
  });
}

/** The `execution` a 2025-11-25 session's `tools/list` gives tool `name`. */
async function executionOf(handler: McpHandler, session: TestSession, name: string) {
  const listed = await rpc(handler, session, "tools/list");
  return listed.message.result.tools.find((t: { name: string }) => t.name === name)?.execution;
}

describe('a start: "handler" task tool in a 2025-11-25 session', () => {
  it("is listed required, and without params.task answers -32601 and does not run", async () => {
    started.length = 0;
    const handler = tasksHandler();
    try {
      const session = await initialize(handler, { protocolVersion: "2025-11-25" });
      assert.deepEqual(await executionOf(handler, session, "then_task"), {
        taskSupport: "required",
      });
      const plain = await rpc(handler, session, "tools/call", { name: "then_task", arguments: {} });
      assert.equal(plain.message.error?.code, -32601, JSON.stringify(plain.message));
      assert.match(plain.message.error.message, /must be called as a task/);
      assert.deepEqual(started, [], "the handler never ran");
    } finally {
      await handler.close();
    }
  });

  it("with params.task runs its handler, then answers a task whose result is the work's", async () => {
    started.length = 0;
    const handler = tasksHandler();
    try {
      const session = await initialize(handler, { protocolVersion: "2025-11-25" });
      const created = await rpc(handler, session, "tools/call", {
        name: "then_task",
        arguments: {},
        task: {},
      });
      const task = created.message.result.task;
      assert.equal(typeof task.taskId, "string");
      const result = await within(
        rpc(handler, session, "tasks/result", { taskId: task.taskId }),
        5_000,
        "tasks/result",
      );
      assert.deepEqual(result.message.result.content, [{
        type: "text",
        text: "then_task finished",
      }]);
      assert.deepEqual(started, ["then_task"]);
    } finally {
      await handler.close();
    }
  });

  it("an optional one is listed optional and without params.task is a plain call", async () => {
    const handler = tasksHandler();
    try {
      const session = await initialize(handler, { protocolVersion: "2025-11-25" });
      assert.deepEqual(await executionOf(handler, session, "maybe_task"), {
        taskSupport: "optional",
      });
      const plain = await rpc(handler, session, "tools/call", {
        name: "maybe_task",
        arguments: {},
      });
      assert.deepEqual(plain.message.result.content, [{
        type: "text",
        text: "maybe_task finished",
      }]);
      assert.equal(plain.message.result.task, undefined);
    } finally {
      await handler.close();
    }
  });
});

describe('a start: "handler" task tool in 2026-07-28 (unchanged)', () => {
  it("a client with the extension gets a task after the handler; one without gets the result inline", async () => {
    started.length = 0;
    const handler = tasksHandler();
    try {
      const created = await asUser(handler, "tools/call", { name: "then_task", arguments: {} });
      assert.equal(created.message.result.resultType, "task");
      const done = await pollTask(
        handler,
        created.message.result.taskId,
        (t) => t.status === "completed",
      );
      assert.deepEqual(done.result.content, [{ type: "text", text: "then_task finished" }]);
      const inline = await asUser(
        handler,
        "tools/call",
        { name: "then_task", arguments: {} },
        undefined,
        {},
      );
      assert.equal(inline.message.result.resultType, "complete");
      assert.deepEqual(inline.message.result.content, [{
        type: "text",
        text: "then_task finished",
      }]);
      assert.deepEqual(started, ["then_task", "then_task"]);
    } finally {
      await handler.close();
    }
  });
});
