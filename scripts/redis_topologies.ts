/**
 * Real Redis topologies for the tests, never mocks: a local Redis Cluster
 * (3 masters + 3 replicas, made by `redis-cli --cluster create`) and a
 * Sentinel rig (1 master, 1 replica, 3 `redis-server --sentinel`), each on
 * free loopback ports, without persistence, in a temp dir removed on stop.
 * Every wait has a deadline. Not a test file itself; no failover is driven
 * here beyond killing a process (the tests do that).
 * @module
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  allStarted,
  redisCli,
  type RigNode,
  spawnRedisNode,
  startRigs,
  waitFor,
} from "./rig_processes.ts";

export { redisCli, type RigNode, spawnRedisNode, startRigs };

/** A running Redis Cluster: 3 masters, each with 1 replica. */
export interface TestRedisCluster {
  /** Every node, `host:port`-addressable on 127.0.0.1. */
  readonly nodes: readonly RigNode[];
  /** Cluster root nodes as node-redis's `createCluster({ rootNodes })` takes them. */
  readonly rootNodes: { url: string }[];
  /** A node's URL, as an operator might wrongly pass it to `{ url }`. */
  readonly url: string;
  /** Kills every node and removes the temp dir. */
  stop(): Promise<void>;
}

/** A running Sentinel rig: master, replica, three Sentinels watching `name`. */
export interface TestRedisSentinel {
  /** The master's name the Sentinels monitor. */
  readonly name: string;
  readonly master: RigNode;
  readonly replica: RigNode;
  readonly sentinels: readonly RigNode[];
  /** Sentinel addresses as node-redis's `createSentinel({ sentinelRootNodes })` takes them. */
  readonly sentinelRootNodes: { host: string; port: number }[];
  /** The port of the master as the first Sentinel that answers reports it. */
  masterPort(): Promise<number>;
  /** Waits until the Sentinels report a master on another port than `port` (a failover; deadline `timeoutMs`). */
  waitForNewMaster(port: number, timeoutMs?: number): Promise<number>;
  /** Kills every process and removes the temp dir. */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
/** How long a Cluster node may not answer before it is failing (and its replica promoted). */
const CLUSTER_NODE_TIMEOUT_MS = 1_000;
/** How long a Sentinel waits on a silent master before it counts it down. */
const DOWN_AFTER_MS = 1_000;
/** Sentinel's failover timeout (also how long an election that found no leader waits, twice). */
const FAILOVER_TIMEOUT_MS = 3_000;

/** `field` of an `INFO` reply as a number (NaN when absent). */
function infoNumber(info: string, field: string): number {
  return Number(new RegExp(`^${field}:(\\d+)`, "m").exec(info)?.[1] ?? Number.NaN);
}

/**
 * Waits until each master among `ports` has a replica online and every
 * replica of it has applied all that master had taken when this was called
 * (deadline `timeoutMs` each): a failover after it loses nothing
 * acknowledged before it.
 */
export async function waitForReplicas(ports: readonly number[], timeoutMs = 10_000) {
  for (const port of ports) {
    let info = "";
    await waitFor(`a replica of ${port} online`, timeoutMs, async () => {
      info = await redisCli(["-p", String(port), "INFO", "replication"], 2_000);
      return !/^role:master/m.test(info) || /^slave\d+:.*state=online/m.test(info);
    });
    if (!/^role:master/m.test(info)) continue;
    const offset = infoNumber(info, "master_repl_offset");
    const replicas = [...info.matchAll(/^slave\d+:ip=[^,]+,port=(\d+),/gm)].map((m) => m[1]);
    for (const replica of replicas) {
      await waitFor(`the replica on ${replica} to catch up`, timeoutMs, async () => {
        const own = await redisCli(["-p", replica, "INFO", "replication"], 2_000);
        return infoNumber(own, "slave_repl_offset") >= offset;
      });
    }
  }
}

/**
 * The flags of every data node: `port` on loopback, no persistence (its
 * files in `dir` when given).
 *
 * @example
 * ```ts
 * const node = await spawnRedisNode((port) => redisNodeArgs(port));
 * await node.kill();
 * ```
 */
export function redisNodeArgs(port: number, dir?: string): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    HOST,
    "--save",
    "",
    "--appendonly",
    "no",
    ...(dir === undefined ? [] : ["--dir", dir]),
  ];
}

/** A rig's data node: {@linkcode redisNodeArgs}, and a replica's first sync at once (not after 5 s). */
function rigNodeArgs(port: number, dir: string): string[] {
  return [...redisNodeArgs(port, dir), "--repl-diskless-sync-delay", "0"];
}

