/**
 * The Redis a scale-out run serves its instances from: one redis-server, or a local Redis Cluster
 * (scripts/redis_topologies.ts), with the bench's own connection and a MONITOR counter.
 * @module
 */

import { createClient } from "redis";
import {
  redisNodeArgs,
  spawnRedisNode,
  startRedisCluster,
} from "../../scripts/redis_topologies.ts";

export interface Redis {
  url: string;
  /** The processes that serve it (CPU accounting): the node, or every node of the Cluster. */
  pids: number[];
  /** The flags that point bench/servers/tether_redis.ts at it. */
  serverArgs: string[];
  /** True for a Cluster: only the throughput and latency rows are measured on it. */
  cluster: boolean;
  /** Sends one command on the bench's own connection. */
  command(args: string[]): Promise<unknown>;
  /** Counts the commands Redis runs from now: sent by clients, and run inside scripts. */
  monitor(): Promise<{
    take(): { clients: number; scripted: number; ms: number };
    stop(): Promise<void>;
  }>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  const node = await spawnRedisNode((port) => redisNodeArgs(port));
  const url = `redis://127.0.0.1:${node.port}`;
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  return {
    url,
    pids: [node.pid],
    serverArgs: ["--redis", url],
    cluster: false,
    command: (args) => client.sendCommand(args),
    async monitor() {
      const watcher = createClient({ url });
      watcher.on("error", () => {});
      await watcher.connect();
      let clients = 0;
      let scripted = 0;
      let since = performance.now();
      await watcher.monitor((line: string) => {
        if (line.includes(" [0 lua] ")) scripted++;
        else clients++;
      });
      return {
        take() {
          const now = performance.now();
          const counts = { clients, scripted, ms: now - since };
          clients = 0;
          scripted = 0;
          since = now;
          return counts;
        },
        stop: async () => {
          watcher.destroy();
          await Promise.resolve();
        },
      };
    },
    async stop() {
      client.destroy();
      await node.kill();
    },
  };
}

/** A local Redis Cluster (3 masters + 3 replicas): served to the instances by its root nodes. */
export async function startCluster(): Promise<Redis> {
  const cluster = await startRedisCluster();
  const refuse = () => {
    throw new Error("not measured on a Cluster (MONITOR and INFO are per node)");
  };
  return {
    url: cluster.url,
    pids: cluster.nodes.map((node) => node.pid),
    serverArgs: [
      "--cluster",
      cluster.rootNodes.map((node) => node.url.replace("redis://", "")).join(","),
    ],
    cluster: true,
    command: refuse,
    monitor: refuse,
    stop: () => cluster.stop(),
  };
}
