/**
 * Killing the Redis master mid-traffic (`kill -9`): under Sentinel (the
 * replica is promoted) and on a Cluster (the master owning the live
 * session's slot; its replica takes over). Every request is answered within
 * 5 s, `200` or `503` + `Retry-After`; service returns within the failover
 * time + 10 s without restarting the instance, with the session that existed
 * before the kill.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import type { RedisSource } from "../../../src/redis/connection/redis_sources.ts";
import { rawInitialize, rawPost } from "../interop/helpers.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { describeRedis, itRedis, redisSkip } from "./redis_server.ts";
import {
  redisCli,
  type RigNode,
  startRedisCluster,
  startRedisSentinel,
  startRigs,
  type TestRedisCluster,
  type TestRedisSentinel,
  waitForReplicas,
} from "../../../scripts/redis_topologies.ts";

const bearer = { authorization: "Bearer alice" };
/** Every request's answer must come within this long. */
const ANSWER_MS = 5_000;

/** One request's outcome: its status and how long it took. */
interface Outcome {
  status: number;
  retryAfter: string | null;
  ms: number;
}

/** One `tools/call` on `session`, with a 5 s deadline (past it: status 0). */
async function call(url: string, session: string, id: number): Promise<Outcome> {
  const started = Date.now();
  try {
    const response = await rawPost(url, session, {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "increment", arguments: {} },
    }, { headers: bearer, signal: AbortSignal.timeout(ANSWER_MS + 500) });
    const body = await response.text();
    if (response.status === 200) assert.match(body, /"result"/, body);
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      ms: Date.now() - started,
    };
  } catch {
    return { status: 0, retryAfter: null, ms: Date.now() - started };
  }
}

/**
 * Runs traffic on a session while `kill` runs, until a request succeeds
 * after `recovered()` (deadline `backWithinMs` after the kill); every outcome.
 */
async function trafficThroughKill(
  source: RedisSource,
  masterPorts: readonly number[],
  kill: () => Promise<void>,
  backWithinMs: number,
): Promise<{ outcomes: Outcome[]; backAfterMs: number }> {
  const backend: RedisBackend = await createRedisBackend(source, {
    prefix: "fo:",
    onError: () => {},
    connectTimeoutMs: 5_000,
  });
  const server = await serveHandler(createEverythingHandler({}, backend), 0);
  const url = `${server.url}/mcp`;
  try {
    const session = await rawInitialize(url, { headers: bearer });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await call(url, session, i));
    assert.deepEqual(outcomes.map((o) => o.status), [200, 200, 200, 200, 200], "before the kill");
    await waitForReplicas(masterPorts); // the replica has it all
    const killedAt = Date.now();
    await kill();
    let id = 100;
    for (;;) {
      const outcome = await call(url, session, id++);
      outcomes.push(outcome);
      if (outcome.status === 200 && outcomes.some((o) => o.status !== 200)) {
        return { outcomes, backAfterMs: Date.now() - killedAt };
      }
      if (Date.now() - killedAt > backWithinMs) {
        return { outcomes, backAfterMs: Infinity };
      }
      if (outcome.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await server.close();
    await backend.close();
  }
}

/** Every request answered within 5 s, 200 or 503 + Retry-After. */
function assertAnswered(outcomes: Outcome[]): void {
  for (const outcome of outcomes) {
    assert.ok(
      outcome.status === 200 || (outcome.status === 503 && outcome.retryAfter !== null),
      `answered 200 or 503 + Retry-After: ${JSON.stringify(outcome)}`,
    );
    assert.ok(outcome.ms <= ANSWER_MS, `answered within 5 s: ${JSON.stringify(outcome)}`);
  }
}

// The rigs of both suites, started at once: the failovers' own (they kill masters) and one
// for waitForReplicaMs (its replica is paused, then resumed).
let cluster: TestRedisCluster;
let sentinel: TestRedisSentinel;
let waitRig: TestRedisSentinel;
before(async () => {
  if (redisSkip !== false) return;
  [cluster, sentinel, waitRig] = await startRigs(
    startRedisCluster,
    startRedisSentinel,
    startRedisSentinel,
  );
});
after(async () => {
  waitRig?.replica.pause(false);
  await Promise.all([cluster?.stop(), sentinel?.stop(), waitRig?.stop()]);
});

describeRedis("Redis failover mid-traffic", () => {
  itRedis("Sentinel: kill -9 the master; answers stay fast, service returns", async () => {
    const { outcomes, backAfterMs } = await trafficThroughKill(
      { sentinel: { name: sentinel.name, sentinels: sentinel.sentinelRootNodes } },
      [sentinel.master.port],
      () => sentinel.master.kill(),
      30_000,
    );
    assertAnswered(outcomes);
    assert.ok(outcomes.some((o) => o.status === 503), "positive control: the kill was felt");
    assert.ok(backAfterMs < 30_000, `service returned (${backAfterMs} ms after the kill)`);
    assert.notEqual(await sentinel.masterPort(), sentinel.master.port, "a replica was promoted");
  });

  itRedis("Cluster: kill -9 the master of the session's slot; service returns", async () => {
    let victim: RigNode | undefined;
    const { outcomes, backAfterMs } = await trafficThroughKill(
      { cluster: { rootNodes: cluster.rootNodes } },
      cluster.nodes.map((node) => node.port),
      async () => {
        // The master owning the session's keys: the one holding an `s:{…}` key under the prefix.
        for (const node of cluster.nodes) {
          const role = await redisCli(["-p", String(node.port), "ROLE"]);
          const keys = await redisCli(["-p", String(node.port), "--scan", "--pattern", "fo:s:*"]);
          if (role.startsWith("master") && keys.trim() !== "") victim = node;
        }
        assert.ok(victim, "the session's master was found");
        await victim.kill();
      },
      30_000,
    );
    assertAnswered(outcomes);
    assert.ok(outcomes.some((o) => o.status === 503), "positive control: the kill was felt");
    assert.ok(backAfterMs < 30_000, `service returned (${backAfterMs} ms after the kill)`);
  });
});

describeRedis("waitForReplicaMs: acknowledged writes are on a replica", () => {
  /** Initializes a session on a backend made with `waitForReplicaMs`; status, Retry-After, ms. */
  async function initialize(waitForReplicaMs: number | undefined): Promise<Outcome> {
    const backend = await createRedisBackend({
      sentinel: { name: waitRig.name, sentinels: waitRig.sentinelRootNodes },
    }, { prefix: "wait:", onError: () => {}, waitForReplicaMs });
    const server = await serveHandler(createEverythingHandler({}, backend), 0);
    const started = Date.now();
    try {
      const response = await rawPost(`${server.url}/mcp`, undefined, {
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "wait", version: "1" },
        },
      }, { headers: bearer });
      await response.body?.cancel();
      return {
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        ms: Date.now() - started,
      };
    } finally {
      await server.close();
      await backend.close();
    }
  }

  itRedis("a session is issued once a replica has it; with none answering, 503 fast", async () => {
    assert.equal((await initialize(500)).status, 200, "the replica acknowledges: 200");
    waitRig.replica.pause(true);
    try {
      const refused = await initialize(500);
      assert.equal(refused.status, 503, "no replica acknowledged: fail closed");
      assert.notEqual(refused.retryAfter, null);
      assert.ok(
        refused.ms < 2_000,
        `answered after the wait, not the command deadline (${refused.ms} ms)`,
      );
      assert.equal((await initialize(undefined)).status, 200, "positive control: no wait, 200");
    } finally {
      waitRig.replica.pause(false);
    }
  });
});