/**
 * Starts a Redis Cluster of 3 masters and 3 replicas on free loopback ports
 * (bus on port + 10000) and waits until every node reports `cluster_state:ok`
 * (deadline 30 s). Stop it in `after()`.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster();
 * try {
 *   // createCluster({ rootNodes: cluster.rootNodes }) ...
 * } finally {
 *   await cluster.stop();
 * }
 * ```
 */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), "tether-cluster-"));
  const nodes: RigNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await allStarted(
      Array.from({ length: 6 }, () =>
        spawnRedisNode((port) => [
          ...rigNodeArgs(port, dir),
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout",
          String(CLUSTER_NODE_TIMEOUT_MS),
        ])),
      nodes,
    );
    const ports = nodes.map((node) => node.port);
    await redisCli(
      [
        "--cluster",
        "create",
        ...ports.map((port) => `${HOST}:${port}`),
        "--cluster-replicas",
        "1",
        "--cluster-yes",
      ],
      30_000,
    );
    await waitFor("the cluster to converge", 30_000, async () => {
      for (const port of ports) {
        const info = await redisCli(["-p", String(port), "CLUSTER", "INFO"], 2_000);
        if (!info.includes("cluster_state:ok") || !info.includes("cluster_known_nodes:6")) {
          return false;
        }
      }
      return true;
    });
    return {
      nodes,
      rootNodes: ports.slice(0, 3).map((port) => ({ url: `redis://${HOST}:${port}` })),
      url: `redis://${HOST}:${ports[0]}`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Starts a master, a replica of it and three Sentinels monitoring it as
 * `name` (quorum 2, down after 1 s, failover timeout 3 s), on free loopback
 * ports, and waits until every Sentinel knows the master, the replica and
 * the two other Sentinels (deadline 30 s). Stop it in `after()`.
 *
 * @example
 * ```ts
 * const rig = await startRedisSentinel();
 * try {
 *   // createSentinel({ name: rig.name, sentinelRootNodes: rig.sentinelRootNodes }) ...
 * } finally {
 *   await rig.stop();
 * }
 * ```
 */
export async function startRedisSentinel(name = "tether-master"): Promise<TestRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), "tether-sentinel-"));
  const started: RigNode[] = [];
  const stop = async () => {
    await Promise.all(started.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Master and replica at once; the replica follows the master once both run.
    await allStarted([
      spawnRedisNode((port) => rigNodeArgs(port, dir)),
      spawnRedisNode((port) => rigNodeArgs(port, dir)),
    ], started);
    const [master, replica] = started;
    const masterPort = master.port;
    const replicaPort = replica.port;
    await redisCli(["-p", String(replicaPort), "REPLICAOF", HOST, String(masterPort)]);
    // A Sentinel finds replicas through the master's INFO, read at once on start: link them first.
    await waitFor("the replica to sync", 15_000, async () => {
      const info = await redisCli(["-p", String(replicaPort), "INFO", "replication"], 2_000);
      return info.includes("master_link_status:up");
    });
    await allStarted(
      [0, 1, 2].map(() =>
        spawnRedisNode((port) => {
          const config = join(dir, `sentinel-${port}.conf`);
          // Sentinel rewrites its config file: one writable file each.
          writeFileSync(
            config,
            [
              `port ${port}`,
              `bind ${HOST}`,
              "protected-mode no",
              `dir ${dir}`,
              `sentinel monitor ${name} ${HOST} ${masterPort} 2`,
              `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
              `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
              "",
            ].join("\n"),
          );
          return [config, "--sentinel"];
        })
      ),
      started,
    );
    const sentinelPorts = started.slice(2).map((node) => node.port);
    await waitFor("the Sentinels to know each other and the replica", 30_000, async () => {
      for (const port of sentinelPorts) {
        const p = String(port);
        const replicas = await redisCli(["-p", p, "SENTINEL", "REPLICAS", name], 2_000);
        const peers = await redisCli(["-p", p, "SENTINEL", "SENTINELS", name], 2_000);
        const count = (text: string) => text.split("\n").filter((line) => line === "runid").length;
        if (!replicas.includes(String(replicaPort)) || count(peers) < 2) return false;
      }
      return true;
    });
    const currentMaster = async () => {
      let last: unknown;
      for (const port of sentinelPorts) {
        try {
          const reply = await redisCli(
            ["-p", String(port), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name],
            2_000,
          );
          const found = Number(reply.trim().split("\n")[1]);
          if (found > 0) return found;
        } catch (error) {
          last = error;
        }
      }
      throw new Error(`no Sentinel reports the master: ${String(last)}`);
    };
    return {
      name,
      master,
      replica,
      sentinels: started.slice(2),
      sentinelRootNodes: sentinelPorts.map((port) => ({ host: HOST, port })),
      masterPort: currentMaster,
      async waitForNewMaster(port, timeoutMs = 30_000) {
        let found = port;
        await waitFor(
          "a failover",
          timeoutMs,
          async () => (found = await currentMaster()) !== port,
        );
        return found;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
