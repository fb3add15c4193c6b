/**
 * The DPoP replay cache on a real redis-server: the Redis store meets the
 * DpopReplayStore contract (tests/contracts/), its keys sit under the
 * configured prefix, and a Redis that went away fails the request closed
 * (503 + Retry-After), never lets the proof through.
 */

import { after, before } from "node:test";
import assert from "node:assert/strict";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { RedisDpopReplayStore } from "../../../src/redis/auth/redis_dpop_replay_store.ts";
import { describeDpopReplayStore } from "../../contracts/dpop_replay_store_contract.ts";
import { ENDPOINT, initializeMessage, postRequest } from "../../helpers.ts";
import {
  describeRedis,
  itRedis,
  redisSkip,
  startRedis,
  type TestRedis,
} from "../redis/redis_server.ts";
import { dpopBoundHandler, dpopProof, proofKey } from "./dpop_proofs.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

describeRedis("Redis contracts", () =>
  describeDpopReplayStore(
    "RedisDpopReplayStore",
    () => new RedisDpopReplayStore(redis.client, { prefix: `dpop${++n}:` }),
  ));

itRedis("keeps its keys under the prefix, expiring", async () => {
  const store = new RedisDpopReplayStore(redis.client, { prefix: "tenant-a:" });
  const now = Date.now();
  assert.equal(await store.claim("abc", now + 60_000, now, { key: "user:a", share: 5 }), true);
  const ttl = Number(await redis.client.sendCommand(["PTTL", "tenant-a:dpop:{user:a}:abc"]));
  assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
  const owned = Number(await redis.client.sendCommand(["PTTL", "tenant-a:dpop-owner:{user:a}"]));
  assert.ok(owned > 0 && owned <= 60_000, `the owner's set expires too: PTTL ${owned}`);
});

itRedis("answers 503 when the shared replay cache cannot be reached", async () => {
  const own = await startRedis();
  const backend = await createRedisBackend({ url: own.url }, {
    commandTimeoutMs: 500,
    onError: () => {},
  });
  const key = await proofKey();
  const handler = dpopBoundHandler(backend.dpopReplayStore, key);
  const send = async () =>
    await handler(postRequest(initializeMessage(), {
      headers: {
        authorization: "DPoP bound",
        dpop: await dpopProof(key, { htu: ENDPOINT, token: "bound" }),
      },
    }));
  let stopped = false;
  try {
    const served = await send();
    assert.equal(served.status, 200);
    await served.body?.cancel();
    await own.stop();
    stopped = true;
    const refused = await send();
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    await refused.body?.cancel();
  } finally {
    await handler.close();
    await backend.close();
    if (!stopped) await own.stop();
  }
});
