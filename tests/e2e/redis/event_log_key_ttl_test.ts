/**
 * A session's event-log keys follow the session's key TTL (its deadline plus
 * `expiryGraceMs`), not `ttlSeconds`: a write gives them the record's TTL, and
 * the store's read-and-touch, when it renews the session's keys (once the
 * deadline nears what they were sized for), moves them on once they lag by
 * more than a quarter of the grace; a touch in between moves the deadline only. Bounds are derived from the configured TTLs (PTTL
 * read back), never from elapsed time.
 */

import assert from "node:assert/strict";
import { after, before } from "node:test";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import { describeRedis, itRedis, startRedis, type TestRedis } from "./redis_server.ts";

const IDLE_MS = 60_000;
const GRACE_MS = 20_000;
/** The key TTL of a session just touched: its deadline plus the grace. */
const SESSION_TTL = IDLE_MS + GRACE_MS;
/** How far the log's keys may lag before a touch renews them (a quarter of the grace). */
const SLACK = GRACE_MS / 4;
const DAY_S = 24 * 60 * 60;
/**
 * How far apart two keys given "the same" TTL may expire: Redis 7.0 reads its
 * clock afresh for each PEXPIRE, even within one script, so a key set a few
 * calls after the record may expire a millisecond (or, on a loaded machine,
 * a few) later. Far below the lags the tests set (a second against minutes).
 */
const SAME_INSTANT_MS = 250;

