/**
 * The Redis event log's write path, counted on a real redis-server (no
 * timing): a write runs one script on its session's slot and leaves the
 * deployment's budget books alone until this instance's unbooked bytes fill
 * a batch (`budgetBatchBytes`), then one booking carries them all, and
 * `close()` books the rest. Every instance holds back less than a batch, so
 * the data held exceeds `maxTotalBytes` by at most instances × the batch. A
 * finished stream's keys live `finishedTtlSeconds` from its end, and the
 * book forgets it once that has passed. A heartbeat keeps a session with
 * an open stream alive in one script per beat.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import { SessionManager } from "../../../src/legacy/sessions/session_manager.ts";
import { entriesOf } from "../../../src/redis/connection/stream_entries.ts";
import { until } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** A client that counts the scripts it ran (a NOSCRIPT retry once), and those on a budget book's keys. */
function counting(prefix: string) {
  const count = { scripts: 0, bookings: 0 };
  const client = {
    sendCommand: async (args: string[]) => {
      const reply = await redis.client.sendCommand(args);
      if (args[0] === "EVALSHA" || args[0] === "EVAL") {
        count.scripts++;
        if (args.slice(3).some((arg) => arg.startsWith(`${prefix}eg:`))) count.bookings++;
      }
      return reply;
    },
  };
  return { client, count };
}

async function totalOf(prefix: string): Promise<number> {
  return Number(await redis.client.sendCommand(["GET", `${prefix}eg:{0}:bytes`]) ?? 0);
}

/** Bytes of event data in every stream under `prefix`. */
async function heldBytes(prefix: string): Promise<number> {
  let bytes = 0;
  const keys = await redis.client.sendCommand(["KEYS", `${prefix}ev:*`]) as string[];
  for (const key of keys) {
    for (const entry of entriesOf(await redis.client.sendCommand(["XRANGE", key, "-", "+"]))) {
      if (entry.fields.d !== undefined) bytes += new TextEncoder().encode(entry.fields.d).length;
    }
  }
  return bytes;
}

