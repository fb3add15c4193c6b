/** The Redis SessionStore, EventLog and TaskStore meet their contracts, against a real redis-server. */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import { RedisTaskStore } from "../../../src/redis/tasks/redis_task_store.ts";
import { describeTaskStore } from "../../contracts/task_store_contract.ts";
import { describeEventLog } from "../../contracts/event_log_contract.ts";
import { describeSessionStore } from "../../contracts/session_store_contract.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

// A fresh key prefix per test: an empty store on the shared server.
describeRedis("Redis contracts", () =>
  describeSessionStore(
    "RedisSessionStore",
    () => new RedisSessionStore(redis.client, { prefix: `t${++n}:` }),
    { getAndTouch: true },
  ));
describeRedis("Redis contracts", () =>
  describeEventLog(
    "RedisEventLog",
    () =>
      new RedisEventLog(redis.client, {
        prefix: `t${++n}:`,
        openConnection: () => redis.openConnection(),
      }),
    {
      tailing: true,
      appendMany: true,
      bounded: (bounds) => new RedisEventLog(redis.client, { prefix: `t${++n}:`, ...bounds }),
    },
  ));
describeRedis("Redis contracts", () =>
  describeEventLog(
    "RedisEventLog without blocking connections (polls)",
    () => new RedisEventLog(redis.client, { prefix: `t${++n}:` }),
    { tailing: true },
  ));
describeRedis("Redis contracts", () =>
  describeTaskStore(
    "RedisTaskStore",
    (now, bounds) => new RedisTaskStore(redis.client, { prefix: `t${++n}:`, now, ...bounds }),
  ));

/** Bytes Redis has sent to its clients so far (`INFO stats`). */
async function outputBytes(): Promise<number> {
  const info = await redis.client.sendCommand(["INFO", "stats"]) as string;
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]);
}

describeRedis("RedisTaskStore listing", () => {
  itRedis("tasks/list's read sends no result bytes: a 1 MB result stays in Redis", async () => {
    const store = new RedisTaskStore(redis.client, { prefix: `t${++n}:` });
    const now = Date.now();
    for (const taskId of ["a", "b"]) {
      await store.create({
        taskId,
        ownerKey: "anonymous",
        status: "working",
        createdAt: now,
        lastUpdatedAt: now,
        ttlMs: 60_000,
        pollIntervalMs: 500,
      }, 10);
      const text = "x".repeat(1_000_000);
      await store.change(taskId, {
        type: "settle",
        status: "completed",
        result: { content: [{ type: "text", text }] },
      });
    }
    const before = await outputBytes();
    const listed = await store.list("anonymous");
    const sent = await outputBytes() - before;
    assert.deepEqual(listed.map((task) => task.status), ["completed", "completed"]);
    assert.ok(sent < 50_000, `list read ${sent} bytes`);
    // The positive control: reading one task does send its result.
    const beforeGet = await outputBytes();
    assert.equal((await store.get("a"))?.status, "completed");
    assert.ok(await outputBytes() - beforeGet > 1_000_000);
  });
});

describeRedis("RedisTaskStore result budget", () => {
  itRedis(
    "forgets the sizes of expired results as it writes new ones, so its books stay bounded",
    async () => {
      const prefix = `t${++n}:`;
      const clock = { now: 1_000 };
      const store = new RedisTaskStore(redis.client, { prefix, now: () => clock.now });
      const settle = async (taskId: string) => {
        await store.create({
          taskId,
          ownerKey: "anonymous",
          status: "working",
          createdAt: clock.now,
          lastUpdatedAt: clock.now,
          ttlMs: 60_000,
          pollIntervalMs: 500,
        }, 1_000);
        await store.change(taskId, {
          type: "settle",
          status: "completed",
          result: { content: [{ type: "text", text: "small" }] },
        });
      };
      for (let i = 0; i < 150; i++) await settle(`old${i}`);
      const sizes = `${prefix}{tasks}:result-sizes`;
      assert.equal(await redis.client.sendCommand(["HLEN", sizes]), 150);
      clock.now += 60_000;
      await settle("new");
      assert.equal(await redis.client.sendCommand(["HLEN", sizes]), 51, "100 expired forgotten");
      const one = JSON.stringify({ content: [{ type: "text", text: "small" }] }).length;
      const used = await redis.client.sendCommand(["GET", `${prefix}{tasks}:result-bytes`]);
      assert.equal(Number(used), 51 * one, "the counter is the sum of the sizes kept");
    },
  );
});
