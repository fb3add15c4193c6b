/**
 * The fixture's Redis environment (examples/everything.ts): REDIS_URL,
 * REDIS_CLUSTER_NODES, REDIS_SENTINELS + REDIS_SENTINEL_MASTER name the
 * source; a wrong mix is refused. Then the fixture, as its own process, on a
 * real Cluster and under a real Sentinel: a session it issued is served by
 * another instance (in this process) on the same topology.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { killFixtureProcesses, startFixtureProcess } from "./fixture_process.ts";
import { createEverythingHandler, redisSourceFromEnv } from "../../../examples/everything.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import type { RedisSource } from "../../../src/redis/connection/redis_sources.ts";
import { rawInitialize, rawPost } from "../interop/helpers.ts";
import { describeRedis, itRedis, redisSkip } from "./redis_server.ts";
import {
  startRedisCluster,
  startRedisSentinel,
  startRigs,
  type TestRedisCluster,
  type TestRedisSentinel,
} from "../../../scripts/redis_topologies.ts";

const bearer = { authorization: "Bearer alice" };

it("the fixture's Redis source from the environment", () => {
  assert.equal(redisSourceFromEnv({}), undefined);
  assert.deepEqual(redisSourceFromEnv({ REDIS_URL: "redis://h:1" }), { url: "redis://h:1" });
  assert.deepEqual(redisSourceFromEnv({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, 10.0.0.2:7001" }), {
    cluster: { rootNodes: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7001"] },
  });
  assert.deepEqual(
    redisSourceFromEnv({ REDIS_SENTINELS: "s1:26379,s2:26380", REDIS_SENTINEL_MASTER: "m" }),
    {
      sentinel: {
        name: "m",
        sentinels: [{ host: "s1", port: 26379 }, { host: "s2", port: 26380 }],
      },
    },
  );
  assert.throws(() => redisSourceFromEnv({ REDIS_SENTINELS: "s1:26379" }), /REDIS_SENTINEL_MASTER/);
  assert.throws(
    () => redisSourceFromEnv({ REDIS_URL: "redis://h:1", REDIS_CLUSTER_NODES: "h:2" }),
    /set one of REDIS_URL, REDIS_CLUSTER_NODES/,
  );
  assert.throws(() => redisSourceFromEnv({ REDIS_CLUSTER_NODES: "h" }), /host:port/);
});

describeRedis("the fixture on a Cluster and under Sentinel", () => {
  let cluster: TestRedisCluster;
  let sentinel: TestRedisSentinel;
  before(async () => {
    if (redisSkip !== false) return;
    [cluster, sentinel] = await startRigs(startRedisCluster, startRedisSentinel);
  });
  after(async () => {
    await killFixtureProcesses();
    await Promise.all([cluster?.stop(), sentinel?.stop()]);
  });

  /** Starts the fixture with `env` as a process of its own; its endpoint. */
  async function startFixture(env: Record<string, string>): Promise<string> {
    return (await startFixtureProcess(env)).url;
  }

  /** A session issued by the fixture at `fixture` is served by an instance here on `source`. */
  async function servedAcross(fixture: string, source: RedisSource, prefix: string) {
    const backend = await createRedisBackend(source, { prefix, onError: () => {} });
    const server = await serveHandler(createEverythingHandler({}, backend), 0);
    try {
      const session = await rawInitialize(fixture, { headers: bearer });
      const response = await rawPost(`${server.url}/mcp`, session, {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "increment", arguments: {} },
      }, { headers: bearer });
      assert.equal(response.status, 200, await response.clone().text());
      assert.match(await response.text(), /"result"/);
      const unknown = await rawPost(`${server.url}/mcp`, "no-such-session", {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/list",
      }, { headers: bearer });
      await unknown.body?.cancel();
      assert.equal(unknown.status, 404, "positive control: an unknown session is 404");
    } finally {
      await server.close();
      await backend.close();
    }
  }

  itRedis("REDIS_CLUSTER_NODES: the fixture runs on the Cluster", async () => {
    const nodes = cluster.rootNodes.map((node) => new URL(node.url).host).join(",");
    const fixture = await startFixture({ REDIS_CLUSTER_NODES: nodes, REDIS_PREFIX: "fx-c:" });
    await servedAcross(fixture, { cluster: { rootNodes: cluster.rootNodes } }, "fx-c:");
  });

  itRedis("REDIS_SENTINELS + REDIS_SENTINEL_MASTER: the fixture runs under Sentinel", async () => {
    const fixture = await startFixture({
      REDIS_SENTINELS: sentinel.sentinelRootNodes.map(({ host, port }) => `${host}:${port}`).join(
        ",",
      ),
      REDIS_SENTINEL_MASTER: sentinel.name,
      REDIS_PREFIX: "fx-s:",
    });
    await servedAcross(fixture, {
      sentinel: { name: sentinel.name, sentinels: sentinel.sentinelRootNodes },
    }, "fx-s:");
  });
});
