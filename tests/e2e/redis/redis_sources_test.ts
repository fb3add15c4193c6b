/**
 * createRedisBackend's sources: a Cluster (`{ cluster }` or node-redis's
 * cluster client) and Sentinel (`{ sentinel }` or its Sentinel client) serve;
 * what it cannot run on is refused at startup with an error that says what
 * to pass: a Redis Cluster node given as `{ url }` (or as a plain client), an
 * object of the wrong shape, a source without addresses. Real rigs: a 3+3
 * Cluster and a Sentinel rig on loopback.
 */

import assert from "node:assert/strict";
import { after, before } from "node:test";
import { until } from "../../helpers.ts";
import { createClient, createCluster, createSentinel } from "redis";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import type { DuplicableRedisClient } from "../../../src/redis/connection/redis_sources.ts";
import { describeRedis, itRedis, startRedis, type TestRedis } from "./redis_server.ts";
import {
  redisCli,
  startRedisCluster,
  startRedisSentinel,
  startRigs,
  type TestRedisCluster,
  type TestRedisSentinel,
} from "../../../scripts/redis_topologies.ts";

const asClient = (client: unknown) => ({ client: client as DuplicableRedisClient });

/**
 * Every part of `backend` works on keys spread over many slots: sessions with
 * state, a resumable stream, a task, a bus message; then it closes.
 */
async function servesEverySlot(backend: RedisBackend): Promise<void> {
  try {
    const now = Date.now();
    for (let i = 0; i < 12; i++) {
      const id = `session-${i}`;
      const record = {
        id,
        protocolVersion: "2025-06-18",
        clientCapabilities: {},
        createdAt: now,
        expiresAt: now + 60_000,
        ownerKey: "anonymous",
      } as Parameters<RedisBackend["sessionStore"]["create"]>[0];
      assert.equal(await backend.sessionStore.create(record, 1_000, now), true);
      await backend.sessionStore.writeState(id, "k", { i }, 10_000);
      assert.deepEqual(await backend.sessionStore.readState(id, "k"), { i });
      assert.equal(
        (await backend.sessionStore.getAndTouch!(id, now, {
          ownerKey: "anonymous",
          idleTtlMs: 60_000,
          absoluteTtlMs: 600_000,
        }))?.id,
        id,
      );
      await backend.eventLog.open(id, "s1");
      const [eventId] = await backend.eventLog.appendMany!(id, "s1", ["a", "b"], {
        complete: true,
      });
      const replay = await backend.eventLog.replayAfter(id, eventId);
      assert.deepEqual(replay?.events.map((event) => event.data), ["b"]);
      assert.equal(replay?.complete, true);
      await backend.eventLog.deleteSession(id);
      assert.equal(await backend.sessionStore.delete(id), true);
    }
    assert.equal(await backend.sessionStore.size(), 0);
    assert.equal(
      await backend.taskStore.create({
        taskId: "t1",
        ownerKey: "anonymous",
        status: "working",
        createdAt: now,
        lastUpdatedAt: now,
        ttlMs: 60_000,
        pollIntervalMs: 500,
      }, 10),
      true,
    );
    assert.equal((await backend.taskStore.get("t1"))?.status, "working");
  } finally {
    await backend.close();
  }
}

describeRedis("createRedisBackend: sources", () => {
  let cluster: TestRedisCluster;
  let sentinel: TestRedisSentinel;
  let single: TestRedis;
  const toClose: { destroy(): void }[] = [];

  before(async () => {
    [single, cluster, sentinel] = await startRigs(
      startRedis,
      startRedisCluster,
      startRedisSentinel,
    );
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
        assert.match(error.message, /pass it as \{ cluster: \{ rootNodes/);
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

  itRedis("node-redis's cluster client as { client } serves every slot", async () => {
    const client = createCluster({ rootNodes: cluster.rootNodes });
    client.on("error", () => {});
    await client.connect();
    toClose.push(client);
    assert.equal(client.masters.length, 3, "positive control: three masters");
    // The replicas' roles reach node 0 by gossip: wait for them (a deadline, not a timing claim).
    const replicas = async () =>
      (await redisCli(["-p", String(cluster.nodes[0].port), "CLUSTER", "NODES"]))
        .split("\n").filter((line) => line.includes("slave")).length;
    // Each check spawns redis-cli: every 100 ms, not the default 2.
    await until(async () => (await replicas()) === 3, "node 0 sees three replicas", 10_000, 100);
    await servesEverySlot(await createRedisBackend(asClient(client), { prefix: "cc:" }));
  });

  itRedis("{ cluster: { rootNodes } } serves every slot", async () => {
    await servesEverySlot(
      await createRedisBackend({ cluster: { rootNodes: cluster.rootNodes.map((n) => n.url) } }, {
        prefix: "c:",
      }),
    );
  });

  itRedis("node-redis's Sentinel client as { client } serves", async () => {
    const client = createSentinel({
      name: sentinel.name,
      sentinelRootNodes: sentinel.sentinelRootNodes,
    });
    client.on("error", () => {});
    await client.connect();
    toClose.push(client);
    await servesEverySlot(await createRedisBackend(asClient(client), { prefix: "sc:" }));
  });

  itRedis("{ sentinel: { name, sentinels } } serves", async () => {
    await servesEverySlot(
      await createRedisBackend({
        sentinel: { name: sentinel.name, sentinels: sentinel.sentinelRootNodes },
      }, { prefix: "s:" }),
    );
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
    "{ cluster } and { sentinel } without addresses are refused, saying what to pass",
    async () => {
      type Target = Parameters<typeof createRedisBackend>[0];
      const cases: [unknown, RegExp][] = [
        [{ cluster: { rootNodes: [] } }, /\{ cluster \}\) needs rootNodes/],
        [{ cluster: {} }, /\{ cluster \}\) needs rootNodes/],
        [{ sentinel: { name: "m", sentinels: [] } }, /\{ sentinel \}\) needs name/],
        [{ sentinel: { sentinels: [{ host: "h", port: 1 }] } }, /\{ sentinel \}\) needs name/],
        [{ url: 6379 }, /needs a string URL/],
        [undefined, /got undefined/],
      ];
      for (const [target, message] of cases) {
        await assert.rejects(createRedisBackend(target as Target), (error: Error) => {
          assert.match(error.message, message);
          assert.match(error.message, /\{ cluster: \{ rootNodes \} \}/, "says what to pass");
          return true;
        });
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
