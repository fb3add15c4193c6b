/**
 * The Redis event log's byte bookkeeping, against a real redis-server (the
 * budget behaviours themselves are in the EventLog contract, for both logs):
 * the totals it keeps always equal the data its streams hold, deleting every
 * session leaves nothing of them, and a stream whose keys expired (the TTL
 * safety net) gives its bytes back, when the global trim meets it or when
 * the next stream opens after its TTL. Writes to one book booked while its
 * previous booking is in flight share the next booking (one round trip),
 * each resolving once its own bytes are booked, and over budget the totals
 * still hold. On one node createRedisBackend keeps the budget in one book
 * (exact) whatever its size; a log alone spreads a large one over books.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { entriesOf } from "../../../src/redis/connection/stream_entries.ts";
import { until } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

async function keysOf(pattern: string): Promise<string[]> {
  return (await redis.client.sendCommand(["KEYS", pattern])) as string[];
}

/** UTF-8 bytes of event data in every stream under `prefix`. */
async function heldBytes(prefix: string): Promise<number> {
  let bytes = 0;
  for (const key of await keysOf(`${prefix}ev:*`)) {
    for (const entry of entriesOf(await redis.client.sendCommand(["XRANGE", key, "-", "+"]))) {
      if (entry.fields.d !== undefined) bytes += new TextEncoder().encode(entry.fields.d).length;
    }
  }
  return bytes;
}

/** The highest score in sorted set `key` (0 when empty). */
async function newestScore(key: string): Promise<number> {
  const reply = await redis.client.sendCommand(["ZRANGE", key, "-1", "-1", "WITHSCORES"]);
  // RESP3 (the tests' client) pairs each member with its score, [[member, score]]; RESP2 is flat.
  const [first, second] = reply as unknown[];
  return Number((Array.isArray(first) ? first[1] : second) ?? 0);
}

/** Budget book 0's orders with their scores, its sizes and Redis's clock: a failure's context. */
async function bookState(prefix: string): Promise<string> {
  const command = (args: string[]) => redis.client.sendCommand(args);
  const book = `${prefix}eg:{0}`;
  return JSON.stringify({
    total: await totalOf(prefix),
    finished: await command(["ZRANGE", `${book}:f`, "0", "-1", "WITHSCORES"]),
    running: await command(["ZRANGE", `${book}:r`, "0", "-1", "WITHSCORES"]),
    sizes: await command(["HGETALL", `${book}:sizes`]),
    clock: await command(["GET", `${book}:clock`]),
    time: await command(["TIME"]),
  });
}

async function totalOf(prefix: string): Promise<number> {
  return Number(await redis.client.sendCommand(["GET", `${prefix}eg:{0}:bytes`]) ?? 0);
}

