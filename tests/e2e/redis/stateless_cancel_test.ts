/**
 * A 2026-07-28 `notifications/cancelled` is addressed to the instance
 * running its request, against a real redis-server (three handlers, each
 * with its own backend): a call on A that outlived its grace is recorded
 * under its (owner, request id), a cancel POSTed to B aborts the tool's
 * signal on A, and C's inbox gets nothing; a cancel that comes before the
 * call is recorded leaves a mark that cancels the call once it outlives its
 * grace; a call that ends leaves no record. The first on a Redis Cluster
 * too (3 masters + 3 replicas): the record's keys are one slot.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { createCluster } from "redis";
import { defineTool, type McpHandler } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import type { RedisCommands } from "../../../src/redis/connection/redis_commands.ts";
import type { RedisSource } from "../../../src/redis/connection/redis_sources.ts";
import { firstKeyOf } from "../../../src/redis/connection/redis_sources.ts";
import { abortReason, makeHandler, until } from "../../helpers.ts";
import { modernNotification, modernRequest } from "../../support/modern_helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";
import { startRedisCluster, type TestRedisCluster } from "../../../scripts/redis_topologies.ts";
import type { RedisBus } from "../../../src/redis/bus/redis_bus.ts";

let redis: TestRedis;
let cluster: TestRedisCluster;
let onCluster: ReturnType<typeof createCluster>;
let n = 0;
before(async () => {
  if (redisSkip !== false) return;
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  onCluster = createCluster({ rootNodes: cluster.rootNodes });
  onCluster.on("error", () => {});
  await onCluster.connect();
});
after(async () => {
  await onCluster?.destroy();
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

/** A topology: how backends reach it, and a client to look at its keys. */
interface Rig {
  source: RedisSource;
  commands: RedisCommands;
}

function oneNode(): Rig {
  return { source: { url: redis.url }, commands: redis.client };
}

function onTheCluster(): Rig {
  return {
    source: { cluster: { rootNodes: cluster.rootNodes } },
    commands: { sendCommand: (args) => onCluster.sendCommand(firstKeyOf(args), false, args) },
  };
}

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

/** Three instances on one prefix; `signals` gets the signal of each `hold` call, in order. */
async function threeInstances(rig: Rig): Promise<{
  prefix: string;
  backends: RedisBackend[];
  handlers: McpHandler[];
  signals: AbortSignal[];
}> {
  const prefix = `scancel${++n}:`;
  const signals: AbortSignal[] = [];
  const hold = defineTool({
    name: "hold",
    handler: async (_input, ctx) => {
      signals.push(ctx.signal);
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      return "cancelled";
    },
  });
  const backends: RedisBackend[] = [];
  const handlers: McpHandler[] = [];
  for (let i = 0; i < 3; i++) {
    const backend = await createRedisBackend(rig.source, {
      prefix,
      onError: () => {},
      bus: { blockMs: 200 },
    });
    const handler = makeHandler({ tools: [hold], bus: backend.bus });
    backends.push(backend);
    handlers.push(handler);
    opened.push(backend, { close: () => handler.close({ graceMs: 0 }) });
  }
  return { prefix, backends, handlers, signals };
}

/** The instances recorded as running request `id` of the anonymous principal. */
async function runners(rig: Rig, prefix: string, id: string): Promise<string[]> {
  const running = `${prefix}rq:{anonymous|s:${id}}`; // bus_scripts.ts's requestKeysOf
  return ((await rig.commands.sendCommand(["SMEMBERS", running])) as unknown[]).map(String);
}

/** Entries in an instance's bus inbox. */
async function inboxLength(rig: Rig, backend: RedisBackend): Promise<number> {
  return Number(await rig.commands.sendCommand(["XLEN", (backend.bus as RedisBus).inboxKeys()[0]]));
}

describeRedis("2026-07-28 cancellation addressed to the running instance", () => {
  for (const [topology, rigOf] of [["one node", oneNode], ["a Cluster", onTheCluster]] as const) {
    itRedis(
      `a cancel POSTed to B aborts the tool's signal on A; C's inbox gets nothing (${topology})`,
      async () => {
        const rig = rigOf();
        const { prefix, backends, handlers, signals } = await threeInstances(rig);
        const [a, b] = handlers;
        // Each instance subscribes with its first request.
        for (const handler of handlers) {
          await (await handler(modernRequest("tools/list", {}, { id: `warm-${n}` }))).text();
        }
        const call = handlers[0](
          modernRequest("tools/call", { name: "hold", arguments: {} }, { id: "one" }),
        );
        // Its stream opens once it outlives its grace: from then on it is findable.
        const response = await call;
        assert.ok(signals.length === 1, "the tool runs on A");
        const cancel = await b(modernNotification("notifications/cancelled", { requestId: "one" }));
        assert.equal(cancel.status, 202);
        assert.equal(await abortReason(signals[0]), "cancelled");
        assert.equal(await inboxLength(rig, backends[2]), 0, "C got nothing");
        assert.equal(await inboxLength(rig, backends[1]), 0, "nor B, the sender");
        // The cancel itself, or none: a cancel that overtakes the record leaves a mark instead.
        assert.ok(await inboxLength(rig, backends[0]) <= 1, "A got the cancel at most once");
        await response.body?.cancel();
        await until(
          async () => (await runners(rig, prefix, "one")).length === 0,
          "its record is gone",
        );
        // A control: a broadcast does reach C.
        await a.broadcast({ method: "notifications/tools/list_changed" });
        await until(async () => await inboxLength(rig, backends[2]) === 1, "a broadcast reaches C");
      },
    );
  }

  itRedis(
    "a cancel that comes before the call is recorded cancels it once it outlives its grace",
    async () => {
      const rig = oneNode();
      const { prefix, backends, handlers, signals } = await threeInstances(rig);
      for (const handler of handlers) {
        await (await handler(modernRequest("tools/list", {}, { id: `warm-${n}` }))).text();
      }
      // Not running anywhere yet (younger than its grace, say): nothing is sent, a mark is left.
      const cancel = await handlers[1](
        modernNotification("notifications/cancelled", { requestId: "early" }),
      );
      assert.equal(cancel.status, 202);
      const call = handlers[0](
        modernRequest("tools/call", { name: "hold", arguments: {} }, {
          id: "early",
        }),
      );
      await until(() => signals.length === 1, "the tool started on A");
      assert.equal(await abortReason(signals[0]), "cancelled");
      await (await call).body?.cancel();
      assert.deepEqual(await runners(rig, prefix, "early"), [], "never recorded");
      for (const backend of backends) {
        assert.equal(await inboxLength(rig, backend), 0, "no bus entry");
      }
    },
  );
});
