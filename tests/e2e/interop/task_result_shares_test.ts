/**
 * Task results are shared fairly (issue 67): three principals filled the
 * whole 256 MiB result budget in 12 s, and every other principal's results
 * over about 600 KB then failed for the task TTL. Through SDK v1's tasks
 * client over real HTTP, principals who fill their share of the budget fail
 * only their own results; another principal's large result is still kept,
 * with the memory store and with the Redis store on a real redis-server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as z from "zod";
import { AuthenticationError, defineTool, type Principal } from "../../../mod.ts";
import {
  MemoryTaskStore,
  RESULT_BUDGET_FULL,
  tasksExtension,
  type TaskStore,
} from "../../../src/extensions/tasks/mod.ts";
import { RedisTaskStore } from "../../../src/redis/tasks/redis_task_store.ts";
import {
  describeRedis,
  itRedis,
  redisSkip,
  startRedis,
  type TestRedis,
} from "../redis/redis_server.ts";
import { CallToolResultSchema, type SdkConnection, withServer } from "./helpers.ts";

/** `Authorization: Bearer <name>` is the principal `<name>`. */
function bearer(request: Request): Principal | undefined {
  const match = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "");
  if (match === null) throw new AuthenticationError();
  return { id: match[1] };
}

/** A result of `bytes` characters of text. */
const report = defineTool({
  name: "report",
  input: z.object({ bytes: z.number().int().positive() }),
  task: "optional",
  handler: ({ bytes }) => "x".repeat(bytes),
});

/** How a task ended: its result's text length, or its status and why. */
type Outcome = { text: number } | { status: string; why?: string };

/** Runs `report` as a task on `connection` to its end. */
async function runReport(connection: SdkConnection, bytes: number): Promise<Outcome> {
  const stream = connection.client.experimental.tasks.callToolStream(
    { name: "report", arguments: { bytes } },
    CallToolResultSchema,
  );
  let taskId = "";
  for await (const message of stream) {
    if (message.type === "taskCreated") taskId = message.task.taskId;
    if (message.type === "result") {
      return { text: (message.result.content[0] as { text: string }).text.length };
    }
    if (message.type === "error") {
      const task = await connection.client.experimental.tasks.getTask(taskId);
      const why = await connection.client.experimental.tasks.getTaskResult(
        taskId,
        CallToolResultSchema,
      ).then(() => "a result", (error: Error) => error.message);
      return { status: task.status, why };
    }
  }
  throw new Error("the task stream ended without an outcome");
}

/**
 * Three principals each run two 200 KB tasks on a server whose store keeps
 * 1 MB of results (250 KB, a quarter, each): one result fits a share, two do
 * not. Then principal B runs one.
 */
async function fillSharesThenB(store: TaskStore): Promise<void> {
  await withServer({
    tools: [report],
    auth: { authenticate: bearer },
    extensions: [tasksExtension({ store, pollIntervalMs: 20 })],
  }, async (server) => {
    const outcomes: Record<string, Outcome[]> = {};
    for (const name of ["a1", "a2", "a3"]) {
      const connection = await server.connect({ token: name });
      await connection.client.listTools(); // the client learns which tools take tasks
      outcomes[name] = [await runReport(connection, 200_000), await runReport(connection, 200_000)];
    }
    const b = await server.connect({ token: "b" });
    await b.client.listTools();
    assert.deepEqual(await runReport(b, 200_000), { text: 200_000 }, "B's result is kept");
    for (const name of ["a1", "a2", "a3"]) {
      const [first, second] = outcomes[name];
      assert.deepEqual(first, { text: 200_000 }, `${name}'s first result fits its share`);
      assert.deepEqual(
        second,
        { status: "failed", why: `MCP error -32603: ${RESULT_BUDGET_FULL}` },
        `${name}'s second result is past its share`,
      );
    }
  });
}

describe("task result shares through SDK v1's tasks client", () => {
  it("principal B's large result is kept after principals A1-A3 fill their shares", async () => {
    const store = new MemoryTaskStore({ maxTotalResultBytes: 1_000_000 });
    try {
      await fillSharesThenB(store);
    } finally {
      await store.close();
    }
  });
});

let redis: TestRedis | undefined;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

describeRedis("task result shares on Redis through SDK v1's tasks client", () => {
  itRedis(
    "principal B's large result is kept after principals A1-A3 fill their shares",
    () => fillSharesThenB(new RedisTaskStore(redis!.client, { maxTotalResultBytes: 1_000_000 })),
  );
});
