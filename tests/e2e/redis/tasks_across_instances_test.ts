/**
 * Tasks shared through Redis by several instances (a real redis-server): any
 * instance answers for a task another one runs (status, cancel reaching the
 * running tool's signal, answers resuming it), and a task outlives the
 * instance that created it (a new instance, with a new client, answers).
 * The cross-instance flows run on a real Redis Cluster and under a real
 * Sentinel rig too, each instance with a backend of its own.
 */

import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { createClient } from "redis";
import type { McpHandler } from "../../../mod.ts";
import { tasksExtension } from "../../../src/extensions/tasks/mod.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { RedisTaskStore } from "../../../src/redis/tasks/redis_task_store.ts";
import type { RedisSource } from "../../../src/redis/connection/redis_sources.ts";
import type { TaskStore } from "../../../src/storage/mod.ts";
import { blockingTool } from "../../blocking_tool.ts";
import { makeHandler, until } from "../../helpers.ts";
import {
  answerAcross,
  askTool as ask,
  asUser,
  cancelAcross,
  pollTask,
  userFromHeader,
} from "../../support/task_helpers.ts";
import {
  describeRedis,
  redisSkip,
  startRedis,
  startRestartableRedis,
  startTopology,
  type TestRedis,
} from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** An instance whose tasks live in `store`. */
function instanceWith(store: TaskStore) {
  const blocking = blockingTool();
  const handler: McpHandler = makeHandler({
    auth: {
      authenticate: userFromHeader,
    },
    tools: [{ ...blocking.tool, task: "optional" }, ask],
    extensions: [tasksExtension({ store, watchIntervalMs: 10 })],
  });
  return { handler, blocking };
}

/** An instance on the shared Redis, with `client` (the shared test client by default). */
function instance(prefix: string, client = redis.client) {
  return instanceWith(new RedisTaskStore(client, { prefix }));
}

type Instance = ReturnType<typeof instance>;

/** Two instances on one prefix, on the shared Redis; closed after `flow`. */
async function onSharedRedis(flow: (a: Instance, b: Instance) => Promise<void>) {
  const prefix = `x${++n}:`;
  const a = instance(prefix);
  const b = instance(prefix);
  try {
    await flow(a, b);
  } finally {
    await a.handler.close();
    await b.handler.close();
  }
}

describeRedis("tasks across instances (Redis)", () => {
  it("another instance reports a running task and its cancel reaches the tool's signal", async () => {
    await onSharedRedis(cancelAcross);
  });

  it("an answer given to another instance resumes the task where it runs", async () => {
    await onSharedRedis(answerAcross);
  });

  it("a task outlives its instance: after a restart a new instance answers with its result", async () => {
    const prefix = `x${++n}:`;
    const first = instance(prefix);
    const { message } = await asUser(first.handler, "tools/call", { name: "block" }, "alice");
    const taskId = message.result.taskId;
    (await first.blocking.call(1)).finish();
    await pollTask(first.handler, taskId, (t) => t.status === "completed", "alice");
    await first.handler.close();
    // The restarted instance: a new process's handler, with a Redis client of its own.
    const client = createClient({ url: redis.url });
    client.on("error", () => {});
    await client.connect();
    try {
      const restarted = instance(prefix, client as unknown as typeof redis.client);
      const answered = await asUser(restarted.handler, "tasks/get", { taskId }, "alice");
      assert.equal(answered.message.result.status, "completed");
      assert.deepEqual(answered.message.result.result.content, [{ type: "text", text: "done" }]);
      await restarted.handler.close();
    } finally {
      client.destroy();
    }
  });

  it("Redis down: tools/call and tasks/get answer -32603 at once, nothing runs; back up, tasks serve again", async () => {
    const down = await startRestartableRedis();
    const errors: unknown[] = [];
    const backend = await createRedisBackend({ url: down.url }, {
      prefix: `x${++n}:`,
      onError: (error) => errors.push(error), // the outage is told here, once
    });
    const blocking = blockingTool();
    const handler = makeHandler({
      tools: [{ ...blocking.tool, task: "optional" }],
      observe: {
        onError: (error) => errors.push(error),
      },
      extensions: [tasksExtension({ store: backend.taskStore, watchIntervalMs: 10 })],
    });
    try {
      const { message } = await asUser(handler, "tools/call", { name: "block" }, "alice");
      const taskId = message.result.taskId;
      (await blocking.call(1)).finish();
      await pollTask(handler, taskId, (t) => t.status === "completed", "alice");
      await down.kill();
      const refused = await asUser(handler, "tools/call", { name: "block" }, "alice");
      assert.equal(refused.status, 503);
      assert.equal(refused.response.headers.get("retry-after"), "1");
      assert.equal(refused.message.error?.code, -32603);
      assert.equal(
        refused.message.error?.message,
        "Service Unavailable: task storage is unreachable",
      );
      assert.equal(blocking.calls.length, 1, "the refused call never ran");
      const get = await asUser(handler, "tasks/get", { taskId }, "alice");
      assert.equal(get.message.error?.code, -32603);
      assert.deepEqual(
        errors.map((error) => (error as Error).name),
        ["StorageOutageError"],
        "the outage is reported once, not each failure",
      );
      await down.restart();
      await until(
        async () => {
          const again = await asUser(handler, "tools/call", { name: "block" }, "alice");
          return again.message.result?.resultType === "task";
        },
        "tasks to be served again once Redis is back",
        10_000,
      );
    } finally {
      blocking.release();
      await handler.close();
      await backend.close();
      await down.stop();
    }
  });
});

for (const topology of ["a Redis Cluster", "Sentinel"] as const) {
  describeRedis(`tasks across instances on ${topology}`, () => {
    let rig: { source: RedisSource; stop(): Promise<void> } | undefined;
    before(async () => {
      rig = await startTopology(topology);
    });
    after(async () => {
      await rig?.stop();
    });

    /** Two instances, each with a backend of its own on `source`; closed after `flow`. */
    async function onTopology(flow: (a: Instance, b: Instance) => Promise<void>) {
      const prefix = `t${++n}:`;
      const backends = [
        await createRedisBackend(rig!.source, { prefix, onError: () => {} }),
        await createRedisBackend(rig!.source, { prefix, onError: () => {} }),
      ];
      const [a, b] = backends.map((backend) => instanceWith(backend.taskStore));
      try {
        await flow(a, b);
      } finally {
        await a.handler.close();
        await b.handler.close();
        for (const backend of backends) await backend.close();
      }
    }

    it("another instance reports a running task and its cancel reaches the tool's signal", async () => {
      await onTopology(cancelAcross);
    });

    it("an answer given to another instance resumes the task where it runs", async () => {
      await onTopology(answerAcross);
    });
  });
}
