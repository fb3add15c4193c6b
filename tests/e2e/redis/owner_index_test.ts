/**
 * The Redis session store's owner index, against a real redis-server: with
 * the share per principal unlimited (anonymous callers without `auth`) no
 * owner key is written at all; with a share, one owner's places spread over
 * shards on more than one Cluster slot, and the share holds exactly under
 * concurrent creates from two stores, places given back by delete and by
 * sweep; a session made by an earlier version (its place in the one-key
 * `so:{<owner>}`) gives its place back there.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import type { SessionRecord } from "../../../src/storage/sessions/session_store.ts";
import { slotOf } from "../../../src/redis/connection/cluster_slot.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

function record(id: string, ownerKey: string, expiresAt: number): SessionRecord {
  return {
    id,
    ownerKey,
    protocolVersion: "2025-06-18",
    clientCapabilities: {},
    createdAt: 0,
    expiresAt,
  };
}

/** Every key of `pattern`, by SCAN. */
async function keysOf(pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.client.sendCommand([
      "SCAN",
      cursor,
      "MATCH",
      pattern,
      "COUNT",
      "1000",
    ]) as [string, string[]];
    keys.push(...batch.map(String));
    cursor = String(next);
  } while (cursor !== "0");
  return keys;
}

async function members(keys: string[]): Promise<number> {
  const counts = await Promise.all(keys.map((key) => redis.client.sendCommand(["ZCARD", key])));
  return counts.reduce((sum: number, count) => sum + Number(count), 0);
}

describeRedis("The Redis owner index", () => {
  itRedis(
    "an unlimited share keeps no owner key: 50 anonymous sessions write no so: key",
    async () => {
      const prefix = `owners${++n}:`;
      const store = new RedisSessionStore(redis.client, { prefix });
      const now = Date.now();
      for (let i = 0; i < 50; i++) {
        const made = await store.create(record(`a${i}`, "anonymous", now + 60_000), 1_000, now);
        assert.equal(made, true);
      }
      assert.deepEqual(await keysOf(`${prefix}so:*`), [], "no owner key");
      assert.equal(await store.size(), 50);
      assert.equal(await store.delete("a1"), true);
      assert.ok(
        await store.getAndTouch("a2", now, {
          ownerKey: "anonymous",
          idleTtlMs: 60_000,
          absoluteTtlMs: 60_000,
        }),
      );
      assert.equal((await store.sweep(now + 120_000)).length, 49, "the sweep still finds them");
      assert.deepEqual(await keysOf(`${prefix}so:*`), [], "still no owner key");
    },
  );

  itRedis(
    "a share of 300 spreads over slots and holds exactly under concurrent creates of two stores",
    async () => {
      const prefix = `owners${++n}:`;
      const stores = [0, 1].map(() => new RedisSessionStore(redis.client, { prefix }));
      const now = Date.now();
      const made = await Promise.all(
        Array.from(
          { length: 500 },
          (_, i) =>
            stores[i % 2].create(record(`c${i}`, "user:alice", now + 60_000), 10_000, now, 300),
        ),
      );
      assert.equal(made.filter((result) => result === true).length, 300);
      assert.equal(made.filter((result) => result === "owner-full").length, 200);
      const keys = await keysOf(`${prefix}so:*`);
      assert.equal(await members(keys), 300, "one place per session");
      const slots = new Set(keys.map(slotOf));
      assert.ok(slots.size > 1, `the owner's index is on ${slots.size} slot(s): ${keys.join(" ")}`);
      // A place comes back by delete, and by the sweep of an expired session.
      const kept = made.flatMap((result, i) => result === true ? [`c${i}`] : []);
      assert.equal(await stores[0].delete(kept[0]), true);
      const shortLived = record("d0", "user:alice", now + 10);
      assert.equal(await stores[1].create(shortLived, 10_000, now, 300), true, "after delete");
      assert.equal(
        await stores[1].create(record("d1", "user:alice", now + 60_000), 10_000, now, 300),
        "owner-full",
      );
      assert.deepEqual((await stores[0].sweep(now + 20)).map((gone) => gone.id), ["d0"]);
      assert.equal(
        await stores[1].create(record("d1", "user:alice", now + 60_000), 10_000, now, 300),
        true,
        "after the sweep",
      );
      assert.equal(await members(await keysOf(`${prefix}so:*`)), 300);
    },
  );

  itRedis("a session of an earlier version gives its place back in so:{<owner>}", async () => {
    const prefix = `owners${++n}:`;
    const store = new RedisSessionStore(redis.client, { prefix });
    const now = Date.now();
    assert.equal(await store.create(record("old", "user:bob", now + 60_000), 100, now, 5), true);
    // As an earlier version wrote it: no shard in the meta, the place in the owner's one key.
    const shards = await keysOf(`${prefix}so:*`);
    await redis.client.sendCommand(["DEL", ...shards]);
    await redis.client.sendCommand(["HDEL", `${prefix}sm:{old}`, "x"]);
    await redis.client.sendCommand(["ZADD", `${prefix}so:{user:bob}`, String(now), "old"]);
    assert.equal(await store.delete("old"), true);
    assert.equal(
      Number(await redis.client.sendCommand(["ZCARD", `${prefix}so:{user:bob}`])),
      0,
      "given back where it was taken",
    );
  });
});
