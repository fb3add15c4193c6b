/**
 * Tasks shared through Postgres by several instances (a real PostgreSQL 15 this file starts),
 * each instance with a backend of its own (its pool and its listening connection): any instance
 * answers for a task another one runs, through the official SDK client on 2025-11-25 sessions
 * (read, listed, waited on, cancelled) and in 2026-07-28 (read, given input, cancelled); a
 * change made on one instance reaches the instance running the task by its wake-up, long before
 * that instance's next poll, and without wake-ups (polling-only) by the poll; a task outlives
 * its instance; Postgres stopped: the task methods fail at once, then serve again.
 */
import assert from "node:assert/strict";
import type { McpHandler, Principal } from "../../../mod.ts";
import { tasksExtension } from "../../../src/extensions/tasks/mod.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
  type PostgresBackendOptions,
} from "../../../src/postgres/postgres_backend.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { blockingTool } from "../../blocking_tool.ts";
import { abortReason, makeHandler, until, within } from "../../helpers.ts";
import {
  answerAcross,
  askTool as ask,
  asUser,
  cancelAcross,
  pollTask,
} from "../../support/task_helpers.ts";
import { CallToolResultSchema, connectClient } from "../interop/helpers.ts";
import { itPostgres, migratedPostgresForFile } from "./postgres_server.ts";

const postgresServer = migratedPostgresForFile();
let n = 0;

/** The caller: `x-user` (raw requests) or `Authorization: Bearer <user>` (SDK clients). */
function caller(request: Request): Principal | undefined {
  const user = request.headers.get("x-user") ??
    request.headers.get("authorization")?.replace(/^Bearer /, "");
  return user === undefined || user === null ? undefined : { id: user };
}

/** One instance: a backend of its own on the shared database, a handler, a blocking tool. */
async function instance(namespace: string, options: {
  watchIntervalMs?: number;
  backend?: PostgresBackendOptions;
} = {}) {
  const backend = await createPostgresBackend({ url: postgresServer().url }, {
    namespace,
    statementTimeoutMs: 5_000,
    onError: () => {},
    ...options.backend,
  });
  const blocking = blockingTool();
  const handler: McpHandler = makeHandler({
    auth: { authenticate: caller },
    sessions: { store: backend.sessionStore },
    tools: [{ ...blocking.tool, task: "optional" }, ask],
    extensions: [
      tasksExtension({
        store: backend.taskStore,
        pollIntervalMs: 20,
        watchIntervalMs: options.watchIntervalMs ?? 10,
      }),
    ],
  });
  return {
    backend,
    handler,
    blocking,
    async close() {
      blocking.release();
      await handler.close();
      await backend.close();
    },
  };
}

type Instance = Awaited<ReturnType<typeof instance>>;

