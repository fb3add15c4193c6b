/**
 * The Redis bus is addressed to owners, against a real redis-server: a
 * session's message is written only to the inboxes of the instances that
 * used the session (8 live instances, one holder: one entry), an instance
 * whose liveness lapsed (killed without `close()`) or that closed gets
 * nothing and leaves the session's holders, and an instance that got a
 * session's message while holding nothing of it releases the session, so
 * the next cancel crosses to the owner alone (four handlers, each with its
 * own backend).
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { defineTool, type McpHandler } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import { holdersKeyOf } from "../../../src/redis/bus/bus_scripts.ts";
import { initialize, makeHandler, postRequest, until } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

/** A subscribed bus on `prefix`. */
async function busOn(prefix: string, aliveMs = 60_000): Promise<RedisBus> {
  const bus = new RedisBus(redis.client, () => redis.openConnection(), {
    prefix,
    blockMs: 200,
    aliveMs,
    onError: () => {},
  });
  opened.push(bus);
  await bus.subscribe(() => {});
  return bus;
}

async function lengthOf(key: string): Promise<number> {
  return Number(await redis.client.sendCommand(["XLEN", key]));
}

async function holders(prefix: string, sessionId: string): Promise<string[]> {
  const ids = await redis.client.sendCommand([
    "ZRANGE",
    holdersKeyOf(prefix, sessionId),
    "0",
    "-1",
  ]);
  return (ids as unknown[]).map(String);
}

describeRedis("RedisBus addressed to owners", () => {
  itRedis("a session's message is written to its holder's inbox only, of 8 instances", async () => {
    const prefix = `owner${++n}:`;
    const buses: RedisBus[] = [];
    for (let i = 0; i < 8; i++) buses.push(await busOn(prefix));
    await buses[3].hold("s", 60_000);
    await buses[0].publish({ type: "cancel", sessionId: "s", requestId: 1 });
    const lengths = await Promise.all(buses.map((bus) => lengthOf(bus.inboxKeys()[0])));
    assert.deepEqual(lengths, [0, 0, 0, 1, 0, 0, 0, 0]);
    await buses[0].publish({ type: "broadcast", notification: { method: "n" } });
    const after = await Promise.all(buses.map((bus) => lengthOf(bus.inboxKeys()[0])));
    assert.deepEqual(after, [0, 1, 1, 2, 1, 1, 1, 1], "a broadcast reaches every other instance");
  });

  itRedis("a dead or closed instance gets nothing and leaves the session's holders", async () => {
    const prefix = `owner${++n}:`;
    const a = await busOn(prefix);
    const killed = await busOn(prefix);
    const closed = await busOn(prefix);
    await killed.hold("s", 60_000);
    await closed.hold("s", 60_000);
    // Killed without close(): its liveness key lapses (deleted here rather than waited out).
    await redis.client.sendCommand(["DEL", killed.inboxKeys()[2]]);
    await closed.close();
    await a.publish({ type: "cancel", sessionId: "s", requestId: 1 });
    assert.equal(await lengthOf(killed.inboxKeys()[0]), 0, "nothing written for a dead instance");
    assert.equal(await lengthOf(closed.inboxKeys()[0]), 0, "nor for a closed one");
    await until(async () => (await holders(prefix, "s")).length === 0, "both left the holders");
    await a.publish({ type: "resource-updated", uri: "test://r" });
    assert.equal(await lengthOf(closed.inboxKeys()[0]), 0, "a closed instance is not live");
  });

  itRedis("release keeps an instance that used the session since, else removes it", async () => {
    const prefix = `owner${++n}:`;
    const bus = await busOn(prefix);
    const before = Date.now() - 1_000;
    await bus.hold("s", 60_000);
    await bus.release("s", before);
    assert.deepEqual(await holders(prefix, "s"), [bus.instanceId], "used after: kept");
    await bus.release("s", Date.now() + 1);
    assert.deepEqual(await holders(prefix, "s"), [], "not used since: removed");
  });

  itRedis(
    "instances that hold nothing of a session release it: the next cancel goes to the owner alone",
    async () => {
      const prefix = `owner${++n}:`;
      const started: string[] = [];
      const hold = defineTool({
        name: "hold",
        handler: async (_input, ctx) => {
          started.push("started");
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return "cancelled";
        },
      });
      const backends: RedisBackend[] = [];
      const handlers: McpHandler[] = [];
      for (let i = 0; i < 4; i++) {
        const backend = await createRedisBackend({ url: redis.url }, {
          prefix,
          onError: () => {},
          bus: { blockMs: 200 },
        });
        const handler = makeHandler({
          tools: [hold],
          bus: backend.bus,
          sessions: { store: backend.sessionStore },
          streams: { eventLog: backend.eventLog },
        });
        backends.push(backend);
        handlers.push(handler);
        opened.push(backend, { close: () => handler.close() });
      }
      const session = await initialize(handlers[0]);
      const headers = { sessionId: session.id, protocolVersion: session.protocolVersion };
      const call = (method: string, params: Record<string, unknown>, id: number) =>
        postRequest({ jsonrpc: "2.0", id, method, params }, headers);
      // Every instance serves a request of the session: each one is a holder.
      for (const handler of handlers) {
        const pong = await handler(call("ping", {}, 9));
        assert.equal(pong.status, 200);
        await pong.text();
      }
      const inboxes = backends.map((backend) => (backend.bus as RedisBus).inboxKeys()[0]);
      const roundTrip = async (id: number) => {
        const held = handlers[0](call("tools/call", { name: "hold", arguments: {} }, id));
        await until(() => started.length === id, "the call runs on instance 0");
        const cancel = await handlers[1](postRequest({
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: id },
        }, headers));
        assert.equal(cancel.status, 202);
        await (await held).text();
      };
      await roundTrip(1);
      const first = await Promise.all(inboxes.map(lengthOf));
      assert.deepEqual(first, [1, 0, 1, 1], "the first cancel reaches every other holder");
      const ids = backends.map((backend) => (backend.bus as RedisBus).instanceId);
      await until(
        async () =>
          !(await holders(prefix, session.id)).some((id) => id === ids[2] || id === ids[3]),
        "instances 2 and 3, which hold nothing of it, released the session",
        10_000,
      );
      await roundTrip(2);
      const second = await Promise.all(inboxes.map(lengthOf));
      assert.deepEqual(second, [2, 0, 1, 1], "the second reaches the owner alone");
    },
  );
});
