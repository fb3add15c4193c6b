/**
 * The Redis session store, event log, task store and bus meet their
 * contracts on a real Redis Cluster (3 masters + 3 replicas) and under a
 * real Sentinel rig, through node-redis's cluster and Sentinel clients as
 * `createRedisBackend` drives them; and the key layout: every key of one
 * session in one slot, sessions spread over every master.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createCluster, createSentinel } from "redis";
import type {
  RedisCommands,
  RedisConnection,
} from "../../../src/redis/connection/redis_commands.ts";
import { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import { RedisTaskStore } from "../../../src/redis/tasks/redis_task_store.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { firstKeyOf } from "../../../src/redis/connection/redis_sources.ts";
import { AWAITED_REPLIES_KEY } from "../../../src/legacy/sessions/awaited_replies.ts";
import { describeEventLog } from "../../contracts/event_log_contract.ts";
import { describeMessageBus } from "../../contracts/message_bus_contract.ts";
import { describeSessionStore } from "../../contracts/session_store_contract.ts";
import { describeTaskStore } from "../../contracts/task_store_contract.ts";
import { describeRedis, itRedis, redisSkip } from "./redis_server.ts";
import {
  redisCli,
  startRedisCluster,
  startRedisSentinel,
  startRigs,
  type TestRedisCluster,
  type TestRedisSentinel,
} from "../../../scripts/redis_topologies.ts";

/** A topology under test: a client to it and connections of their own. */
interface Rig {
  commands: RedisCommands;
  openConnection(): Promise<RedisConnection>;
}

interface Closable {
  connect(): Promise<unknown>;
  destroy(): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
}

let cluster: TestRedisCluster | undefined;
let sentinel: TestRedisSentinel | undefined;
const clients: Closable[] = [];
const rigs: { cluster?: Rig; sentinel?: Rig } = {};

/** Connects `client` (closed in `after`). */
async function connected<T extends Closable>(client: T): Promise<T> {
  client.on("error", () => {});
  await client.connect();
  clients.push(client);
  return client;
}

function newCluster() {
  return createCluster({ rootNodes: cluster!.rootNodes });
}

function newSentinel() {
  return createSentinel({ name: sentinel!.name, sentinelRootNodes: sentinel!.sentinelRootNodes });
}

before(async () => {
  if (redisSkip !== false) return;
  [cluster, sentinel] = await startRigs(startRedisCluster, startRedisSentinel);
  const onCluster = await connected(newCluster());
  rigs.cluster = {
    commands: { sendCommand: (args) => onCluster.sendCommand(firstKeyOf(args), false, args) },
    async openConnection() {
      const own = await connected(newCluster());
      return {
        sendCommand: (args) => own.sendCommand(firstKeyOf(args), false, args),
        close: () => Promise.resolve(void own.destroy()),
      };
    },
  };
  const onSentinel = await connected(newSentinel());
  rigs.sentinel = {
    commands: { sendCommand: (args) => onSentinel.sendCommand(false, args) },
    async openConnection() {
      const own = await connected(newSentinel());
      return {
        sendCommand: (args) => own.sendCommand(false, args),
        close: () => own.destroy().catch(() => {}),
      };
    },
  };
});
after(async () => {
  for (const client of clients) {
    try {
      await client.destroy();
    } catch { /* closed */ }
  }
  await Promise.all([cluster?.stop(), sentinel?.stop()]);
});

