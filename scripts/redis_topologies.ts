/**
 * Real Redis servers for the tests and the benchmarks, never mocks: one
 * node (`startRedisNode`, redis-server or a compatible `binary` such as
 * valkey-server), a local Redis Cluster (3 masters + 3 replicas, made by
 * `redis-cli --cluster create`) and a Sentinel rig (1 master, 1 replica, 3
 * `redis-server --sentinel`), each on free loopback ports, without
 * persistence, in a temp dir removed on stop. Every wait has a deadline.
 * Imported by tests/e2e/redis/ and bench/; no failover is driven here beyond
 * killing a process (the tests do that).
 * @module
 */

import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One redis-server process of a rig. */
export interface RigNode {
  readonly port: number;
  /** The process id (CPU accounting in the benchmarks). */
  readonly pid: number;
  /** SIGKILLs the process (no goodbye to its clients); resolves once it exited. */
  kill(): Promise<void>;
  /** SIGSTOPs (true) or SIGCONTs (false) the process: it stays connected and answers nothing. */
  pause(paused: boolean): void;
}

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

/** Resolves after `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct ports free on 127.0.0.1, each with `port + 10000` free too
 * (a Cluster node's bus port), below the ephemeral range.
 */
export async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > 500) throw new Error("no free port pairs (port, port + 10000) on 127.0.0.1");
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (ports.includes(port)) continue;
    if (await portFree(port) && await portFree(port + 10_000)) ports.push(port);
  }
  return ports;
}

/** Runs `redis-cli` with `args` (deadline `timeoutMs`); its stdout. */
export function redisCli(args: string[], timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("redis-cli", args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(" ")}: ${error.message} ${stderr}`));
      else resolve(String(stdout));
    });
  });
}

/** Polls `check` every 100 ms until it is true; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    }
    await sleep(100);
  }
}

/**
 * Spawns a redis-server (or `binary`, which takes the same flags) with
 * `args` and waits until it answers PING on `port` (deadline 10 s).
 *
 * @example
 * ```ts
 * const node = await startRedisNode(6390, redisNodeArgs(6390));
 * await node.kill();
 * ```
 */
export async function startRedisNode(
  port: number,
  args: string[],
  binary = "redis-server",
): Promise<RigNode> {
  const child: ChildProcess = spawn(binary, args, { stdio: "ignore" });
  const node: RigNode = {
    port,
    pid: child.pid ?? 0,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
    // kill(1), not child.kill: Deno's child.kill does not send SIGCONT, so a paused node stayed paused.
    pause: (paused) =>
      void execFileSync("kill", ["-s", paused ? "STOP" : "CONT", String(child.pid)]),
  };
  try {
    await waitFor(
      `${binary} on ${port}`,
      10_000,
      async () => (await redisCli(["-p", String(port), "PING"], 2_000)).trim() === "PONG",
    );
  } catch (error) {
    await node.kill();
    throw error;
  }
  return node;
}

/**
 * The flags of every data node: `port` on loopback, no persistence (and its
 * files in `dir` when given).
 *
 * @example
 * ```ts
 * redisNodeArgs(6390); // ["--port", "6390", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
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
    const ports = await freeClusterPorts(6);
    for (const port of ports) {
      nodes.push(
        await startRedisNode(port, [
          ...redisNodeArgs(port, dir),
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout",
          "2000",
        ]),
      );
    }
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
 * `name` (quorum 2, down after 1 s, failover timeout 5 s), on free loopback
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
    const [masterPort, replicaPort, ...sentinelPorts] = await freeClusterPorts(5);
    const master = await startRedisNode(masterPort, redisNodeArgs(masterPort, dir));
    started.push(master);
    const replica = await startRedisNode(replicaPort, [
      ...redisNodeArgs(replicaPort, dir),
      "--replicaof",
      HOST,
      String(masterPort),
    ]);
    started.push(replica);
    // A Sentinel finds replicas through the master's INFO, read at once on start: link them first.
    await waitFor("the replica to sync", 15_000, async () => {
      const info = await redisCli(["-p", String(replicaPort), "INFO", "replication"], 2_000);
      return info.includes("master_link_status:up");
    });
    const sentinels: RigNode[] = [];
    for (const port of sentinelPorts) {
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
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          "",
        ].join("\n"),
      );
      const node = await startRedisNode(port, [config, "--sentinel"]);
      started.push(node);
      sentinels.push(node);
    }
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
      sentinels,
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