describeRedis("RedisEventLog byte bookkeeping", () => {
  itRedis(
    "what the TTL removed leaves the orders and totals when the next stream opens",
    async () => {
      const prefix = `lb${++n}:`;
      // Long enough for the PERSIST below to reach the book's keys before they lapse on a loaded
      // machine (at 1 s, Deno under load lost the running order first, and the total read 400).
      const ttlSeconds = 3;
      // Under 32 MiB the budget is one book (eg:{0}:*).
      const log = new RedisEventLog(redis.client, {
        prefix,
        ttlSeconds,
        maxTotalBytes: 1 << 20,
        budgetBatchBytes: 0,
      });
      await log.append("gone", "a", "g".repeat(500));
      await log.complete("gone", "a");
      await log.append("gone", "b", "h".repeat(300));
      // The book's keys live as long as the last stream written to it: other sessions' writes
      // would keep it alive past these streams; PERSIST stands in for them.
      for (const key of ["bytes", "sizes", "f", "r", "clock"]) {
        await redis.client.sendCommand(["PERSIST", `${prefix}eg:{0}:${key}`]);
      }
      // A session no instance deleted: its keys expire after the TTL (a deadline, not a timing claim).
      await until(
        async () => (await keysOf(`${prefix}e[msv]:{gone}*`)).length === 0,
        "the TTL removes the session's keys",
        10_000,
      );
      assert.equal(await totalOf(prefix), 800, "the totals still count them");
      // Collected once Redis's clock is a TTL past their last write (their scores, in microseconds).
      const lastWrite = Math.max(
        await newestScore(`${prefix}eg:{0}:f`),
        await newestScore(`${prefix}eg:{0}:r`),
      );
      // Read, not 0: a 0 made the wait below pass at once, and the keys' expiry can come a few
      // ms before their score + TTL (the total then read 400).
      assert.ok(lastWrite > 0, "the orders' newest score is read");
      await until(
        async () => {
          const [seconds, micros] = (await redis.client.sendCommand(["TIME"])) as string[];
          return Number(seconds) * 1_000_000 + Number(micros) > lastWrite + ttlSeconds * 1_000_000;
        },
        "Redis's clock passes the last write by the TTL",
        10_000,
      );
      const swept = await bookState(prefix);
      await log.append("live", "a", "x".repeat(100));
      assert.equal(
        await totalOf(prefix),
        100,
        `opening a stream forgot the expired ones (last write ${lastWrite}; before the append ${swept}; after ${await bookState(
          prefix,
        )})`,
      );
      assert.equal(
        await redis.client.sendCommand(["HGET", `${prefix}eg:{0}:sizes`, "gone a"]),
        null,
      );
      assert.deepEqual(
        await redis.client.sendCommand(["ZRANGE", `${prefix}eg:{0}:r`, "0", "-1"]),
        ["live a"],
      );
      assert.deepEqual(
        await redis.client.sendCommand(["ZRANGE", `${prefix}eg:{0}:f`, "0", "-1"]),
        [],
      );
      await log.close();
    },
  );

  for (const singleNode of [false, true]) {
    itRedis(
      `the totals equal the data held, through trims, losses, completions and deletes${
        singleNode ? " (booked in the writing script)" : ""
      }`,
      async () => {
        const prefix = `lb${++n}:`;
        const log = new RedisEventLog(redis.client, {
          singleNode,
          prefix,
          maxEventsPerStream: 5,
          maxStreamsPerSession: 3,
          maxBytesPerSession: 2_000,
          maxTotalBytes: 6_000,
          budgetBatchBytes: 0,
        });
        let seed = 20_261_123;
        const random = (below: number) => {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
          return seed % below;
        };
        console.log(`seed 20261123`);
        for (let step = 0; step < 300; step++) {
          const session = `s${random(6)}`;
          const stream = `st${random(5)}`;
          const action = random(10);
          if (action < 6) await log.append(session, stream, "é".repeat(random(400)) + "x");
          else if (action < 8) {
            await log.appendMany(session, stream, ["a".repeat(random(300)), "b"], {
              complete: action === 7,
            });
          } else if (action < 9) await log.complete(session, stream);
          else await log.deleteSession(session);
          const total = await totalOf(prefix);
          assert.equal(
            total,
            await heldBytes(prefix),
            `step ${step}: the total matches the streams`,
          );
          assert.ok(total <= 6_000, `step ${step}: ${total} bytes held`);
        }
        for (let s = 0; s < 6; s++) await log.deleteSession(`s${s}`);
        assert.equal(await totalOf(prefix), 0);
        assert.deepEqual(
          (await keysOf(`${prefix}*`)).sort(),
          [`${prefix}eg:{0}:bytes`, `${prefix}eg:{0}:clock`],
          "only the deployment's two counters are left",
        );
        await log.close();
      },
    );
  }

  itRedis("a stream whose keys expired gives its bytes back to the global budget", async () => {
    const prefix = `lb${++n}:`;
    const log = new RedisEventLog(redis.client, {
      prefix,
      maxTotalBytes: 1_000,
      budgetBatchBytes: 0,
    });
    await log.append("gone", "a", "g".repeat(500));
    // What the TTL does to a session no instance deleted: its keys vanish, the totals stay.
    for (const key of await keysOf(`${prefix}e[msv]:{gone}*`)) {
      await redis.client.sendCommand(["DEL", key]);
    }
    assert.equal(await totalOf(prefix), 500, "the expired stream still counts");
    await log.append("live", "a", "x".repeat(300));
    await log.append("live", "a", "y".repeat(300));
    assert.equal(
      (await log.replayAfter("live", "a:0"))?.events.length,
      2,
      "the expired stream's bytes made room, not the live stream's first event",
    );
    assert.equal(await totalOf(prefix), 600);
    await log.close();
  });

  itRedis(
    "writes booked while a booking is in flight share the next one; totals hold",
    async () => {
      const prefix = `lb${++n}:`;
      let bookings = 0;
      // Counts the BOOK scripts: the ones on a budget book's keys.
      const counting = {
        sendCommand: (args: string[]) => {
          if (args[0] === "EVALSHA" && args[3]?.startsWith(`${prefix}eg:`)) bookings++;
          return redis.client.sendCommand(args);
        },
      };
      const log = new RedisEventLog(counting, {
        prefix,
        maxTotalBytes: 1 << 20,
        budgetBatchBytes: 0,
      });
      const writes = 12;
      await Promise.all(
        Array.from(
          { length: writes },
          (_, i) =>
            log.appendMany(`g${i}`, "st", ["a".repeat(100), "b".repeat(100)], { complete: true }),
        ),
      );
      // Each write resolved after its bytes were booked: all of them are in the total now.
      assert.equal(await totalOf(prefix), writes * 200);
      assert.equal(await heldBytes(prefix), writes * 200);
      assert.ok(bookings >= 1 && bookings <= 2, `${bookings} bookings for ${writes} writes`);
      assert.equal((await keysOf(`${prefix}eg:{0}:sizes`)).length, 1);
      assert.equal(
        Number(await redis.client.sendCommand(["ZCARD", `${prefix}eg:{0}:f`])),
        writes,
        "every stream booked as finished",
      );
      await log.close();

      // Over budget, writes booked together still leave the totals right and within it.
      const small = `lb${++n}:`;
      const tight = new RedisEventLog(redis.client, {
        prefix: small,
        maxTotalBytes: 1_000,
        budgetBatchBytes: 0,
      });
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          Array.from(
            { length: writes },
            (_, i) => tight.append(`t${i}`, `r${round}`, "x".repeat(150)),
          ),
        );
        const total = await totalOf(small);
        assert.equal(
          total,
          await heldBytes(small),
          `round ${round}: the total matches the streams`,
        );
        assert.ok(total <= 1_000, `round ${round}: ${total} bytes held`);
      }
      await tight.close();
    },
  );

  itRedis(
    "on one node a write books its bytes in its own script: one round trip, totals hold",
    async () => {
      const prefix = `lb${++n}:`;
      let scripts = 0;
      const counting = {
        sendCommand: (args: string[]) => {
          if (args[0] === "EVALSHA" || args[0] === "EVAL") scripts++;
          return redis.client.sendCommand(args);
        },
      };
      const log = new RedisEventLog(counting, {
        prefix,
        singleNode: true,
        maxTotalBytes: 1_000,
        budgetBatchBytes: 0,
      });
      const writes = 12;
      await Promise.all(
        Array.from(
          { length: writes },
          (_, i) =>
            log.appendMany(`o${i}`, "st", ["a".repeat(20), "b".repeat(30)], { complete: true }),
        ),
      );
      // Each write resolved once its bytes were booked, in its own script.
      assert.equal(scripts, writes, "one script per write, no booking apart");
      assert.equal(await totalOf(prefix), writes * 50);
      assert.equal(
        Number(await redis.client.sendCommand(["ZCARD", `${prefix}eg:{0}:f`])),
        writes,
        "every stream booked as finished",
      );
      // Over budget the book names victims and the log evicts them: within the budget, totals right.
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          Array.from(
            { length: writes },
            (_, i) => log.append(`o${i}`, `r${round}`, "x".repeat(150)),
          ),
        );
        const total = await totalOf(prefix);
        assert.equal(
          total,
          await heldBytes(prefix),
          `round ${round}: the total matches the streams`,
        );
        assert.ok(total <= 1_000, `round ${round}: ${total} bytes held`);
      }
      await log.close();
    },
  );

  itRedis(
    "on one node the backend keeps a large budget in one book; a log alone spreads it",
    async () => {
      const big = 64 * 1024 * 1024; // four books of 16 MiB by default
      const prefix = `lb${++n}:`;
      const backend = await createRedisBackend({ url: redis.url }, {
        prefix,
        eventLog: { maxTotalBytes: big, budgetBatchBytes: 0 },
      });
      const alone = `lb${++n}:`;
      const log = new RedisEventLog(redis.client, {
        prefix: alone,
        maxTotalBytes: big,
        budgetBatchBytes: 0,
      });
      try {
        for (let i = 0; i < 16; i++) {
          await backend.eventLog.append(`b${i}`, "st", "x");
          await log.append(`b${i}`, "st", "x");
        }
        const books = async (p: string) =>
          new Set((await keysOf(`${p}eg:*`)).map((key) => /eg:\{(\d+)\}/.exec(key)![1]));
        assert.deepEqual([...await books(prefix)], ["0"], "one book on one node");
        assert.equal(await totalOf(prefix), 16);
        // Positive control: the same budget on a log alone spreads over its books.
        assert.ok((await books(alone)).size > 1, "a log alone spreads its books");
        assert.throws(
          () => new RedisEventLog(redis.client, { budgetBooks: 0 }),
          /budgetBooks must be a positive integer/,
        );
      } finally {
        await log.close();
        await backend.close();
      }
    },
  );
});
