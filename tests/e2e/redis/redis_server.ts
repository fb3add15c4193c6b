/**
 * A real `redis-server` (Debian's package) on a free loopback port for the
 * tests that need Redis, never a mock: started per test file, with no
 * persistence, and stopped at the end. Not a test file itself.
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createClient } from "redis";
import type {
  RedisCommands,
  RedisConnection,
} from "../../../src/redis/connection/redis_commands.ts";
import type { RedisSource } from "../../../src/redis/connection/redis_sources.ts";
import {
  redisNodeArgs,
  type RigNode,
  spawnRedisNode,
  startRedisCluster,
  startRedisSentinel,
} from "../../../scripts/redis_topologies.ts";

/**
 * Why the Redis suites cannot run here, or false. Without `redis-server` on
 * the PATH they are skipped with a loud warning on a developer's machine;
 * in CI (`CI` set) a missing `redis-server` fails instead (.ci/run installs it).
 */
export const redisSkip: string | false = (() => {
  const probe = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  if (probe.error === undefined && probe.status === 0) return false;
  const reason = "redis-server is not installed (Debian: apt-get install redis-server)";
  if (process.env.CI) throw new Error(`${reason}: the Redis suites cannot run in CI`);
  console.warn(`\n*** SKIPPING the Redis suites: ${reason} ***\n`);
  return reason;
})();

/** `describe`, skipped (loudly) where redis-server is missing. */
export function describeRedis(name: string, body: () => void): void {
  describe(name, { skip: redisSkip }, body);
}

/** `it`, skipped (loudly) where redis-server is missing. */
export function itRedis(name: string, body: () => Promise<void> | void): void {
  it(name, { skip: redisSkip }, body);
}

/** The client surface the tests use. */
export type TestClient = RedisCommands & { quit(): Promise<unknown> };

/** A running Redis and a connected client. */
export interface TestRedis {
  url: string;
  client: TestClient;
  /** A connection of its own (for blocking reads), as createRedisBackend opens them. */
  openConnection(): Promise<RedisConnection>;
  /** Stops the client and the server. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server (or `binary`, e.g. `valkey-server`, which takes the
 * same flags) on a free port and connects a client (deadline 10 s).
 */
export async function startRedis(
  { binary = "redis-server" }: { binary?: string } = {},
): Promise<TestRedis> {
  const { node, dir } = await spawnInOwnDirectory(
    (port, path) => [...redisNodeArgs(port, path), "--protected-mode", "yes"],
    binary,
  );
  const url = `redis://127.0.0.1:${node.port}`;
  let client: TestClient;
  try {
    const candidate = createClient({ url, socket: { reconnectStrategy: false } });
    candidate.on("error", () => {});
    await candidate.connect();
    client = candidate as unknown as TestClient;
  } catch (error) {
    await node.kill();
    dir.remove();
    throw error;
  }
  return {
    url,
    client,
    async openConnection() {
      // No reconnecting: a connect while the server is down fails at once (the bus retries), as
      // createRedisBackend's opener gives up after its connect timeout.
      const own = createClient({ url, socket: { reconnectStrategy: false } });
      own.on("error", () => {});
      await own.connect();
      return {
        sendCommand: (args) => own.sendCommand(args),
        close: () => {
          try {
            own.destroy();
          } catch { /* closed already */ }
          return Promise.resolve();
        },
      };
    },
    async stop() {
      try {
        await client!.quit();
      } catch { /* already closed */ }
      await node.kill();
      dir.remove();
    },
  };
}

/** A redis-server the test can kill and start again on the same port (no persistence). */
export interface RestartableRedis {
  url: string;
  /** SIGKILLs the server (an instance loss: no goodbye to its clients). */
  kill(): Promise<void>;
  /** Starts the server again on the same port (deadline 10 s). */
  restart(): Promise<void>;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** Starts a redis-server on a free port that {@linkcode RestartableRedis.kill} can kill and `restart` bring back. */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  const spawned = await spawnInOwnDirectory((port, path) => redisNodeArgs(port, path));
  const dir = spawned.dir;
  let node = spawned.node;
  const url = `redis://127.0.0.1:${node.port}`;
  return {
    url,
    kill: () => node.kill(),
    async restart() {
      await node.kill();
      node = await spawnRedisNode((port) => redisNodeArgs(port, dir.path), node.port);
    },
    async stop() {
      await node.kill();
      dir.remove();
    },
  };
}

/** A node's own working directory, removed with it. */
interface NodeDirectory {
  path: string;
  remove(): void;
}

/**
 * Spawns a node (`argsFor` its port and directory) in a working directory
 * of its own: a node made a replica (`REPLICAOF`) writes the master's
 * snapshot there (`dump.rdb`), never into the directory the tests run in.
 * The directory is removed when the node does not start.
 */
async function spawnInOwnDirectory(
  argsFor: (port: number, path: string) => string[],
  binary?: string,
): Promise<{ node: RigNode; dir: NodeDirectory }> {
  const path = mkdtempSync(join(tmpdir(), "tether-redis-"));
  const dir = { path, remove: () => rmSync(path, { recursive: true, force: true }) };
  try {
    return { node: await spawnRedisNode((port) => argsFor(port, path), undefined, binary), dir };
  } catch (error) {
    dir.remove();
    throw error;
  }
}

/** A Redis topology beyond one node that the cross-instance tests also run on. */
export type RigTopology = "a Redis Cluster" | "Sentinel";

/**
 * Starts a real Redis Cluster (3 masters + 3 replicas) or Sentinel rig and
 * names it as createRedisBackend takes it; `stop` ends every process.
 */
export async function startTopology(
  topology: RigTopology,
): Promise<{ source: RedisSource; stop(): Promise<void> }> {
  if (topology === "a Redis Cluster") {
    const cluster = await startRedisCluster();
    return { source: { cluster: { rootNodes: cluster.rootNodes } }, stop: () => cluster.stop() };
  }
  const sentinel = await startRedisSentinel();
  return {
    source: { sentinel: { name: sentinel.name, sentinels: sentinel.sentinelRootNodes } },
    stop: () => sentinel.stop(),
  };
}
