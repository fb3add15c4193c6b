/**
 * The Redis a scale-out run serves its instances from: one redis-server, or a local Redis Cluster
 * (scripts/redis_topologies.ts), with the bench's own connection, a MONITOR counter and the
 * `INFO commandstats` counts (every master of a Cluster summed).
 * @module
 */

import { createClient } from "redis";
import { type CommandCounts, parseCommandstats, sumCounts } from "../lib/commandstats.ts";
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
  /** What Redis has run so far (`INFO commandstats`; a Cluster's masters summed). */
  commandstats(): Promise<CommandCounts>;
  stop(): Promise<void>;
}

/** The bench's own connection to one node, as far as it drives it. */
interface Client {
  sendCommand(args: string[]): Promise<unknown>;
  destroy(): void;
}

async function connect(url: string): Promise<Client> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  return client as unknown as Client;
}

const commandstatsOf = async (client: Client) =>
  parseCommandstats(String(await client.sendCommand(["INFO", "commandstats"])));

export async function startRedis(): Promise<Redis> {
  const node = await spawnRedisNode((port) => redisNodeArgs(port));
  const url = `redis://127.0.0.1:${node.port}`;
  const client = await connect(url);
  return {
    url,
    pids: [node.pid],
    serverArgs: ["--redis", url],
    cluster: false,
    command: (args) => client.sendCommand(args),
    commandstats: () => commandstatsOf(client),
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
  // Every node's own connection: the masters' counts are the cluster's (a replica's repeat them).
  const clients = await Promise.all(
    cluster.nodes.map((node) => connect(`redis://127.0.0.1:${node.port}`)),
  );
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
    async commandstats() {
      const readings = await Promise.all(clients.map(async (client) => {
        const role = String(await client.sendCommand(["INFO", "replication"]));
        return role.includes("role:master") ? await commandstatsOf(client) : undefined;
      }));
      return sumCounts(readings.filter((r): r is CommandCounts => r !== undefined));
    },
    async stop() {
      for (const client of clients) client.destroy();
      await cluster.stop();
    },
  };
}
