/**
 * The tasks extension through the handler, in both eras: a task's life
 * (working → completed), ownership (another principal never sees it),
 * cancellation reaching the tool's signal, TTL expiry by an injected clock,
 * bounded storage (unfinished tasks per principal, result size, the
 * store's result budget), anonymous callers kept apart (each 2025 session
 * its own owner; a 2026 anonymous task reachable only by its id), a failing
 * store failing closed, negotiation, and close().
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../../mod.ts";
import {
  MemoryTaskStore,
  tasksExtension,
  type TasksOptions,
  type TaskStore,
} from "../../../../src/extensions/tasks/mod.ts";
import { RedisTaskStore } from "../../../../src/redis/tasks/redis_task_store.ts";
import { blockingTool } from "../../../blocking_tool.ts";
import { Faults, faulty } from "../../../faulty_storage.ts";
import {
  abortReason,
  initialize,
  makeHandler,
  rpc,
  TestClock,
  until,
  within,
} from "../../../helpers.ts";
import {
  askTool,
  asUser,
  pollTask,
  TASK_CLIENT,
  userFromHeader,
} from "../../../support/task_helpers.ts";

const quick = defineTool({ name: "quick", task: "optional", handler: () => "quick result" });
const plain = defineTool({ name: "plain", handler: () => "plain result" });

function tasksHandler(options: TasksOptions = {}, extra: Parameters<typeof makeHandler>[0] = {}) {
  const blocking = blockingTool();
  const handler = makeHandler({
    tools: [{ ...blocking.tool, task: "optional" }, quick, plain],
    extensions: [tasksExtension({ watchIntervalMs: 10, ...options })],
    ...extra,
    auth: {
      authenticate: userFromHeader,
      ...extra?.auth,
    },
  });
  return { handler, blocking };
}

describe("tasks extension (2026-07-28)", () => {
  it("answers a task for a task tool, then tasks/get inlines the result once completed", async () => {
    const { handler, blocking } = tasksHandler();
    const created = await asUser(handler, "tools/call", { name: "block" }, "alice");
    const task = created.message.result;
    assert.equal(task.resultType, "task");
    assert.equal(task.status, "working");
    assert.equal(typeof task.taskId, "string");
    assert.ok(Number.isInteger(task.ttlMs) && Number.isInteger(task.pollIntervalMs));
    assert.equal("result" in task, false);
    const running = await asUser(handler, "tasks/get", { taskId: task.taskId }, "alice");
    assert.equal(running.message.result.status, "working");
    assert.equal(running.message.result.resultType, "complete");
    (await blocking.call(1)).finish();
    const done = await pollTask(handler, task.taskId, (t) => t.status === "completed", "alice");
    assert.deepEqual(done.result.content, [{ type: "text", text: "done" }]);
    await handler.close();
  });

  it("a tool without task support answers at once, as a plain call", async () => {
    const { handler } = tasksHandler();
    const { message } = await asUser(handler, "tools/call", { name: "plain" });
    assert.equal(message.result.resultType, "complete");
    assert.equal(message.result.taskId, undefined);
    await handler.close();
  });

  it("has no params.task: a plain tool called with one is a plain call", async () => {
    const { handler } = tasksHandler();
    const { message } = await asUser(handler, "tools/call", { name: "plain", task: {} });
    assert.equal(message.result.resultType, "complete");
    assert.equal(message.result.content[0].text, "plain result");
    await handler.close();
  });

  it("another principal gets -32602 on tasks/get, update and cancel, never the result; the owner still does", async () => {
    const { handler, blocking } = tasksHandler();
    const { message } = await asUser(handler, "tools/call", { name: "block" }, "alice");
    const taskId = message.result.taskId;
    (await blocking.call(1)).finish();
    await pollTask(handler, taskId, (t) => t.status === "completed", "alice");
    for (
      const [method, params] of [
        ["tasks/get", { taskId }],
        ["tasks/update", { taskId, inputResponses: {} }],
        ["tasks/cancel", { taskId }],
      ] as const
    ) {
      for (const user of ["mallory", undefined]) {
        const other = await asUser(handler, method, params, user);
        assert.equal(other.message.error?.code, -32602, `${method} as ${user ?? "anonymous"}`);
        assert.equal(JSON.stringify(other.message).includes("done"), false);
      }
    }
    const unknown = await asUser(handler, "tasks/get", { taskId: "no-such-task" }, "alice");
    assert.deepEqual(
      unknown.message.error,
      (await asUser(handler, "tasks/get", { taskId }, "bob"))
        .message.error,
      "someone else's task and an unknown one answer alike",
    );
    const owner = await asUser(handler, "tasks/get", { taskId }, "alice");
    assert.equal(owner.message.result.status, "completed", "the cancel attempt changed nothing");
    await handler.close();
  });

  it("tasks/cancel aborts the tool's ctx.signal and the task ends cancelled, not completed", async () => {
    const { handler, blocking } = tasksHandler();
    const { message } = await asUser(handler, "tools/call", { name: "block" }, "alice");
    const taskId = message.result.taskId;
    const call = await blocking.call(1);
    const ack = await asUser(handler, "tasks/cancel", { taskId }, "alice");
    assert.deepEqual(Object.keys(ack.message.result).sort(), ["_meta", "resultType"]);
    assert.equal(await abortReason(call.signal), "cancelled");
    const after = await pollTask(handler, taskId, () => true, "alice");
    assert.equal(after.status, "cancelled");
    assert.equal(after.result, undefined);
    const again = await asUser(handler, "tasks/cancel", { taskId }, "alice");
    assert.equal(again.message.result.resultType, "complete", "cancel is idempotent");
    await handler.close();
  });

  it("keeps a task for its TTL by the injected clock, and forgets it after", async () => {
    const clock = new TestClock();
    const { handler } = tasksHandler({
      ttlMs: 60_000,
      now: clock.now,
      store: new MemoryTaskStore({ now: clock.now }),
    });
    const { message } = await asUser(handler, "tools/call", { name: "quick" }, "alice");
    const taskId = message.result.taskId;
    assert.equal(message.result.ttlMs, 60_000);
    await pollTask(handler, taskId, (t) => t.status === "completed", "alice");
    clock.advance(59_999);
    assert.equal(
      (await asUser(handler, "tasks/get", { taskId }, "alice")).message.result.taskId,
      taskId,
    );
    clock.advance(1);
    const gone = await asUser(handler, "tasks/get", { taskId }, "alice");
    assert.equal(gone.message.error?.code, -32602);
    await handler.close();
  });

  it("bounds storage: over maxTasksPerPrincipal a call is refused and nothing runs", async () => {
    const { handler, blocking } = tasksHandler({ maxTasksPerPrincipal: 2 });
    for (let i = 0; i < 2; i++) {
      const { message } = await asUser(handler, "tools/call", { name: "block" }, "alice");
      assert.equal(message.result.resultType, "task");
    }
    const refused = await asUser(handler, "tools/call", { name: "block" }, "alice");
    assert.equal(refused.message.error?.code, -32603);
    await blocking.call(2);
    assert.equal(blocking.calls.length, 2, "the refused call never ran");
    const bob = await asUser(handler, "tools/call", { name: "block" }, "bob");
    assert.equal(bob.message.result.resultType, "task", "another principal has its own share");
    blocking.release();
    await handler.close();
  });

  it("finished tasks do not count against maxTasksPerPrincipal: only working ones do", async () => {
    const { handler, blocking } = tasksHandler({ maxTasksPerPrincipal: 2 });
    for (let i = 0; i < 2; i++) {
      const { message } = await asUser(handler, "tools/call", { name: "quick" }, "alice");
      await pollTask(handler, message.result.taskId, (t) => t.status === "completed", "alice");
    }
    for (let i = 0; i < 2; i++) {
      const { message } = await asUser(handler, "tools/call", { name: "block" }, "alice");
      assert.equal(message.result.resultType, "task", "two finished tasks hold no place");
    }
    const refused = await asUser(handler, "tools/call", { name: "block" }, "alice");
    assert.equal(refused.message.error?.code, -32603, "two working ones do");
    await blocking.call(2);
    blocking.release();
    await handler.close();
  });

  it("a result past the store's result budget is not kept: the task ends failed, saying why", async () => {
    const big = defineTool({ name: "big", task: "optional", handler: () => "x".repeat(600) });
    const handler = makeHandler({
      tools: [big],
      extensions: [tasksExtension({
        store: new MemoryTaskStore({
          maxTotalResultBytes: 1_000,
          maxResultBytesPerPrincipal: 1_000,
        }),
        watchIntervalMs: 10,
      })],
    });
    const first = await asUser(handler, "tools/call", { name: "big" });
    const kept = await pollTask(
      handler,
      first.message.result.taskId,
      (t) => t.status !== "working",
    );
    assert.equal(kept.status, "completed");
    const second = await asUser(handler, "tools/call", { name: "big" });
    const refused = await pollTask(
      handler,
      second.message.result.taskId,
      (t) => t.status !== "working",
    );
    assert.equal(refused.status, "failed");
    assert.equal(refused.error.code, -32603);
    assert.match(refused.error.message, /result budget is full/);
    assert.equal(refused.result, undefined);
    const again = await pollTask(handler, first.message.result.taskId, () => true);
    assert.equal(again.result.content[0].text.length, 600, "the kept result stays");
    await handler.close();
  });

  it("an anonymous task is reachable only by its id: no 2025 anonymous session lists or reads it", async () => {
    const { handler, blocking } = tasksHandler();
    const { message } = await asUser(handler, "tools/call", { name: "block" });
    const taskId = message.result.taskId;
    const byId = await asUser(handler, "tasks/get", { taskId });
    assert.equal(byId.message.result.status, "working", "its id is the key to it");
    const session = await initialize(handler);
    assert.deepEqual((await rpc(handler, session, "tasks/list")).message.result.tasks, []);
    const read = await rpc(handler, session, "tasks/get", { taskId });
    assert.equal(read.message.error?.code, -32602);
    (await blocking.call(1)).finish();
    await handler.close();
  });

  it("bounds results: one over maxResultBytes fails the task instead of being kept", async () => {
    const big = defineTool({ name: "big", task: "optional", handler: () => "x".repeat(2_000) });
    const handler = makeHandler({
      tools: [big],
      extensions: [tasksExtension({ maxResultBytes: 1_000, watchIntervalMs: 10 })],
    });
    const { message } = await asUser(handler, "tools/call", { name: "big" });
    const failed = await pollTask(handler, message.result.taskId, (t) => t.status !== "working");
    assert.equal(failed.status, "failed");
    assert.equal(failed.error.code, -32603);
    assert.match(failed.error.message, /1000 bytes/);
    assert.equal(failed.result, undefined);
    await handler.close();
  });

  it("fails closed when the store fails: 503 + Retry-After, the tool never runs, nothing is created", async () => {
    const faults = new Faults();
    const store = faulty<TaskStore>(new MemoryTaskStore(), faults);
    const errors: unknown[] = [];
    const { handler, blocking } = tasksHandler({ store }, {
      observe: { onError: (e) => errors.push(e) },
    });
    /** The documented refusal of a storage failure, as sessions and the event log answer it. */
    const assertUnavailable = (outcome: Awaited<ReturnType<typeof asUser>>, what: string) => {
      assert.equal(outcome.status, 503, what);
      assert.equal(outcome.response.headers.get("retry-after"), "1", what);
      assert.equal(outcome.message.error?.code, -32603, what);
      assert.equal(
        outcome.message.error?.message,
        "Service Unavailable: task storage is unreachable",
        what,
      );
    };
    faults.set("create", "reject");
    const refused = await asUser(handler, "tools/call", { name: "block" }, "alice");
    assertUnavailable(refused, "2026-07-28 tools/call as a task");
    assert.equal(blocking.calls.length, 0);
    assert.equal(errors.length, 1, "the failure is reported to onError");
    faults.clear();
    const { message } = await asUser(handler, "tools/call", { name: "block" }, "alice");
    faults.set("get", "reject");
    const get = await asUser(handler, "tasks/get", { taskId: message.result.taskId }, "alice");
    assertUnavailable(get, "2026-07-28 tasks/get");
    // A 2025 session's tasks/list: the same refusal.
    faults.set("list", "reject");
    const session = await initialize(handler, { headers: { "x-user": "alice" } });
    assertUnavailable(await rpc(handler, session, "tasks/list"), "2025 tasks/list");
    faults.clear();
    blocking.release();
    await handler.close();
  });

  it("without the extension declared: tasks/* answer -32021, an optional task tool runs as a call", async () => {
    const required = defineTool({ name: "must", task: "required", handler: () => "never" });
    const { handler } = tasksHandler({}, {});
    handler.tools.add(required);
    const get = await asUser(handler, "tasks/get", { taskId: "x" }, "alice", {});
    assert.equal(get.status, 400);
    assert.equal(get.message.error.code, -32021);
    assert.ok(
      get.message.error.data.requiredCapabilities.extensions["io.modelcontextprotocol/tasks"],
    );
    const sync = await asUser(handler, "tools/call", { name: "quick" }, "alice", {});
    assert.equal(sync.message.result.resultType, "complete");
    assert.equal(sync.message.result.content[0].text, "quick result");
    const must = await asUser(handler, "tools/call", { name: "must" }, "alice", {});
    assert.equal(must.message.error.code, -32021);
    await handler.close();
  });

  it("a task's elicitation parks it in input_required until tasks/update answers", async () => {
    const handler = makeHandler({
      tools: [askTool],
      extensions: [tasksExtension({ watchIntervalMs: 10 })],
    });
    const { message } = await asUser(handler, "tools/call", { name: "ask" });
    const taskId = message.result.taskId;
    const waiting = await pollTask(handler, taskId, (t) => t.status === "input_required");
    const [key] = Object.keys(waiting.inputRequests);
    assert.equal(waiting.inputRequests[key].method, "elicitation/create");
    const malformed = await asUser(handler, "tasks/update", {
      taskId,
      inputResponses: { [key]: { content: { name: "no action" } } },
    });
    assert.equal(malformed.message.error.code, -32602, "an answer without an action is refused");
    assert.equal((await pollTask(handler, taskId, () => true)).status, "input_required");
    const ack = await asUser(handler, "tasks/update", {
      taskId,
      inputResponses: { [key]: { action: "accept", content: { name: "Ada" } } },
    });
    assert.equal(ack.message.result.resultType, "complete");
    const done = await pollTask(handler, taskId, (t) => t.status === "completed");
    assert.equal(done.result.content[0].text, "hello Ada");
    await handler.close();
  });

  it("a task whose instance stopped renewing its lease is answered failed once the lease has passed", async () => {
    const clock = new TestClock();
    const store = new MemoryTaskStore({ now: clock.now });
    const stubborn = blockingTool({ ignoreAbort: true });
    const settings = { store, now: clock.now, leaseMs: 10_000, watchIntervalMs: 5 };
    const a = makeHandler({
      tools: [{ ...stubborn.tool, task: "optional" }],
      extensions: [tasksExtension(settings)],
    });
    const b = makeHandler({ tools: [], extensions: [tasksExtension(settings)] });
    const { message } = await asUser(a, "tools/call", { name: "block" });
    const taskId = message.result.taskId;
    await stubborn.call(1);
    // Positive control: while A runs it, A renews the lease, and B keeps reporting it working.
    const renewed = async () => {
      await until(
        async () => (await store.get(taskId))!.leaseUntil! > clock.time + 5_000,
        "A to renew the lease",
      );
      return (await store.get(taskId))!.leaseUntil!;
    };
    clock.advance(6_000);
    await renewed();
    clock.advance(6_000);
    const leaseUntil = await renewed();
    assert.equal((await pollTask(b, taskId, () => true)).status, "working");
    await a.close(); // A is gone; its tool, which ignores its signal, never returns
    clock.time = leaseUntil - 1;
    assert.equal((await pollTask(b, taskId, () => true)).status, "working");
    clock.time = leaseUntil;
    const lost = await pollTask(b, taskId, () => true);
    assert.equal(lost.status, "failed");
    assert.equal(lost.error.code, -32603);
    assert.match(lost.error.message, /stopped before it finished/);
    stubborn.release();
    await b.close();
  });

  it("keepAlive is given each task's run, which settles once the task ended; a throwing one is reported", async () => {
    const kept: Promise<void>[] = [];
    const errors: unknown[] = [];
    let fail = false;
    const { handler, blocking } = tasksHandler({
      keepAlive: (work) => {
        kept.push(work);
        if (fail) throw new Error("no request to keep alive");
      },
    }, { observe: { onError: (error: unknown) => void errors.push(error) } });
    const created = await asUser(handler, "tools/call", { name: "block" }, "alice");
    assert.equal(kept.length, 1);
    let settled = false;
    kept[0].then(() => settled = true);
    const call = await blocking.call(1);
    assert.equal(settled, false, "the task is still running");
    call.finish();
    await within(kept[0], 5_000, "the kept run");
    assert.equal(settled, true);
    const done = await pollTask(handler, created.message.result.taskId, () => true, "alice");
    assert.equal(done.status, "completed");
    fail = true;
    const second = await asUser(handler, "tools/call", { name: "quick" }, "alice");
    assert.equal(kept.length, 2);
    assert.match(String(errors[0]), /no request to keep alive/);
    const quick = await pollTask(
      handler,
      second.message.result.taskId,
      (t) => t.status !== "working",
      "alice",
    );
    assert.equal(quick.status, "completed");
    await handler.close();
  });

  it("close() aborts the tasks running in this process", async () => {
    const { handler, blocking } = tasksHandler();
    await asUser(handler, "tools/call", { name: "block" }, "alice");
    const call = await blocking.call(1);
    await within(handler.close(), 3_000, "close()");
    assert.equal(await abortReason(call.signal), "server-closed");
  });
});