let n = 0;
for (const topology of ["cluster", "sentinel"] as const) {
  const rig = () => rigs[topology]!;
  describeRedis(`Redis contracts on ${topology}`, () => {
    describeSessionStore(
      `RedisSessionStore (${topology})`,
      () => new RedisSessionStore(rig().commands, { prefix: `t${++n}:` }),
      { getAndTouch: true },
    );
    describeEventLog(
      `RedisEventLog (${topology})`,
      () =>
        new RedisEventLog(rig().commands, {
          prefix: `t${++n}:`,
          openConnection: () => rig().openConnection(),
        }),
      {
        tailing: true,
        appendMany: true,
        bounded: (bounds) => new RedisEventLog(rig().commands, { prefix: `t${++n}:`, ...bounds }),
      },
    );
    describeTaskStore(
      `RedisTaskStore (${topology})`,
      (now, bounds) => new RedisTaskStore(rig().commands, { prefix: `t${++n}:`, now, ...bounds }),
    );
    let made: RedisBus[] = [];
    describeMessageBus(`RedisBus (${topology})`, {
      connected(count) {
        const prefix = `bus${++n}:`;
        made = Array.from(
          { length: count },
          () =>
            new RedisBus(rig().commands, () => rig().openConnection(), { prefix, blockMs: 200 }),
        );
        return made;
      },
      async cleanup() {
        await Promise.all(made.map((bus) => bus.close()));
      },
      use: (bus, sessionId) => (bus as RedisBus).hold(sessionId, 60_000),
      addressed: true,
    });
  });
}

describeRedis("Redis Cluster key layout", () => {
  itRedis(
    "every key of a session is in one slot, and sessions spread over every master",
    async () => {
      const prefix = "layout:";
      const backend = await createRedisBackend({ cluster: { rootNodes: cluster!.rootNodes } }, {
        prefix,
      });
      const ids = Array.from({ length: 30 }, (_, i) => `session-${i}`);
      try {
        const now = Date.now();
        for (const id of ids) {
          assert.equal(
            await backend.sessionStore.create(
              {
                id,
                ownerKey: "anonymous",
                protocolVersion: "2025-06-18",
                clientCapabilities: {},
                createdAt: now,
                expiresAt: now + 60_000,
              },
              1_000,
              now,
            ),
            true,
          );
          await backend.sessionStore.writeState(id, "k", 1, 10_000);
          await backend.sessionStore.writeState(id, AWAITED_REPLIES_KEY, { r: 1 }, 10_000);
          await backend.eventLog.open(id, "s1", { requestIds: [1] });
          await backend.eventLog.append(id, "s1", "event");
          await backend.eventLog.open(id, "s2");
          await backend.eventLog.complete(id, "s2");
        }
        // Every key under the prefix, from every master, with its slot and its master.
        const slotOf = async (key: string) =>
          Number(await rigs.cluster!.commands.sendCommand(["CLUSTER", "KEYSLOT", key]));
        const slotsBySession = new Map<string, Set<number>>();
        const mastersBySession = new Map<string, number>();
        let keysSeen = 0;
        for (const node of cluster!.nodes) {
          const role = await redisCli(["-p", String(node.port), "ROLE"]);
          if (!role.startsWith("master")) continue;
          const keys =
            (await redisCli(["-p", String(node.port), "--scan", "--pattern", `${prefix}*`]))
              .split("\n").filter((key) => key !== "");
          for (const key of keys) {
            const tag = /\{([^}]*)\}/.exec(key)?.[1];
            if (tag === undefined || !ids.includes(tag)) continue;
            keysSeen++;
            const slot = await slotOf(key);
            slotsBySession.set(tag, (slotsBySession.get(tag) ?? new Set()).add(slot));
            mastersBySession.set(tag, node.port);
          }
        }
        assert.equal(slotsBySession.size, ids.length, "every session's keys were found");
        assert.ok(
          keysSeen >= ids.length * 7,
          `record, meta, state and the log's keys (${keysSeen})`,
        );
        for (const [id, slots] of slotsBySession) {
          assert.equal(slots.size, 1, `${id}: keys in slots ${[...slots].join(", ")}`);
        }
        assert.equal(new Set(mastersBySession.values()).size, 3, "sessions on all three masters");
        // Positive control: two sessions' keys are in different slots.
        assert.notEqual(
          await slotOf(`${prefix}s:{session-0}`),
          await slotOf(`${prefix}s:{session-1}`),
        );
      } finally {
        for (const id of ids) {
          await backend.eventLog.deleteSession(id);
          await backend.sessionStore.delete(id);
        }
        await backend.close();
      }
    },
  );
});
