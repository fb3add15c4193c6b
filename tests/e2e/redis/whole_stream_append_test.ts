/**
 * A stream written whole in one call (a short streamed answer: its events
 * and its end in one APPEND, the stream new) takes a path of its own in the
 * script: its meta fields are set by one HSET rather than read and bumped.
 * Pinned against the general path, on both logs' options (one node, and
 * books apart as on a Cluster): the same meta, the same entries, the same
 * replay, the same bytes booked, as a stream opened, written event by event
 * and then ended.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { entriesOf } from "../../../src/redis/connection/stream_entries.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const EVENTS = ["one", "twö", '{"jsonrpc":"2.0","id":1,"result":{}}'];

/** What a stream leaves in Redis: its meta hash, its entries, its booked size. */
async function leftBy(prefix: string, session: string, stream: string) {
  const command = (args: string[]) => redis.client.sendCommand(args);
  // Every field but the writer's (w, r: OPEN's, not part of what the paths share).
  const names = ["next", "c", "complete", "lost"];
  const values = await command(["HMGET", `${prefix}em:{${session}}:${stream}`, ...names]);
  const fields: Record<string, string> = {};
  (values as (string | null)[]).forEach((value, i) => {
    if (value !== null) fields[names[i]] = value;
  });
  const entries = entriesOf(
    await command(["XRANGE", `${prefix}ev:{${session}}:${stream}`, "-", "+"]),
  ).map((entry) => [entry.id, entry.fields]);
  const booked = await command(["HGET", `${prefix}eg:{0}:sizes`, `${session} ${stream}`]);
  const held = await command(["HGET", `${prefix}es:{${session}}:sizes`, stream]);
  return { fields, entries, booked, held };
}

describeRedis("a stream written whole in one APPEND", () => {
  for (const singleNode of [true, false]) {
    itRedis(
      `leaves what a stream opened, written and ended step by step leaves (${
        singleNode ? "one node" : "books apart"
      })`,
      async () => {
        const prefix = `wsa${singleNode ? 1 : 2}:`;
        const log = new RedisEventLog(redis.client, {
          prefix,
          ttlSeconds: 60,
          maxTotalBytes: 1 << 20,
          budgetBatchBytes: 0,
          singleNode,
        });
        try {
          const ids = await log.appendMany!("s", "whole", EVENTS, { complete: true });
          await log.open("s", "steps");
          for (const data of EVENTS) await log.append("s", "steps", data);
          await log.complete("s", "steps");

          assert.deepEqual(ids, ["whole:1", "whole:2", "whole:3"]);
          const whole = await leftBy(prefix, "s", "whole");
          const steps = await leftBy(prefix, "s", "steps");
          assert.deepEqual(whole, steps);
          // Positive control: what both paths leave is the stream itself, ended.
          assert.deepEqual(whole.fields, { next: "4", c: "3", complete: "1" });
          assert.equal(whole.entries.length, 4);
          assert.equal(Number(whole.booked), new TextEncoder().encode(EVENTS.join("")).length);
          const replay = await log.replayAfter("s", "whole:1");
          assert.deepEqual(replay?.events.map((event) => event.data), EVENTS.slice(1));
          assert.equal(replay?.complete, true);
        } finally {
          await log.close();
        }
      },
    );
  }

  itRedis(
    "a stream written whole with no events is ended, numbered as the general path",
    async () => {
      const prefix = "wsa3:";
      const log = new RedisEventLog(redis.client, {
        prefix,
        ttlSeconds: 60,
        maxTotalBytes: 1 << 20,
        budgetBatchBytes: 0,
      });
      try {
        assert.deepEqual(await log.appendMany!("s", "empty", [], { complete: true }), []);
        await log.open("s", "steps");
        await log.complete("s", "steps");
        const empty = await leftBy(prefix, "s", "empty");
        assert.deepEqual(empty, await leftBy(prefix, "s", "steps"));
        assert.deepEqual(empty.fields, { next: "1", complete: "1" });
      } finally {
        await log.close();
      }
    },
  );
});
