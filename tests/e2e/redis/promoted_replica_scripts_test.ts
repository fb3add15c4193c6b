/**
 * Scripts survive a promotion: a real redis-server replica, promoted with `REPLICAOF NO ONE`,
 * starts with an empty script cache (scripts are not replicated), so the first `EVALSHA` of each
 * script meets `NOSCRIPT`; the backend sends the script's source once (`EVAL`, which caches it)
 * and the call is served. Shown on a call that needs the session store's read-and-touch script,
 * for a session made on the old master.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before } from "node:test";
import { createMcpHandler, defineTool } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { GET_AND_TOUCH } from "../../../src/redis/sessions/session_store_scripts.ts";
import { initialize, rpc, until } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

/** A handler on `backend` with one tool. */
function handlerOn(backend: RedisBackend) {
  return createMcpHandler({
    name: "promoted",
    version: "1.0.0",
    observe: { onError: () => {} },
    sessions: { store: backend.sessionStore },
    streams: { eventLog: backend.eventLog },
    bus: backend.bus,
    tools: [defineTool({ name: "quick", handler: () => "ok" })],
  });
}

/** A field of one line of `INFO commandstats`, e.g. the `calls` of `evalsha`; 0 when absent. */
async function commandStat(redis: TestRedis, command: string, field: string): Promise<number> {
  const info = String(await redis.client.sendCommand(["INFO", "commandstats"]));
  const line = info.split("\r\n").find((l) => l.startsWith(`cmdstat_${command}:`)) ?? "";
  return Number(
    new RegExp(`(?:^|[:,])${field}=(\\d+)`).exec(line.slice(line.indexOf(":")))?.[1] ?? 0,
  );
}

describeRedis("a replica promoted to master (REPLICAOF NO ONE)", () => {
  let master: TestRedis;
  let replica: TestRedis;
  before(async () => {
    if (redisSkip === false) [master, replica] = await Promise.all([startRedis(), startRedis()]);
  });
  after(async () => {
    await Promise.all([master?.stop(), replica?.stop()]);
  });

  itRedis("serves a call that needs a script: NOSCRIPT, then the source once", async () => {
    const sha = createHash("sha1").update(GET_AND_TOUCH.source).digest("hex");
    const old = await createRedisBackend({ url: master.url }, {
      prefix: "promoted:",
      onError: () => {},
    });
    const oldHandler = handlerOn(old);
    let promoted: RedisBackend | undefined;
    let promotedHandler: ReturnType<typeof handlerOn> | undefined;
    try {
      const session = await initialize(oldHandler);
      assert.equal((await rpc(oldHandler, session, "tools/call", { name: "quick" })).status, 200);
      assert.deepEqual(
        await master.client.sendCommand(["SCRIPT", "EXISTS", sha]),
        [1],
        "positive control: the old master ran the read-and-touch script",
      );

      await replica.client.sendCommand(["REPLICAOF", "127.0.0.1", new URL(master.url).port]);
      await until(
        async () => {
          const info = String(await replica.client.sendCommand(["INFO", "replication"]));
          const keys = await replica.client.sendCommand(["DBSIZE"]);
          return info.includes("master_link_status:up") && Number(keys) > 0;
        },
        "the replica to hold the master's data",
        10_000,
      );
      await replica.client.sendCommand(["REPLICAOF", "NO", "ONE"]);
      // The promoted node holds the session but none of the scripts.
      assert.deepEqual(await replica.client.sendCommand(["SCRIPT", "EXISTS", sha]), [0]);
      const evalsBefore = await commandStat(replica, "eval", "calls");

      promoted = await createRedisBackend({ url: replica.url }, {
        prefix: "promoted:",
        onError: () => {},
      });
      promotedHandler = handlerOn(promoted);
      const answer = await rpc(promotedHandler, session, "tools/call", { name: "quick" });
      assert.equal(answer.status, 200, "the session made on the old master, served by the new");
      assert.match(JSON.stringify(answer.message), /"ok"/);
      // It went through NOSCRIPT: the EVALSHA failed, the source was sent, and is cached now.
      assert.ok(await commandStat(replica, "evalsha", "failed_calls") >= 1, "NOSCRIPT was met");
      assert.ok(await commandStat(replica, "eval", "calls") > evalsBefore, "the source was sent");
      assert.deepEqual(await replica.client.sendCommand(["SCRIPT", "EXISTS", sha]), [1]);
      // The next call runs it by its SHA-1 alone.
      const evals = await commandStat(replica, "eval", "calls");
      assert.equal(
        (await rpc(promotedHandler, session, "tools/call", { name: "quick" })).status,
        200,
      );
      assert.equal(await commandStat(replica, "eval", "calls"), evals);
    } finally {
      await oldHandler.close();
      await promotedHandler?.close();
      await old.close();
      await promoted?.close();
    }
  });
});