describeRedis("Redis event-log keys follow their session's TTL", () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  const pttl = async (key: string) => Number(await redis.client.sendCommand(["PTTL", key]));
  // Compared as expiry instants (PEXPIRETIME, Redis's clock): no elapsed time in the bound.
  const expiry = async (key: string) =>
    Number(await redis.client.sendCommand(["PEXPIRETIME", key]));
  const logKeys = (prefix: string, id: string) => [
    `${prefix}es:{${id}}`,
    `${prefix}es:{${id}}:order`,
    `${prefix}es:{${id}}:bytes`,
    `${prefix}es:{${id}}:sizes`,
    `${prefix}em:{${id}}:st`,
    `${prefix}ev:{${id}}:st`,
  ];

  async function sessionWithStream(prefix: string, id: string) {
    const store = new RedisSessionStore(redis.client, { prefix, expiryGraceMs: GRACE_MS });
    // Under 32 MiB the budget is one book, eg:{0}.
    const log = new RedisEventLog(redis.client, {
      prefix,
      ttlSeconds: DAY_S,
      maxTotalBytes: 1 << 20,
      budgetBatchBytes: 0,
    });
    const now = Date.now();
    const record = {
      id,
      ownerKey: "user:alice",
      protocolVersion: "2025-11-25",
      clientCapabilities: {},
      createdAt: now,
      expiresAt: now + IDLE_MS,
    };
    assert.equal(await store.create(record, 10, now), true);
    await log.append(id, "st", "one");
    await log.append(id, "st", "two");
    const touch = () =>
      store.getAndTouch(id, Date.now(), {
        ownerKey: "user:alice",
        idleTtlMs: IDLE_MS,
        absoluteTtlMs: 10 * IDLE_MS,
      });
    return { store, log, touch };
  }

  itRedis("a stream written in a session gets the session's key TTL, not ttlSeconds", async () => {
    const prefix = "elt1:";
    const { log } = await sessionWithStream(prefix, "a");
    const record = await expiry(`${prefix}s:{a}`);
    assert.ok(record > 0, "positive control: the record has a TTL");
    for (const key of logKeys(prefix, "a")) {
      const at = await expiry(key);
      assert.ok(
        at > 0 && Math.abs(at - record) <= SAME_INSTANT_MS,
        `${key} expires at ${at}, the record at ${record}`,
      );
    }
    // Without a session record in the prefix (a log used alone), ttlSeconds still applies.
    await log.append("alone", "st", "x");
    const alone = await pttl(`${prefix}ev:{alone}:st`);
    assert.ok(alone > SESSION_TTL && alone <= DAY_S * 1000, `${alone} ms`);
    // The budget book lives at least as long as the last stream written to it, no longer.
    const book = await pttl(`${prefix}eg:{0}:bytes`);
    assert.ok(book >= alone - 1_000 && book <= DAY_S * 1000, `book: ${book} ms`);
    await log.close();
  });

  itRedis(
    "a touch that renews the session's keys moves lagging log keys on; within the slack it leaves them",
    async () => {
      const prefix = "elt2:";
      const { store, log, touch } = await sessionWithStream(prefix, "b");
      // The log's keys lag far behind (as after a long idle stretch of writes).
      for (const key of logKeys(prefix, "b")) {
        await redis.client.sendCommand(["PEXPIRE", key, "1000"]);
      }
      // A touch whose deadline nears what the keys were sized for (create sized them for its
      // deadline plus the slack; `t` cleared, as after half the slack) renews them, for the
      // deadline plus the slack, and the log's keys with them.
      await redis.client.sendCommand(["HDEL", `${prefix}sm:{b}`, "t"]);
      assert.ok(await touch());
      const renewed = await pttl(`${prefix}s:{b}`);
      assert.ok(
        renewed > SESSION_TTL && renewed <= SESSION_TTL + SLACK,
        `the record's TTL: ${renewed} ms`,
      );
      for (const key of logKeys(prefix, "b")) {
        const left = await pttl(key);
        // Set in the same script as the record, a clock reading or two later (SAME_INSTANT_MS).
        assert.ok(
          left > renewed - SLACK && left <= renewed + SAME_INSTANT_MS,
          `${key}: ${left} ms, the record ${renewed} ms`,
        );
      }
      // Lagging by less than the slack when the session's keys are renewed: left as they are
      // (renewed at most once per slack). `t` cleared: the next touch renews.
      const within = SESSION_TTL + SLACK / 2;
      for (const key of logKeys(prefix, "b")) {
        await redis.client.sendCommand(["PEXPIRE", key, String(within)]);
      }
      await redis.client.sendCommand(["HDEL", `${prefix}sm:{b}`, "t"]);
      assert.ok(await touch());
      for (const key of logKeys(prefix, "b")) {
        assert.ok((await pttl(key)) <= within, `${key} was not renewed`);
      }
      // Another principal's read moves nothing.
      for (const key of logKeys(prefix, "b")) {
        await redis.client.sendCommand(["PEXPIRE", key, "1000"]);
      }
      const other = { ownerKey: "user:mallory", idleTtlMs: IDLE_MS, absoluteTtlMs: 10 * IDLE_MS };
      assert.ok(await store.getAndTouch("b", Date.now(), other));
      for (const key of logKeys(prefix, "b")) {
        assert.ok((await pttl(key)) <= 1_000, `${key} was not renewed by another principal`);
      }
      await log.close();
    },
  );

  itRedis(
    "a touch within what the keys were sized for moves the deadline only: no TTL is renewed",
    async () => {
      const prefix = "elt4:";
      const { store, log } = await sessionWithStream(prefix, "d");
      const [record, meta, state] = [`${prefix}s:{d}`, `${prefix}sm:{d}`, `${prefix}st:{d}`];
      await redis.client.sendCommand(["HSET", state, "k", "1"]);
      await redis.client.sendCommand(["PEXPIRE", state, "60000"]);
      for (const key of logKeys(prefix, "d")) {
        await redis.client.sendCommand(["PEXPIRE", key, "1000"]);
      }
      const before = await Promise.all([record, meta].map(expiry));
      const deadline = Number(await redis.client.sendCommand(["HGET", meta, "d"]));
      const now = Date.now() + 1;
      const touched = await store.getAndTouch("d", now, {
        ownerKey: "user:alice",
        idleTtlMs: IDLE_MS,
        absoluteTtlMs: 10 * IDLE_MS,
      });
      assert.equal(touched?.expiresAt, now + IDLE_MS, "the deadline moved");
      assert.ok(touched!.expiresAt > deadline);
      assert.deepEqual(await Promise.all([record, meta].map(expiry)), before, "TTLs unchanged");
      assert.ok((await pttl(state)) <= 60_000, "the state's TTL unchanged");
      for (const key of logKeys(prefix, "d")) {
        assert.ok((await pttl(key)) <= 1_000, `${key} left as it was`);
      }
      await log.close();
    },
  );

  itRedis("touch() moves lagging log keys on too", async () => {
    const prefix = "elt3:";
    const { store, log } = await sessionWithStream(prefix, "c");
    for (const key of logKeys(prefix, "c")) {
      await redis.client.sendCommand(["PEXPIRE", key, "1000"]);
    }
    await store.touch("c", Date.now() + IDLE_MS);
    const record = await expiry(`${prefix}s:{c}`);
    for (const key of logKeys(prefix, "c")) {
      const at = await expiry(key);
      // Set after the record in the same script: the same instant, or a clock tick later.
      assert.ok(
        at >= record && at - record <= SAME_INSTANT_MS,
        `${key} expires at ${at}, with the record (${record})`,
      );
    }
    await log.close();
  });
});
