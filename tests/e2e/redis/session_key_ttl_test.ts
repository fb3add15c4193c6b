/**
 * Session keys expire in Redis by themselves: with every instance gone and
 * no sweep, nothing of a session (record, state, the index keys) outlives its
 * deadline plus `expiryGraceMs`; a record Redis dropped first still gives
 * its owner's place back on the next sweep; and the index keys do not lapse
 * under a session kept alive while no sweep runs. Short real TTLs (Redis expires
 * by its own clock), every wait bounded.
 */

import assert from "node:assert/strict";
import { after, before } from "node:test";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import type { SessionRecord } from "../../../src/storage/mod.ts";
import { describeRedis, itRedis, startRedis, type TestRedis } from "./redis_server.ts";
import { createMcpHandler } from "../../../mod.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { initialize, rpc, sleep } from "../../helpers.ts";

/** Every key under `prefix` (SCAN, not KEYS). */
async function keysUnder(redis: TestRedis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.client.sendCommand([
      "SCAN",
      cursor,
      "MATCH",
      `${prefix}*`,
      "COUNT",
      "1000",
    ]) as [string, string[]];
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys.sort();
}

/** Polls until no key is left under `prefix`; the keys still there after `timeoutMs`. */
async function waitUntilEmpty(redis: TestRedis, prefix: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await keysUnder(redis, prefix);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

function record(id: string, ownerKey: string, now: number, ttlMs: number): SessionRecord {
  return {
    id,
    ownerKey,
    protocolVersion: "2025-11-25",
    clientCapabilities: {},
    createdAt: now,
    expiresAt: now + ttlMs,
  };
}

describeRedis("Redis session keys expire by themselves", () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  itRedis("with no instance left and no sweep, no session key outlives the TTL", async () => {
    const prefix = "ttl1:";
    const store = new RedisSessionStore(redis.client, { prefix, expiryGraceMs: 0 });
    const now = Date.now();
    for (const id of ["a", "b", "c"]) {
      assert.equal(await store.create(record(id, "user:alice", now, 1_500), 10, now), true);
    }
    await store.writeState("a", "k", { v: 1 }, 1_000);
    const use = { ownerKey: "user:alice", idleTtlMs: 1_500, absoluteTtlMs: 60_000 };
    assert.ok(await store.getAndTouch("b", Date.now(), use));
    await store.writeState("b", "k", "x", 1_000);
    await store.touch("c", Date.now() + 1_500);
    const wroteAt = Date.now();
    await store.close();

    const before = await keysUnder(redis, prefix);
    assert.ok(before.includes("ttl1:s:{a}") && before.includes("ttl1:st:{a}"), "positive control");
    assert.ok(before.includes("ttl1:st:{b}") && before.includes("ttl1:sessions:{0}"));
    // Each key's expiry instant as Redis holds it (ms since the epoch), all read at one instant:
    // at least the idle TTL after the first write; at most the idle TTL after the last, plus the
    // drift a touch carries over (it moves a key's expiry by as much as it moves the deadline, and
    // the key's TTL ran from when Redis applied the create, up to wroteAt - now after `now`).
    const expiries = await redis.client.sendCommand([
      "EVAL",
      "local at = {} for i, key in ipairs(KEYS) do at[i] = redis.call('PEXPIRETIME', key) end return at",
      String(before.length),
      ...before,
    ]) as number[];
    before.forEach((key, i) => {
      const at = Number(expiries[i]);
      assert.ok(
        at >= now + 1_500 && at <= wroteAt + 1_500 + (wroteAt - now),
        `${key} expires an idle TTL after the writes (${at - now} ms after the first, ` +
          `${at - wroteAt} ms after the last, ${wroteAt - now} ms apart)`,
      );
    });
    assert.deepEqual(await waitUntilEmpty(redis, prefix, 15_000), [], "nothing outlived the TTL");
  });

  itRedis("a record Redis dropped first still gives its owner's place back", async () => {
    const prefix = "ttl2:";
    const store = new RedisSessionStore(redis.client, { prefix, expiryGraceMs: 0 });
    const now = Date.now();
    assert.equal(await store.create(record("short", "user:alice", now, 300), 10, now, 1), true);
    assert.equal(await store.create(record("long", "user:bob", now, 60_000), 10, now, 1), true);
    assert.equal(
      await store.create(record("other", "user:alice", now, 300), 10, now, 1),
      "owner-full",
      "positive control: alice holds her share",
    );
    const deadline = Date.now() + 10_000;
    while (Number(await redis.client.sendCommand(["EXISTS", `${prefix}s:{short}`])) === 1) {
      assert.ok(Date.now() < deadline, "the record expired in Redis");
      await sleep(50);
    }
    const swept = await store.sweep(Date.now());
    assert.deepEqual(swept.map(({ id }) => id), ["short"], "the sweep still reports it");
    const later = Date.now();
    assert.equal(
      await store.create(record("again", "user:alice", later, 300), 10, later, 1),
      true,
      "alice's place was given back",
    );
    await store.delete("again");
    await store.delete("long");
    assert.deepEqual(await keysUnder(redis, prefix), [], "delete leaves nothing behind");
  });

  for (const via of ["getAndTouch", "touch"] as const) {
    itRedis(`a session kept alive by ${via} keeps its index keys, with no sweep`, async () => {
      const prefix = `ttl4${via}:`;
      const store = new RedisSessionStore(redis.client, { prefix, expiryGraceMs: 1_000 });
      const use = { ownerKey: "user:alice", idleTtlMs: 1_000, absoluteTtlMs: 60_000 };
      const createdAt = Date.now();
      assert.equal(
        await store.create(record("live", "user:alice", createdAt, 1_000), 1, createdAt, 1),
        true,
      );
      // The index keys were created to live 2 s (idle TTL + grace); the session is used every
      // 100 ms for 3 s and the sweep never runs (a late or paused sweep).
      while (Date.now() < createdAt + 3_000) {
        const now = Date.now();
        if (via === "touch") await store.touch("live", now + use.idleTtlMs);
        else assert.ok(await store.getAndTouch("live", now, use), "the session lives on");
        await sleep(100);
      }
      assert.ok(await store.get("live", Date.now()), "positive control: the session lives");
      assert.equal(await store.size(), 1, "the session index still counts it");
      const now = Date.now();
      assert.equal(
        await store.create(record("other", "user:bob", now, 1_000), 1, now),
        false,
        "the global cap still counts it",
      );
      assert.equal(
        await store.create(record("again", "user:alice", now, 1_000), 10, now, 1),
        "owner-full",
        "its owner's share still counts it",
      );
      await store.delete("live");
      assert.deepEqual(await keysUnder(redis, prefix), [], "delete leaves nothing behind");
    });
  }

  itRedis("a use within a quarter grace of the last renewal stays one command", async () => {
    const prefix = "ttl5:";
    const sent: string[][] = [];
    const counting = {
      sendCommand: (args: string[]) => {
        sent.push(args);
        return redis.client.sendCommand(args);
      },
    };
    const store = new RedisSessionStore(counting, { prefix }); // grace 60 s: a quarter is 15 s
    const use = { ownerKey: "user:alice", idleTtlMs: 1_000, absoluteTtlMs: 60_000 };
    const now = Date.now();
    assert.equal(await store.create(record("s", "user:alice", now, 1_000), 10, now), true);
    sent.length = 0;
    for (let i = 0; i < 10; i++) assert.ok(await store.getAndTouch("s", Date.now(), use));
    const scripts = sent.filter(([command]) => command === "EVALSHA");
    assert.equal(scripts.length, 10, "one script per use (after a first load of it)");
    assert.deepEqual(
      sent.filter((args) => args.some((arg) => /sessions:\{|so:\{/.test(arg))),
      [],
      "no index key renewed: the create set them as long as the touches need",
    );
    await store.delete("s");
  });

  itRedis("through the handler: sessions of stopped instances leave no key", async () => {
    const prefix = "ttl3:";
    const backend = await createRedisBackend({ url: redis.url }, {
      prefix,
      sessionStore: { expiryGraceMs: 0 },
    });
    const handler = createMcpHandler({
      name: "ttl",
      version: "1.0.0",
      sessions: { store: backend.sessionStore, idleTtlMs: 1_500 },
      streams: {
        eventLog: backend.eventLog,
      },
      bus: backend.bus,
    });
    for (let i = 0; i < 3; i++) {
      const session = await initialize(handler);
      assert.equal((await rpc(handler, session, "ping")).status, 200);
    }
    // The instance stops (its sweep never runs again); the sessions stay in Redis, as they must.
    await handler.close({ graceMs: 0 });
    await backend.close();
    const records = (await keysUnder(redis, prefix)).filter((key) => key.startsWith(`${prefix}s:`));
    assert.equal(records.length, 3, `positive control: ${records}`);
    const left = await waitUntilEmpty(redis, `${prefix}s`, 15_000);
    assert.deepEqual(left, [], "no session record, state or index key outlived the idle TTL");
  });
});

describeRedis("Redis session keys: expiryGraceMs", () => {
  itRedis("a bad expiryGraceMs is a RangeError, before createRedisBackend connects", async () => {
    const client = { sendCommand: () => Promise.resolve(null) };
    for (const expiryGraceMs of [-1, Number.NaN, 1e20]) {
      assert.throws(() => new RedisSessionStore(client, { expiryGraceMs }), RangeError);
      await assert.rejects(
        createRedisBackend({ url: "redis://127.0.0.1:1" }, { sessionStore: { expiryGraceMs } }),
        RangeError,
      );
    }
  });
});
