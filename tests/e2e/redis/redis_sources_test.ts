/**
 * createRedisBackend refuses at startup what it cannot run on, with an error
 * that says what to pass: a Redis Cluster node given as `{ url }` (or as a
 * plain client), node-redis's cluster and Sentinel clients, an object of the
 * wrong shape. Real rigs: a 3+3 Cluster and a Sentinel rig on loopback.
 */

import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createClient, createCluster, createSentinel } from "redis";
import {
  createRedisBackend,
  type DuplicableRedisClient,
} from "../../../src/redis/redis_backend.ts";
import { describeRedis, itRedis, startRedis, type TestRedis } from "./redis_server.ts";
import {
  redisCli,
  startRedisCluster,
  startRedisSentinel,
  type TestRedisCluster,
  type TestRedisSentinel,
} from "./redis_topologies.ts";

const asClient = (client: unknown) => ({ client: client as DuplicableRedisClient });

describeRedis("createRedisBackend: sources refused at startup", () => {
  let cluster: TestRedisCluster;
  let sentinel: TestRedisSentinel;
  let single: TestRedis;
  const toClose: { destroy(): void }[] = [];

  before(async () => {
    single = await startRedis();
    cluster = await startRedisCluster();
    sentinel = await startRedisSentinel();
  });
  after(async () => {
    for (const client of toClose) {
      try {
        client.destroy();
      } catch { /* closed */ }
    }
    await Promise.all([cluster?.stop(), sentinel?.stop(), single?.stop()]);
  });

  itRedis("a Cluster node as { url } is refused, naming { cluster: { rootNodes } }", async () => {
    await assert.rejects(
      createRedisBackend({ url: cluster.url }, { connectTimeoutMs: 5_000 }),
      (error: Error) => {
        assert.match(error.message, /cluster mode \(cluster_enabled:1\)/);
        assert.match(error.message, /\{ cluster: \{ rootNodes \} \}/);
        assert.match(error.message, /pass a standalone Redis/);
        return true;
      },
    );
  });

  itRedis("a plain client connected to a Cluster node is refused the same way", async () => {
    const client = createClient({ url: cluster.url });
    client.on("error", () => {});
    await client.connect();
    toClose.push(client);
    await assert.rejects(
      createRedisBackend(asClient(client)),
      /cluster mode \(cluster_enabled:1\)/,
    );
  });

  itRedis("node-redis's cluster client as { client } is refused, naming it", async () => {
    const client = createCluster({ rootNodes: cluster.rootNodes });
    client.on("error", () => {});
    await client.connect();
    toClose.push(client);
    for (const key of ["a", "b", "c", "d"]) await client.set(key, key); // the rig serves: every slot
    assert.equal(client.masters.length, 3, "positive control: three masters");
    const nodes = await redisCli(["-p", String(cluster.nodes[0].port), "CLUSTER", "NODES"]);
    assert.equal(
      nodes.split("\n").filter((line) => line.includes("slave")).length,
      3,
      "three replicas",
    );
    await assert.rejects(createRedisBackend(asClient(client)), (error: Error) => {
      assert.match(error.message, /cluster client \(createCluster\)/);
      assert.match(error.message, /\{ cluster: \{ rootNodes \} \}/);
      return true;
    });
  });

  itRedis("node-redis's Sentinel client as { client } is refused, naming it", async () => {
    const client = createSentinel({
      name: sentinel.name,
      sentinelRootNodes: sentinel.sentinelRootNodes,
    });
    client.on("error", () => {});
    await client.connect();
    toClose.push(client);
    await assert.rejects(createRedisBackend(asClient(client)), (error: Error) => {
      assert.match(error.message, /Sentinel client \(createSentinel\)/);
      assert.match(error.message, /\{ sentinel: \{ name, sentinels \} \}/);
      return true;
    });
  });

  itRedis(
    "an object without sendCommand/duplicate is refused, naming what is missing",
    async () => {
      await assert.rejects(
        createRedisBackend(asClient({ sendCommand: () => Promise.resolve("OK") })),
        /without duplicate\(\)/,
      );
      await assert.rejects(createRedisBackend(asClient(undefined)), /got undefined/);
    },
  );

  itRedis(
    "{ cluster } and { sentinel } are refused as not supported yet, not as a wrong client",
    async () => {
      type Target = Parameters<typeof createRedisBackend>[0];
      const cases: [unknown, RegExp][] = [
        [
          { cluster: { rootNodes: cluster.rootNodes } },
          /\{ cluster \}\): Redis Cluster is not supported/,
        ],
        [{ sentinel: { name: "m", sentinels: [] } }, /\{ sentinel \}\): Sentinel is not supported/],
        [{ url: 6379 }, /needs a string URL/],
        [undefined, /got undefined/],
      ];
      for (const [target, message] of cases) {
        await assert.rejects(createRedisBackend(target as Target), message);
      }
    },
  );

  itRedis("positive controls: a standalone Redis and the Sentinel rig's master start", async () => {
    for (const url of [single.url, `redis://127.0.0.1:${sentinel.master.port}`]) {
      const backend = await createRedisBackend({ url });
      await backend.close();
    }
    const client = createClient({ url: single.url });
    client.on("error", () => {});
    await client.connect();
    toClose.push(client);
    const backend = await createRedisBackend(asClient(client));
    await backend.close();
  });

  // Last: it kills the rig's master (the rig for the failover work to come).
  itRedis("the Sentinel rig fails over when its master is killed", async () => {
    assert.equal(await sentinel.masterPort(), sentinel.master.port);
    await sentinel.master.kill();
    assert.equal(await sentinel.waitForNewMaster(sentinel.master.port), sentinel.replica.port);
  });
});