describeRedis("the Redis event log's write path", () => {
  for (const singleNode of [true, false]) {
    itRedis(
      `a write is one script and leaves the budget books alone (${
        singleNode ? "one node" : "books apart"
      })`,
      async () => {
        const prefix = `wp${singleNode ? 1 : 2}:`;
        const { client, count } = counting(prefix);
        // The default budget (256 MiB) and batch (64 KiB), in one book (as on one node).
        // No timer booking during the test, however slow the machine.
        const log = new RedisEventLog(client, {
          prefix,
          singleNode,
          budgetBooks: 1,
          budgetBatchMs: 600_000,
        });
        for (let i = 1; i <= 10; i++) await log.append("s", "call", "p".repeat(200));
        await log.complete("s", "call");
        assert.equal(count.scripts, 11, "one script per write");
        assert.equal(count.bookings, 0, "no write touched a budget book");
        assert.equal(await totalOf(prefix), 0, "nothing booked yet");
        await log.close();
        assert.equal(count.bookings, 1, "close books what is left, in one script");
        assert.equal(await totalOf(prefix), 2_000);
        assert.equal(
          await redis.client.sendCommand(["ZSCORE", `${prefix}eg:{0}:f`, "s call"]) === null,
          false,
          "booked as finished",
        );
      },
    );
  }

  itRedis("the write that fills a batch books it, one script for all", async () => {
    const prefix = "wp3:";
    const { client, count } = counting(prefix);
    const log = new RedisEventLog(client, {
      prefix,
      budgetBooks: 1,
      budgetBatchBytes: 1_000,
      budgetBatchMs: 600_000,
    });
    try {
      for (let i = 0; i < 3; i++) await log.append(`s${i}`, "st", "x".repeat(300));
      assert.equal(count.bookings, 0, "900 bytes: under the batch");
      await log.append("s3", "st", "x".repeat(300));
      assert.equal(count.bookings, 1, "the fourth write fills it: one booking");
      assert.equal(await totalOf(prefix), 1_200, "every write so far is booked");
      assert.equal(count.scripts, 5);
    } finally {
      await log.close();
    }
  });

  itRedis(
    "instances hold back less than a batch each: over the budget by at most instances × batch",
    async () => {
      const prefix = "wp4:";
      const options = { prefix, maxTotalBytes: 5_000, budgetBatchBytes: 1_000 };
      const logs = [
        new RedisEventLog(redis.client, options),
        new RedisEventLog(redis.client, options),
      ];
      try {
        for (let step = 0; step < 60; step++) {
          const log = logs[step % 2];
          await log.append(`s${step % 7}`, `st${step % 3}`, "y".repeat(130 + (step % 5) * 40));
          if (step % 4 === 3) await log.complete(`s${step % 7}`, `st${step % 3}`);
          const held = await heldBytes(prefix);
          assert.ok(held < 5_000 + 2 * 1_000, `step ${step}: ${held} bytes held`);
        }
      } finally {
        for (const log of logs) await log.close();
      }
      // Everything booked: within the budget. A stream one instance evicted while the other had
      // bytes of it unbooked keeps those in the book until it is forgotten again: the book may
      // count more than is held (by at most the batches); this test sheds nothing, so never less.
      const [total, held] = [await totalOf(prefix), await heldBytes(prefix)];
      assert.ok(held <= total && total - held <= 2 * 1_000, `booked ${total}, held ${held}`);
      assert.ok(total <= 5_000, `booked ${total}`);
    },
  );

  itRedis(
    "a finished stream stays resumable finishedTtlSeconds, then the book forgets it",
    async () => {
      const prefix = "wp5:";
      const log = new RedisEventLog(redis.client, {
        prefix,
        ttlSeconds: 3_600,
        finishedTtlSeconds: 1,
        budgetBooks: 1,
        budgetBatchBytes: 0,
      });
      const pttl = async (key: string) => Number(await redis.client.sendCommand(["PTTL", key]));
      try {
        await log.appendMany("s", "done", ["a".repeat(100), "b".repeat(100)], { complete: true });
        await log.append("s", "running", "c".repeat(50));
        for (const key of [`${prefix}em:{s}:done`, `${prefix}ev:{s}:done`]) {
          const left = await pttl(key);
          assert.ok(left > 0 && left <= 1_000, `${key} lives ${left} ms after the end`);
        }
        assert.ok(
          await pttl(`${prefix}ev:{s}:running`) > 1_000_000,
          "a running stream keeps ttlSeconds",
        );
        assert.equal(await totalOf(prefix), 250);
        await until(
          async () => (await redis.client.sendCommand(["EXISTS", `${prefix}ev:{s}:done`])) === 0,
          "the finished stream's keys lapse",
          10_000,
        );
        assert.equal(await log.replayAfter("s", "done:1"), undefined, "no longer resumable");
        // Its booked bytes go at a later booking once a second has passed on Redis's clock.
        await until(
          async () => {
            await log.append("s", "running", "d");
            const size = await redis.client.sendCommand([
              "HGET",
              `${prefix}eg:{0}:sizes`,
              "s done",
            ]);
            return size === null;
          },
          "the book forgets the finished stream",
          10_000,
        );
        assert.equal(
          await totalOf(prefix),
          await heldBytes(prefix),
          "the book counts what is held",
        );
      } finally {
        await log.close();
      }
    },
  );

  itRedis(
    "a session's touch moves its running streams on, not a finished one's retention",
    async () => {
      const prefix = "wp6:";
      const idleMs = 60_000;
      const store = new RedisSessionStore(redis.client, { prefix, expiryGraceMs: 20_000 });
      const log = new RedisEventLog(redis.client, { prefix, finishedTtlSeconds: 5 });
      const pttl = async (key: string) => Number(await redis.client.sendCommand(["PTTL", key]));
      try {
        const now = Date.now();
        const record = {
          id: "t",
          ownerKey: "user:alice",
          protocolVersion: "2025-11-25",
          clientCapabilities: {},
          createdAt: now,
          expiresAt: now + idleMs,
        };
        assert.equal(await store.create(record, 10, now), true);
        await log.appendMany("t", "done", ["a"], { complete: true });
        await log.append("t", "running", "b");
        // The session's log keys lag far behind (a long idle stretch): a touch that renews the
        // session's keys (`t` cleared: as an eighth of the grace later) renews them.
        for (const key of [`es:{t}`, `em:{t}:running`, `ev:{t}:running`]) {
          await redis.client.sendCommand(["PEXPIRE", `${prefix}${key}`, "1000"]);
        }
        await redis.client.sendCommand(["HDEL", `${prefix}sm:{t}`, "t"]);
        const touched = await store.getAndTouch("t", Date.now(), {
          ownerKey: "user:alice",
          idleTtlMs: idleMs,
          absoluteTtlMs: 10 * idleMs,
        });
        assert.ok(touched);
        assert.ok(await pttl(`${prefix}ev:{t}:running`) > 5_000, "the running stream follows");
        for (const key of [`em:{t}:done`, `ev:{t}:done`]) {
          const left = await pttl(`${prefix}${key}`);
          assert.ok(left > 0 && left <= 5_000, `${key} keeps its retention: ${left} ms`);
        }
      } finally {
        await log.close();
      }
    },
  );
});

describeRedis("a heartbeat keep-alive on Redis", () => {
  itRedis("keeps a session with an open stream alive in one script per beat", async () => {
    const prefix = "wp7:";
    let commands: string[] = [];
    const client = {
      sendCommand: (args: string[]) => {
        commands.push(args[0]);
        return redis.client.sendCommand(args);
      },
    };
    const store = new RedisSessionStore(client, { prefix, expiryGraceMs: 20_000 });
    let now = Date.now();
    const manager = new SessionManager(store, {
      idleTtlMs: 60_000,
      absoluteTtlMs: 600_000,
      maxSessions: 100,
      maxSessionsPerPrincipal: Infinity,
      maxAnonymousSessions: 100,
      retryAfterSeconds: 1,
      maxStateBytes: 65_536,
      now: () => now,
      generateId: () => "k",
      sweepWhenFull: () => Promise.resolve(),
    });
    const record = {
      id: "k",
      ownerKey: "user:alice",
      protocolVersion: "2025-11-25",
      clientCapabilities: {},
      createdAt: now,
      expiresAt: now + 60_000,
    };
    assert.equal(await store.create(record, 10, now), true);
    const errors: unknown[] = [];
    const deadline = async () =>
      Number(await redis.client.sendCommand(["HGET", `${prefix}sm:{k}`, "d"]));
    const beat = async () => {
      commands = [];
      now += 15_000;
      await manager.keepAlive(["k"], (error) => errors.push(error));
      assert.equal(await deadline(), now + 60_000, "the beat moved the deadline");
    };
    await beat(); // the first beat reads the owner
    for (let i = 0; i < 3; i++) {
      await beat();
      assert.deepEqual(commands, ["EVALSHA"], `beat ${i + 2}: one script, no reads apart`);
    }
    assert.deepEqual(errors, []);
  });
});