describe("tasks extension (2025-11-25 sessions)", () => {
  it("params.task makes a task; tasks/get, tasks/list and tasks/result follow it", async () => {
    const { handler, blocking } = tasksHandler();
    const session = await initialize(handler, { headers: { "x-user": "alice" } });
    assert.ok(session.result.capabilities.tasks.requests.tools.call);
    assert.ok(session.result.capabilities.extensions["io.modelcontextprotocol/tasks"]);
    const listed = await rpc(handler, session, "tools/list");
    const entry = listed.message.result.tools.find((t: { name: string }) => t.name === "block");
    assert.deepEqual(entry.execution, { taskSupport: "optional" });
    const created = await rpc(handler, session, "tools/call", {
      name: "block",
      task: { ttl: 30_000 },
    });
    const task = created.message.result.task;
    assert.equal(task.status, "working");
    assert.equal(task.ttl, 30_000);
    const result = rpc(handler, session, "tasks/result", { taskId: task.taskId });
    const list = await rpc(handler, session, "tasks/list");
    assert.deepEqual(list.message.result.tasks.map((t: { taskId: string }) => t.taskId), [
      task.taskId,
    ]);
    (await blocking.call(1)).finish();
    const answered = (await within(result, 5_000, "tasks/result")).message.result;
    assert.deepEqual(answered.content, [{ type: "text", text: "done" }]);
    assert.deepEqual(answered._meta["io.modelcontextprotocol/related-task"], {
      taskId: task.taskId,
    });
    const status = await rpc(handler, session, "tasks/get", { taskId: task.taskId });
    assert.equal(status.message.result.status, "completed");
    const bob = await initialize(handler, { headers: { "x-user": "bob" } });
    const stolen = await rpc(handler, bob, "tasks/result", { taskId: task.taskId });
    assert.equal(stolen.message.error.code, -32602);
    assert.deepEqual((await rpc(handler, bob, "tasks/list")).message.result.tasks, []);
    await handler.close();
  });

  it("anonymous sessions own their tasks apart: another one neither lists, reads nor cancels them", async () => {
    const { handler, blocking } = tasksHandler();
    const mine = await initialize(handler);
    const theirs = await initialize(handler);
    const created = await rpc(handler, mine, "tools/call", { name: "block", task: {} });
    const taskId = created.message.result.task.taskId;
    const listed = await rpc(handler, mine, "tasks/list");
    assert.deepEqual(listed.message.result.tasks.map((t: { taskId: string }) => t.taskId), [
      taskId,
    ]);
    assert.deepEqual((await rpc(handler, theirs, "tasks/list")).message.result.tasks, []);
    for (const method of ["tasks/get", "tasks/result", "tasks/cancel"]) {
      const other = await rpc(handler, theirs, method, { taskId });
      assert.equal(other.message.error?.code, -32602, method);
    }
    (await blocking.call(1)).finish();
    const result = await rpc(handler, mine, "tasks/result", { taskId });
    assert.deepEqual(result.message.result.content, [{ type: "text", text: "done" }]);
    await handler.close();
  });

  it("a task that asks the client for input fails the ask at once (no tasks/update in this era)", async () => {
    const ask = defineTool({
      name: "ask",
      task: "optional",
      handler: async (_input, ctx) => {
        await ctx.elicit({ message: "Name?", requestedSchema: { type: "object", properties: {} } });
        return "answered";
      },
    });
    const handler = makeHandler({ tools: [ask], extensions: [tasksExtension()] });
    try {
      const session = await initialize(handler, { capabilities: { elicitation: {} } });
      const created = await rpc(handler, session, "tools/call", { name: "ask", task: {} });
      const taskId = created.message.result.task.taskId;
      const result = await within(
        rpc(handler, session, "tasks/result", { taskId }),
        5_000,
        "tasks/result",
      );
      assert.equal(result.message.result.isError, true);
      assert.match(result.message.result.content[0].text, /not available to a task/);
    } finally {
      await handler.close();
    }
  });

  it("without params.task a call runs as before, and tasks/update does not exist in this era", async () => {
    const { handler } = tasksHandler();
    const session = await initialize(handler);
    const { message } = await rpc(handler, session, "tools/call", { name: "quick" });
    assert.equal(message.result.content[0].text, "quick result");
    assert.equal(message.result.task, undefined);
    const update = await rpc(handler, session, "tasks/update", { taskId: "x", inputResponses: {} });
    assert.equal(update.message.error.code, -32601);
    await handler.close();
  });

  it("a required task tool without params.task, and a plain tool with it, answer -32601", async () => {
    const required = defineTool({ name: "must", task: "required", handler: () => "never" });
    const { handler } = tasksHandler();
    handler.tools.add(required);
    const session = await initialize(handler);
    const must = await rpc(handler, session, "tools/call", { name: "must" });
    assert.equal(must.message.error.code, -32601);
    assert.match(must.message.error.message, /must be called as a task/);
    const plainTask = await rpc(handler, session, "tools/call", { name: "plain", task: {} });
    assert.equal(plainTask.message.error.code, -32601);
    assert.match(plainTask.message.error.message, /cannot be called as a task/);
    const created = await rpc(handler, session, "tools/call", { name: "must", task: {} });
    assert.equal(created.message.result.task.status, "working");
    const unknown = await rpc(handler, session, "tools/call", { name: "nope", task: {} });
    assert.equal(unknown.message.error.code, -32602, "an unknown tool stays -32602");
    await handler.close();
  });

  it("the 2026-07-28 wire has no tasks/result or tasks/list", async () => {
    const { handler } = tasksHandler();
    for (const method of ["tasks/result", "tasks/list"]) {
      const { message } = await asUser(handler, method, { taskId: "x" }, "alice", TASK_CLIENT);
      assert.equal(message.error.code, -32601, method);
    }
    await handler.close();
  });
});

it("task store bounds must be positive integers: a RangeError names the store and the option", () => {
  assert.throws(
    () => new MemoryTaskStore({ maxTotalResultBytes: 0 }),
    /MemoryTaskStore option maxTotalResultBytes must be a positive integer/,
  );
  assert.throws(() => new MemoryTaskStore({ maxTasks: 1.5 }), RangeError);
  const unused = {} as ConstructorParameters<typeof RedisTaskStore>[0];
  assert.throws(
    () => new RedisTaskStore(unused, { maxTotalResultBytes: -1 }),
    /RedisTaskStore option maxTotalResultBytes must be a positive integer/,
  );
  assert.throws(() => new RedisTaskStore(unused, { maxTasks: Number.NaN }), RangeError);
  assert.throws(
    () => new MemoryTaskStore({ maxResultBytesPerPrincipal: 0 }),
    /MemoryTaskStore option maxResultBytesPerPrincipal must be a positive integer/,
  );
  assert.throws(() => new RedisTaskStore(unused, { maxResultBytesPerPrincipal: 0.5 }), RangeError);
});
