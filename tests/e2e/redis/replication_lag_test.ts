/**
 * A failover under forced replication lag, under Sentinel, with and without
 * `waitForReplicaMs`. The lag: the replica is paused (SIGSTOP) and a large
 * write fills its link until the master drops it (a tiny replica output
 * buffer limit), so what the master takes next never reaches the replica;
 * then the master is killed (`kill -9`), the replica resumed and promoted.
 * Without the wait, a session issued (`200`) during the lag is gone after the
 * failover (`404`): an acknowledged write lost. With it, that session is
 * refused (`503`, never acknowledged), and what was acknowledged before the
 * lag (a session and its `ctx.session` counter) is there after the failover.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { rawInitialize, rawPost } from "../interop/helpers.ts";
import { describeRedis, itRedis, redisSkip } from "./redis_server.ts";
import {
  redisCli,
  startRedisSentinel,
  startRigs,
  type TestRedisSentinel,
  waitForReplicas,
} from "../../../scripts/redis_topologies.ts";

const bearer = { authorization: "Bearer alice" };

/** `increment` on `session`: the status, and the counter when 200. */
async function increment(url: string, session: string, id: number) {
  const response = await rawPost(url, session, {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "increment", arguments: {} },
  }, { headers: bearer, signal: AbortSignal.timeout(6_000) }).catch(() => undefined);
  if (response === undefined) return { status: 0, body: "" };
  return { status: response.status, body: await response.text() };
}

/** `initialize` on `url`: the status, and the session id when 200. */
async function initialize(url: string): Promise<{ status: number; session?: string }> {
  try {
    return { status: 200, session: await rawInitialize(url, { headers: bearer }) };
  } catch (error) {
    const status = /(\d{3})/.exec(String(error))?.[1];
    return { status: Number(status ?? 0) };
  }
}

/**
 * Issues a session before the lag (and counts once in it), one during it,
 * then fails over; what each answers after.
 */
async function lagThenFailover(sentinel: TestRedisSentinel, waitForReplicaMs: number | undefined) {
  const backend = await createRedisBackend(
    { sentinel: { name: sentinel.name, sentinels: sentinel.sentinelRootNodes } },
    { prefix: "lag:", onError: () => {}, connectTimeoutMs: 5_000, waitForReplicaMs },
  );
  const server = await serveHandler(createEverythingHandler({}, backend), 0);
  const url = `${server.url}/mcp`;
  const master = ["-p", String(sentinel.master.port)];
  try {
    const before = await initialize(url);
    assert.equal(before.status, 200, "a session issued before the lag");
    const counted = await increment(url, before.session!, 1);
    assert.equal(counted.status, 200, counted.body);
    if (waitForReplicaMs === undefined) {
      await waitForReplicas([sentinel.master.port]); // no wait: let the replica catch up
    }
    // The lag: the replica stops reading; a 32 MiB write overflows its link and the master drops it.
    await redisCli([
      ...master,
      "CONFIG",
      "SET",
      "client-output-buffer-limit",
      "replica 256kb 256kb 0",
    ]);
    sentinel.replica.pause(true);
    await redisCli([
      ...master,
      "EVAL",
      "redis.call('SET', KEYS[1], string.rep('x', 33554432)) return 1",
      "1",
      "lag-filler",
    ], 20_000);
    const deadline = Date.now() + 10_000;
    while (!/connected_slaves:0/.test(await redisCli([...master, "INFO", "replication"]))) {
      assert.ok(Date.now() < deadline, "the master dropped the lagging replica");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Without the wait, the claim needs a session acknowledged during the lag: a refusal (the
    // master slow to answer on a loaded machine) is asked again, within a deadline.
    let during = await initialize(url);
    const acknowledged = Date.now() + 10_000;
    while (waitForReplicaMs === undefined && during.status !== 200 && Date.now() < acknowledged) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      during = await initialize(url);
    }
    await sentinel.master.kill();
    sentinel.replica.pause(false);
    const promoted = await sentinel.waitForNewMaster(sentinel.master.port, 30_000);
    // Service returns on the promoted replica: the session from before the lag answers again.
    let after = await increment(url, before.session!, 2);
    const back = Date.now() + 20_000;
    while (after.status !== 200 && Date.now() < back) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await increment(url, before.session!, 2);
    }
    const lagged = during.session === undefined
      ? undefined
      : await increment(url, during.session, 3);
    // The counter written (and, with the wait, acknowledged by the replica) before the lag.
    const counter = await redisCli([
      "-p",
      String(promoted),
      "HGET",
      `lag:st:{${before.session}}`,
      "counter",
    ]);
    return { during, after, lagged, counter: counter.trim() };
  } finally {
    sentinel.replica.pause(false);
    await server.close();
    await backend.close();
    await sentinel.stop();
  }
}

describeRedis("Failover under forced replication lag", () => {
  // One rig per test (each kills its master), both started at once.
  let rigs: TestRedisSentinel[] = [];
  before(async () => {
    if (redisSkip === false) rigs = await startRigs(startRedisSentinel, startRedisSentinel);
  });
  after(async () => {
    await Promise.all(rigs.map((rig) => rig.stop()));
  });

  itRedis("without waitForReplicaMs: a session acknowledged during the lag is lost", async () => {
    const { during, after, lagged } = await lagThenFailover(rigs[0], undefined);
    assert.equal(during.status, 200, "acknowledged during the lag");
    assert.equal(after.status, 200, `service returned: ${after.body}`);
    assert.equal(
      lagged?.status,
      404,
      `the acknowledged session did not survive the failover (${lagged?.status}: ${lagged?.body})`,
    );
  });

  itRedis("with waitForReplicaMs: nothing acknowledged is lost", async () => {
    const { during, after, counter } = await lagThenFailover(rigs[1], 500);
    assert.equal(during.status, 503, "not acknowledged: no replica took it");
    // Served (not 404); the promoted master has no replica left, so the counter's write now
    // fails closed as a tool error, as documented.
    assert.equal(after.status, 200, `the session from before the lag is served: ${after.body}`);
    assert.doesNotMatch(after.body, /Session not found/i);
    assert.ok(counter === "1" || counter === "2", `its counter survived (${counter})`);
  });
});
