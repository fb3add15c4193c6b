/**
 * The Redis MessageBus meets the bus contract against a real redis-server,
 * and its reader survives a dropped connection without losing what was
 * published meanwhile.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { BusMessage, MessageBus } from "../../../src/storage/mod.ts";
import type { RedisConnection } from "../../../src/redis/connection/redis_commands.ts";
import { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import { describeMessageBus } from "../../contracts/message_bus_contract.ts";
import { until, within } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** A connection of its own, as createRedisBackend opens them. */
function openConnection(): Promise<RedisConnection> {
  return redis.openConnection();
}

let made: RedisBus[] = [];
describeRedis("Redis contracts", () =>
  describeMessageBus("RedisBus", {
    connected(count) {
      const prefix = `bus${++n}:`;
      made = Array.from(
        { length: count },
        () => new RedisBus(redis.client, openConnection, { prefix, blockMs: 200 }),
      );
      return made;
    },
    failing: () =>
      new RedisBus(
        { sendCommand: () => Promise.reject(new Error("connection refused")) },
        openConnection,
      ),
    async cleanup() {
      await Promise.all(made.map((bus) => bus.close()));
    },
    use: (bus, sessionId) => (bus as RedisBus).hold(sessionId, 60_000),
    addressed: true,
  }));

itRedis(
  "RedisBus: a reader whose connection drops reconnects and delivers what was published meanwhile",
  async () => {
    const errors: unknown[] = [];
    const prefix = `bus${++n}:`;
    const a: MessageBus = new RedisBus(redis.client, openConnection, { prefix });
    const b = new RedisBus(redis.client, openConnection, {
      prefix,
      onError: (error) => errors.push(error),
    });
    try {
      const received: BusMessage[] = [];
      await b.subscribe((message) => void received.push(message));
      for (
        const id of ["before", 0, 1, 2, 3, 4].map((i) => typeof i === "string" ? i : `during${i}`)
      ) {
        await b.hold(id, 60_000);
      }
      await a.publish({ type: "session-ended", sessionId: "before" });
      await until(() => received.length === 1, "first message");
      // Kill every other client (the reader's blocking connection among them).
      await redis.client.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
      for (let i = 0; i < 5; i++) {
        await a.publish({ type: "session-ended", sessionId: `during${i}` });
      }
      await until(() => received.length === 6, "the five published while it reconnected", 10_000);
      assert.deepEqual(
        received.map((message) => (message as { sessionId: string }).sessionId),
        ["before", "during0", "during1", "during2", "during3", "during4"],
      );
      assert.ok(errors.length >= 1, "the dropped connection was reported");
    } finally {
      await b.close();
    }
  },
);

itRedis("RedisBus: an inbox stays bounded by maxLength", async () => {
  const prefix = `bus${++n}:`;
  const bus = new RedisBus(redis.client, openConnection, { prefix, maxLength: 100 });
  const peer = new RedisBus(redis.client, openConnection, { prefix });
  try {
    await peer.subscribe(() => {});
    for (let i = 0; i < 1_000; i++) await bus.publish({ type: "resource-updated", uri: `u${i}` });
    const length = Number(await redis.client.sendCommand(["XLEN", peer.inboxKeys()[0]]));
    assert.equal(length, 100);
  } finally {
    await peer.close();
    await bus.close();
  }
});

itRedis("RedisBus: options are checked", () => {
  assert.throws(() => new RedisBus(redis.client, openConnection, { maxLength: 0 }), RangeError);
  assert.throws(() => new RedisBus(redis.client, openConnection, { blockMs: 1.5 }), RangeError);
});

itRedis(
  "RedisBus: close() does not wait for a reader stuck opening its connection",
  async () => {
    // An opener that never gives up (a client reconnecting forever while Redis is down).
    let opening = 0;
    const bus = new RedisBus(redis.client, () => {
      opening++;
      return new Promise<RedisConnection>(() => {});
    }, { prefix: `stuck${++n}:`, blockMs: 200 });
    await bus.subscribe(() => {});
    await until(() => opening === 1, "the reader to start opening its connection");
    await within(bus.close(), 10_000, "close() while the reader is stuck opening its connection");
  },
);