/** Two instances on one namespace; closed after `flow`. */
async function twoInstances(
  flow: (a: Instance, b: Instance) => Promise<void>,
  options: Parameters<typeof instance>[1] = {},
  optionsOfB = options,
) {
  const namespace = `x${++n}`;
  const a = await instance(namespace, options);
  const b = await instance(namespace, optionsOfB);
  try {
    await flow(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

itPostgres(
  "2026-07-28: another instance reports a running task and its cancel reaches the tool's signal",
  async () => {
    await twoInstances((a, b) => cancelAcross(a, b));
  },
);

itPostgres(
  "2026-07-28: an answer given to another instance resumes the task where it runs",
  async () => {
    await twoInstances(answerAcross);
  },
);

itPostgres(
  "a cancel and an answer reach the running instance by their wake-up, long before its next poll",
  async () => {
    // A minute between polls: only the wake-up can bring the change within the test's deadline.
    const slow = { watchIntervalMs: 60_000 };
    await twoInstances((a, b) => cancelAcross(a, b, 3_000), slow);
    await twoInstances(async (a, b) => {
      const started = Date.now();
      await answerAcross(a, b);
      assert.ok(Date.now() - started < 10_000, "resumed without waiting for a poll");
    }, slow);
  },
);

itPostgres(
  "polling-only (no wake-ups): a cancel still reaches the running instance, by its poll",
  async () => {
    await twoInstances((a, b) => cancelAcross(a, b), {
      watchIntervalMs: 50,
      backend: { listen: false },
    });
  },
);

itPostgres(
  "2025-11-25 through the official SDK client: a task created on A is read, listed, waited on and cancelled on B",
  async () => {
    await twoInstances(async (a, b) => {
      const servers = [await serveHandler(a.handler), await serveHandler(b.handler)];
      const [onA, onB] = await Promise.all(
        servers.map((running) => connectClient(`${running.url}/mcp`, { token: "alice" })),
      );
      try {
        await onA.client.listTools(); // the client learns which tools take tasks
        const stream = onA.client.experimental.tasks.callToolStream(
          { name: "block", arguments: {} },
          CallToolResultSchema,
        );
        const first = await stream.next();
        assert.equal(first.value?.type, "taskCreated");
        const taskId = (first.value as { task: { taskId: string } }).task.taskId;
        const call = await a.blocking.call(1);
        assert.equal((await onB.client.experimental.tasks.getTask(taskId)).status, "working");
        const listed = await onB.client.experimental.tasks.listTasks();
        assert.deepEqual(listed.tasks.map((task) => task.taskId), [taskId]);
        // B waits on the task A runs; A's tool finishes; B's wait ends with the result.
        const waited = onB.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
        call.finish();
        const result = await within(waited, 10_000, "B's tasks/result");
        assert.deepEqual(result.content, [{ type: "text", text: "done" }]);
        for await (const _ of stream) { /* A's stream ends too */ }
        // A second task, cancelled through B: the tool on A sees its signal abort.
        const second = onA.client.experimental.tasks.callToolStream(
          { name: "block", arguments: {} },
          CallToolResultSchema,
        );
        const created = await second.next();
        const secondId = (created.value as { task: { taskId: string } }).task.taskId;
        const running = await a.blocking.call(2);
        const cancelled = await onB.client.experimental.tasks.cancelTask(secondId);
        assert.equal(cancelled.status, "cancelled");
        assert.equal(await abortReason(running.signal, 3_000), "cancelled");
        for await (const _ of second) { /* ends with the cancellation */ }
        assert.equal((await onA.client.experimental.tasks.getTask(secondId)).status, "cancelled");
      } finally {
        await onA.close();
        await onB.close();
        for (const running of servers) await running.close();
      }
    });
  },
);

itPostgres("a task outlives its instance: a new instance answers with its result", async () => {
  const namespace = `x${++n}`;
  const first = await instance(namespace);
  const { message } = await asUser(first.handler, "tools/call", { name: "block" }, "alice");
  const taskId = message.result.taskId;
  (await first.blocking.call(1)).finish();
  await pollTask(first.handler, taskId, (t) => t.status === "completed", "alice");
  await first.close();
  const restarted = await instance(namespace);
  try {
    const answered = await asUser(restarted.handler, "tasks/get", { taskId }, "alice");
    assert.equal(answered.message.result.status, "completed");
    assert.deepEqual(answered.message.result.result.content, [{ type: "text", text: "done" }]);
  } finally {
    await restarted.close();
  }
});

itPostgres(
  "Postgres stopped: tools/call and tasks/get answer -32603 at once, nothing runs, told once; back up, tasks serve again",
  async () => {
    const errors: Error[] = [];
    let backend: PostgresBackend | undefined;
    const blocking = blockingTool();
    let handler: McpHandler | undefined;
    try {
      backend = await createPostgresBackend({ url: postgresServer().url }, {
        namespace: `x${++n}`,
        statementTimeoutMs: 1_000,
        connectTimeoutMs: 1_000,
        onError: (error) => errors.push(error as Error),
      });
      handler = makeHandler({
        tools: [{ ...blocking.tool, task: "optional" }],
        extensions: [tasksExtension({ store: backend.taskStore, watchIntervalMs: 10 })],
      });
      const served = handler;
      const { message } = await asUser(served, "tools/call", { name: "block" }, "alice");
      const taskId = message.result.taskId;
      (await blocking.call(1)).finish();
      await pollTask(served, taskId, (t) => t.status === "completed", "alice");
      // A clean stop: the test cluster commits asynchronously, and an immediate one could lose
      // the last commits, which is not what this test is about.
      await postgresServer().halt("fast");
      const refused = await within(
        asUser(served, "tools/call", { name: "block" }, "alice"),
        5_000,
        "a refusal, not a hang",
      );
      assert.equal(refused.status, 503);
      assert.equal(refused.response.headers.get("retry-after"), "1");
      assert.equal(refused.message.error?.code, -32603);
      assert.equal(
        refused.message.error?.message,
        "Service Unavailable: task storage is unreachable",
      );
      assert.equal(blocking.calls.length, 1, "the refused call never ran");
      const get = await within(
        asUser(served, "tasks/get", { taskId }, "alice"),
        5_000,
        "a refusal, not a hang",
      );
      assert.equal(get.message.error?.code, -32603);
      assert.deepEqual(
        errors.filter((error) => error.name === "StorageOutageError").length,
        1,
        "the outage is told once, not each failure",
      );
      await postgresServer().restart();
      await until(
        async () => {
          const again = await asUser(served, "tasks/get", { taskId }, "alice");
          return again.message.result?.status === "completed";
        },
        "tasks to be served again once Postgres is back",
        15_000,
        200,
      );
    } finally {
      blocking.release();
      await handler?.close();
      await backend?.close();
    }
  },
);
