/**
 * The followed streams of an instance share a few blocking reads per master,
 * against real redis-servers, counted by Redis itself (a count, not a time):
 * on a 3+3 Cluster two backends each following 33 streams hold at most 6
 * connections per instance per master (`INFO clients`), as they do following
 * 3, and idle those streams cost at most ~200 commands a second per instance
 * (a master's slots past its 3 reads are polled); on one node 40 idle followed streams cost at most ~200 commands a second
 * (`INFO commandstats`) on at most 6 connections; and the read connections
 * close once nothing is followed for `tailIdleMs`. Once each followed stream
 * had a pooled connection of its own (up to 32, never closed, each a whole
 * cluster client connecting to every master) and past the pool polled every
 * 50 ms with a full state check.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createClient } from "redis";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import type { RedisSource } from "../../../src/redis/connection/redis_sources.ts";
import { startRedisCluster, type TestRedisCluster } from "../../../scripts/redis_topologies.ts";
import { until } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

/** Connections one instance may hold on one master: the shared client, the bus reader, 3 reads, 1 control. */
const PER_INSTANCE_PER_MASTER = 6;

let redis: TestRedis | undefined;
let cluster: TestRedisCluster | undefined;
let n = 0;
before(async () => {
  if (redisSkip !== false) return;
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
});
after(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

/** A plain client to `url` (no reconnects), for counting. */
async function probe(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** A field of `INFO <section>` on `client`. */
async function info(
  client: { sendCommand(args: string[]): Promise<unknown> },
  section: string,
  field: string,
): Promise<number> {
  const text = String(await client.sendCommand(["INFO", section]));
  return Number(new RegExp(`^${field}:(\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
}

/** Total calls of every command since the last `CONFIG RESETSTAT`. */
async function commandCalls(client: { sendCommand(args: string[]): Promise<unknown> }) {
  const text = String(await client.sendCommand(["INFO", "commandstats"]));
  let calls = 0;
  const each: Record<string, number> = {};
  for (const match of text.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    calls += Number(match[2]);
    each[match[1]] = Number(match[2]);
  }
  return { calls, each };
}

/**
 * Two backends on `source`: A writes `count` streams (sessions `<tag>0…`),
 * B and A each follow every one of them; resolves with a stop of the follows.
 */
async function followEverywhere(
  backends: RedisBackend[],
  tag: string,
  count: number,
): Promise<() => Promise<void>> {
  const [writer] = backends;
  const firsts: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const session = `${tag}${i}`;
    await writer.eventLog.open(session, "a");
    firsts.push([session, await writer.eventLog.append(session, "a", "one")]);
  }
  const stop = new AbortController();
  const waits: Promise<unknown>[] = [];
  // Each follower asks again after each answer, as a resumed GET does.
  for (const backend of backends) {
    for (const [session, first] of firsts) {
      waits.push((async () => {
        while (!stop.signal.aborted) {
          try {
            await backend.eventLog.waitAfter!(session, first, {
              timeoutMs: 20_000,
              signal: stop.signal,
            });
          } catch {
            // A read that failed (a loaded machine's connect timeout): asked again, as a GET does.
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      })());
    }
  }
  return async () => {
    stop.abort();
    await Promise.all(waits);
  };
}

/** Backends on `source`, closed by the returned function. */
async function backendsOn(source: RedisSource, count: number, tailIdleMs = 30_000) {
  const prefix = `fc${++n}:`;
  const backends = await Promise.all(
    Array.from({ length: count }, () =>
      createRedisBackend(source, {
        prefix,
        // The rigs share 2 cores with other work: a connect may take longer than the default 5 s.
        connectTimeoutMs: 30_000,
        eventLog: { tailIdleMs },
        onError: () => {},
      })),
  );
  // Subscribed, as a handler's is: its reader holds its connection.
  await Promise.all(backends.map((backend) => backend.bus.subscribe(() => {})));
  return backends;
}

describeRedis("followed streams share a few blocking reads per master", () => {
  itRedis(
    "a 3+3 Cluster: 2 instances following 33 streams each hold at most 6 connections per master, idle ≤ 200 commands/s",
    async () => {
      const masters: Awaited<ReturnType<typeof probe>>[] = [];
      for (const node of cluster!.nodes) {
        const client = await probe(`redis://127.0.0.1:${node.port}`);
        const text = String(await client.sendCommand(["INFO", "replication"]));
        if (/^role:master/m.test(text)) masters.push(client);
        else client.destroy();
      }
      assert.equal(masters.length, 3);
      const baseline = await Promise.all(
        masters.map((m) => info(m, "clients", "connected_clients")),
      );
      const held = async () =>
        (await Promise.all(masters.map((m) => info(m, "clients", "connected_clients"))))
          .map((count, i) => count - baseline[i]);
      const backends = await backendsOn({ cluster: { rootNodes: cluster!.rootNodes } }, 2);
      const counts: Record<number, number[]> = {};
      let perSecond = Number.NaN;
      let detail = "";
      try {
        for (const streams of [3, 33]) {
          const stop = await followEverywhere(backends, `c${streams}-`, streams);
          try {
            // Every follower has joined a read (blocked in Redis) before the count.
            await until(
              async () =>
                (await Promise.all(masters.map((m) => info(m, "clients", "blocked_clients"))))
                  .every((blocked) => blocked >= 1),
              "each master has a blocked read",
              10_000,
            );
            await new Promise((resolve) => setTimeout(resolve, 1_500));
            counts[streams] = await held();
            if (streams === 33) {
              // Idle: the commands of every master, less the 3 RESETSTATs.
              await Promise.all(masters.map((m) => m.sendCommand(["CONFIG", "RESETSTAT"])));
              await new Promise((resolve) => setTimeout(resolve, 3_000));
              const calls = await Promise.all(masters.map(commandCalls));
              const total = calls.reduce((sum, { calls }) => sum + calls, 0) - masters.length;
              perSecond = total / 3 / backends.length;
              detail = JSON.stringify(calls.map(({ each }) => each));
            }
          } finally {
            await stop();
          }
        }
        // The writer's heartbeat and both buses' refreshes are in it too.
        assert.ok(perSecond <= 200, `${perSecond} commands a second per instance: ${detail}`);
        const bound = backends.length * PER_INSTANCE_PER_MASTER;
        for (const streams of [3, 33]) {
          for (const count of counts[streams]) {
            assert.ok(
              count <= bound,
              `following ${streams} streams: ${JSON.stringify(counts[streams])} connections ` +
                `per master, over ${bound}`,
            );
          }
        }
      } finally {
        await Promise.all(backends.map((backend) => backend.close()));
        for (const master of masters) master.destroy();
      }
    },
  );

  itRedis(
    "one node: 40 idle followed streams cost at most ~200 commands a second, on at most 6 connections",
    async () => {
      const counter = await probe(redis!.url);
      const baseline = await info(counter, "clients", "connected_clients");
      const [writer, follower] = await backendsOn({ url: redis!.url }, 2);
      try {
        const stop = await followEverywhere([writer, follower], "one-", 40);
        try {
          await until(
            async () => await info(counter, "clients", "blocked_clients") >= 4,
            "both instances' followers block in a read",
            10_000,
          );
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          // Two instances, 40 followed streams each, one of them the writer (its heartbeat).
          const held = await info(counter, "clients", "connected_clients") - baseline;
          await counter.sendCommand(["CONFIG", "RESETSTAT"]);
          const seconds = 3;
          await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
          const { calls, each } = await commandCalls(counter);
          const perSecondPerInstance = (calls - 1) / seconds / 2;
          assert.ok(
            perSecondPerInstance <= 200,
            `${perSecondPerInstance} commands a second for 40 idle followed streams: ` +
              JSON.stringify(each),
          );
          assert.ok(held <= 2 * PER_INSTANCE_PER_MASTER, `${held} connections for 2 instances`);
        } finally {
          await stop();
        }
      } finally {
        await Promise.all([writer.close(), follower.close()]);
        counter.destroy();
      }
    },
  );

  itRedis("the read connections close once nothing is followed for tailIdleMs", async () => {
    const counter = await probe(redis!.url);
    const baseline = await info(counter, "clients", "connected_clients");
    const [writer, follower] = await backendsOn({ url: redis!.url }, 2, 300);
    try {
      // Each backend: its shared client and its bus reader.
      const idle = baseline + 4;
      await until(
        async () => await info(counter, "clients", "connected_clients") === idle,
        "the backends' own connections",
        10_000,
      );
      const stop = await followEverywhere([writer, follower], "idle-", 5);
      await until(
        async () => await info(counter, "clients", "blocked_clients") >= 3,
        "the followers' reads block beside the bus readers",
        10_000,
      );
      assert.ok(await info(counter, "clients", "connected_clients") > idle);
      await stop();
      await until(
        async () => await info(counter, "clients", "connected_clients") === idle,
        "the read connections closed",
        10_000,
        50,
      );
    } finally {
      await Promise.all([writer.close(), follower.close()]);
      counter.destroy();
    }
  });
});
