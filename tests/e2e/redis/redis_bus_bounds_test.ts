/**
 * The Redis bus is bounded in bytes, not only in entries, against a real
 * redis-server: a message over `maxMessageBytes` is refused before it is
 * sent (a client's reply that large gets 413), and an inbox's payload
 * never exceeds `maxBytes`, however large each entry is. Entries are
 * trimmed exactly (`maxLength`), oldest first, and the newest survives.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import {
  type BusMessage,
  BusMessageTooLargeError,
  MemorySessionStore,
} from "../../../src/storage/mod.ts";
import { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import { entriesOf } from "../../../src/redis/connection/stream_entries.ts";
import { AWAITED_REPLIES_KEY } from "../../../src/legacy/sessions/awaited_replies.ts";
import { initialize, makeHandler, postRequest } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const peers: RedisBus[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
});

/** Another instance, alive and using session `sessionId`: the inbox key the messages land in. */
async function receiver(prefix: string, sessionId = "s"): Promise<string> {
  // Quiet: it reads entries that are not messages in the test of a stream written before the bound.
  const peer = new RedisBus(redis.client, () => redis.openConnection(), {
    prefix,
    onError: () => {},
  });
  peers.push(peer);
  await peer.subscribe(() => {});
  await peer.hold(sessionId, 60_000);
  return peer.inboxKeys()[0];
}

function notifyOf(size: number, tag = "x"): BusMessage {
  return {
    type: "notify",
    sessionId: "s",
    notification: { method: "notifications/message", params: { data: tag.repeat(size) } },
  };
}

/** An inbox's entries: count, payload bytes (field values, as the bus weighs them), last message. */
async function streamOf(inbox: string) {
  const entries = entriesOf(await redis.client.sendCommand(["XRANGE", inbox, "-", "+"]));
  let bytes = 0;
  for (const entry of entries) {
    for (const value of Object.values(entry.fields)) {
      bytes += new TextEncoder().encode(value).length;
    }
  }
  return { length: entries.length, bytes, last: entries.at(-1)?.fields.m };
}

describeRedis("RedisBus byte bounds", () => {
  itRedis("a message over maxMessageBytes is refused and never reaches Redis", async () => {
    const prefix = `bb${++n}:`;
    const inbox = await receiver(prefix);
    const bus = new RedisBus(redis.client, () => redis.openConnection(), {
      prefix,
      maxMessageBytes: 1_000,
    });
    await assert.rejects(bus.publish(notifyOf(2_000)), BusMessageTooLargeError);
    await assert.rejects(bus.publish(notifyOf(480, "é")), BusMessageTooLargeError, "UTF-8 bytes");
    assert.equal((await streamOf(inbox)).length, 0);
    await bus.publish(notifyOf(500));
    assert.equal((await streamOf(inbox)).length, 1, "positive control: a message that fits");
    await bus.close();
  });

  itRedis("the stream holds at most maxBytes of payload, the newest entries kept", async () => {
    const prefix = `bb${++n}:`;
    const inbox = await receiver(prefix);
    const bus = new RedisBus(redis.client, () => redis.openConnection(), {
      prefix,
      maxMessageBytes: 5_000,
      maxBytes: 20_000,
    });
    for (let i = 0; i < 40; i++) {
      await bus.publish(notifyOf(1_000 + 97 * (i % 7), String(i % 10)));
      const { bytes } = await streamOf(inbox);
      assert.ok(bytes <= 20_000, `after ${i + 1} messages the stream holds ${bytes} bytes`);
    }
    const { length, bytes, last } = await streamOf(inbox);
    assert.ok(length < 40 && length >= 10, `kept ${length} entries`);
    assert.ok(bytes > 20_000 - 2_000, `the bound is used, not wasted: ${bytes} bytes`);
    assert.equal(
      (JSON.parse(last!) as { notification: { params: { data: string } } })
        .notification.params.data[0],
      "9",
      "the newest message is kept",
    );
    assert.equal(
      Number(await redis.client.sendCommand(["GET", `${inbox}:bytes`])),
      bytes,
      "the running total matches the stream",
    );
    await bus.close();
  });

  itRedis("maxLength is exact: the stream never holds more entries", async () => {
    const prefix = `bb${++n}:`;
    const inbox = await receiver(prefix);
    const bus = new RedisBus(redis.client, () => redis.openConnection(), { prefix, maxLength: 5 });
    for (let i = 0; i < 30; i++) await bus.publish(notifyOf(10));
    assert.equal((await streamOf(inbox)).length, 5);
    await bus.close();
  });

  itRedis(
    "a stream without a byte total (written before the bound) is weighed and trimmed",
    async () => {
      const prefix = `bb${++n}:`;
      const inbox = await receiver(prefix);
      for (let i = 0; i < 5; i++) {
        await redis.client.sendCommand([
          "XADD",
          inbox,
          "*",
          "o",
          "old",
          "m",
          "y".repeat(10_000),
        ]);
      }
      const bus = new RedisBus(redis.client, () => redis.openConnection(), {
        prefix,
        maxMessageBytes: 5_000,
        maxBytes: 25_000,
      });
      await bus.publish(notifyOf(100));
      const { bytes, length } = await streamOf(inbox);
      assert.ok(bytes <= 25_000, `${bytes} bytes`);
      assert.equal(length, 3, "two old entries and the new one");
      await bus.close();
    },
  );

  itRedis("a client's reply larger than the bus carries: 413, nothing on the bus", async () => {
    const prefix = `bb${++n}:`;
    const bus = new RedisBus(redis.client, () => redis.openConnection(), {
      prefix,
      maxMessageBytes: 4_096,
    });
    const store = new MemorySessionStore();
    const handler = makeHandler({ bus, sessions: { store } });
    try {
      const session = await initialize(handler, { capabilities: { elicitation: {} } });
      // The instance that issued the request: it used the session, its inbox gets the reply.
      const inbox = await receiver(prefix, session.id);
      // An id another instance issued and awaits: this one cannot settle it and forwards it.
      const awaited = { "tether-0badc0de-1": Date.now() + 60_000 };
      await store.writeState(session.id, AWAITED_REPLIES_KEY, awaited, 64 * 1024);
      const reply = (size: number) =>
        handler(postRequest(
          {
            jsonrpc: "2.0",
            id: "tether-0badc0de-1",
            result: { action: "accept", content: { text: "z".repeat(size) } },
          },
          { sessionId: session.id, protocolVersion: session.protocolVersion },
        ));
      const refused = await reply(10_000);
      assert.equal(refused.status, 413, await refused.text());
      assert.equal((await streamOf(inbox)).length, 0);
      assert.equal((await reply(100)).status, 202, "positive control: a reply that fits");
      assert.equal((await streamOf(inbox)).length, 1);
    } finally {
      await handler.close();
      await bus.close();
    }
  });
});
