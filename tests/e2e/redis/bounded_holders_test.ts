/**
 * A session's bus holders stay bounded, against a real redis-server: the
 * session store's read-and-touch drops, in its own script, every holder that
 * has not used the session for the bus's holding bound (`2 × aliveMs`), so a
 * session served round-robin by 20 instances keeps only the recent ones;
 * and an instance running a call longer than the bound records its use
 * again while it runs, so a cancel posted to another instance still reaches
 * it (four handlers, each with its own backend), while the instances that
 * hold nothing of the session are gone from its holders.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { defineTool, type McpHandler } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
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

async function holders(prefix: string, sessionId: string): Promise<string[]> {
  const ids = await redis.client.sendCommand([
    "ZRANGE",
    holdersKeyOf(prefix, sessionId),
    "0",
    "-1",
  ]);
  return (ids as unknown[]).map(String).sort();
}

const use = { ownerKey: "anonymous", idleTtlMs: 600_000, absoluteTtlMs: 600_000 };

/** Session `s` of an anonymous caller, made at `now`, as `use` keeps it. */
const sessionS = (now: number) => ({
  id: "s",
  ownerKey: "anonymous",
  protocolVersion: "2025-06-18",
  clientCapabilities: {},
  createdAt: now,
  expiresAt: now + 600_000,
});

describeRedis("Bounded bus holders", () => {
  itRedis(
    "20 instances touch a session round-robin; past the bound a touch leaves only itself",
    async () => {
      const prefix = `holders${++n}:`;
      const aliveMs = 150; // holding bound 300 ms
      const instances = Array.from({ length: 20 }, () => {
        const bus = new RedisBus(redis.client, () => redis.openConnection(), {
          prefix,
          aliveMs,
          onError: () => {},
        });
        opened.push(bus);
        return { bus, store: new RedisSessionStore(redis.client, { prefix, holder: bus }) };
      });
      const now = Date.now();
      const created = await instances[0].store.create(sessionS(now), 100, now);
      assert.equal(created, true);
      for (let round = 0; round < 2; round++) {
        for (const { store } of instances) assert.ok(await store.getAndTouch("s", Date.now(), use));
      }
      const spread = await holders(prefix, "s");
      assert.ok(spread.length >= 1 && spread.length <= 20, `${spread.length} holders`);
      await new Promise((resolve) => setTimeout(resolve, 2 * aliveMs + 50));
      assert.ok(await instances[7].store.getAndTouch("s", Date.now(), use));
      assert.deepEqual(
        await holders(prefix, "s"),
        [instances[7].bus.instanceId],
        "the touch dropped every holder unused for the bound",
      );
    },
  );

  itRedis(
    "a call longer than the bound stays reachable: a cancel posted elsewhere cancels it",
    async () => {
      const prefix = `holders${++n}:`;
      // 2 × aliveMs; instance 0 records its use again once it is aliveMs old, checked every third
      // of it: a stall of up to a third of the bound on a loaded machine is still in time.
      const boundMs = 1_200;
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
          bus: { blockMs: 100, aliveMs: boundMs / 2 },
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
      const ids = backends.map((backend) => (backend.bus as RedisBus).instanceId);
      const session = await initialize(handlers[0]);
      const headers = { sessionId: session.id, protocolVersion: session.protocolVersion };
      const call = (method: string, params: Record<string, unknown>, id: number) =>
        postRequest({ jsonrpc: "2.0", id, method, params }, headers);
      const held = handlers[0](call("tools/call", { name: "hold", arguments: {} }, 1));
      await until(() => started.length === 1, "the call runs on instance 0");
      // Every other instance serves the session, round-robin, for two bounds.
      const untilTwoBounds = Date.now() + 2 * boundMs;
      for (let i = 0; Date.now() < untilTwoBounds; i++) {
        const pong = await handlers[1 + (i % 3)](call("ping", {}, 100 + i));
        assert.equal(pong.status, 200);
        await pong.text();
      }
      // Past the bound with instances 2 and 3 idle, a touch on instance 1 keeps 0 and 1 only.
      await new Promise((resolve) => setTimeout(resolve, boundMs + 50));
      const ping = await handlers[1](call("ping", {}, 99));
      await ping.text();
      assert.deepEqual(await holders(prefix, session.id), [ids[0], ids[1]].sort());
      const cancel = await handlers[1](postRequest({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 1 },
      }, headers));
      assert.equal(cancel.status, 202);
      let answered = false;
      void held.then((response) => response.text()).then(() => answered = true);
      await until(() => answered, "the cancel to reach instance 0 and end the call", 5_000);
    },
  );

  itRedis(
    "an instance records its use once per quarter bound; after a release, at its next touch",
    async () => {
      const prefix = `holders${++n}:`;
      const bus = new RedisBus(redis.client, () => redis.openConnection(), {
        prefix,
        aliveMs: 60_000, // holding bound 120 s: a use is recorded again after 30 s
        onError: () => {},
      });
      opened.push(bus);
      const store = new RedisSessionStore(redis.client, { prefix, holder: bus });
      const now = Date.now();
      assert.equal(await store.create(sessionS(now), 100, now), true);
      const key = holdersKeyOf(prefix, "s");
      const score = async () => await redis.client.sendCommand(["ZSCORE", key, bus.instanceId]);
      assert.ok(await store.getAndTouch("s", Date.now(), use));
      const first = Number(await score());
      assert.ok(first > 0, "the first touch records the instance");
      await until(() => Date.now() > first, "a later millisecond");
      assert.ok(await store.getAndTouch("s", Date.now(), use));
      assert.equal(Number(await score()), first, "a use within a quarter bound is not recorded");
      await bus.release("s", Date.now() + 1);
      assert.equal(await score(), null, "released");
      assert.ok(await store.getAndTouch("s", Date.now(), use));
      assert.ok(Number(await score()) > first, "the touch after the release records it again");
    },
  );
});
