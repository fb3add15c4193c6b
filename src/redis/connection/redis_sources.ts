/**
 * The three Redis topologies `createRedisBackend` runs on, as one raw-command
 * surface: a single node (`{ url }` or a `createClient()` client), a Redis
 * Cluster (`{ cluster: { rootNodes } }` or a `createCluster()` client: each
 * command routed by its first key, so a script's keys must share one slot)
 * and Sentinel (`{ sentinel: { name, sentinels } }` or a `createSentinel()`
 * client: commands go to the master Sentinel names, re-resolved on failover).
 * Connecting only; the checks of what was passed live in source_checks.ts.
 * @module
 */

import { createClient, createCluster, createSentinel, SocketTimeoutError } from "redis";
import type { RedisCommands } from "./redis_commands.ts";
import { slotOf } from "./cluster_slot.ts";
import { reconnectWait } from "./reconnect_wait.ts";

/**
 * The parts of a node-redis client the backend drives on connections it opens.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import type { NodeRedisLikeClient } from "@tether/mcp/redis";
 * const client: NodeRedisLikeClient = createClient();
 * ```
 */
export interface NodeRedisLikeClient extends RedisCommands {
  /** Connects; resolves when ready. */
  connect(): Promise<unknown>;
  /** Closes at once; commands in progress reject. */
  destroy(): unknown;
  /** Listens for connection errors (node-redis throws on an `error` event without a listener). */
  on(event: "error", listener: (error: unknown) => void): unknown;
}

/**
 * A client the backend can use as is and open connections from: node-redis's
 * `createClient()` result fits.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import type { DuplicableRedisClient } from "@tether/mcp/redis";
 * const client: DuplicableRedisClient = createClient({ url: "redis://127.0.0.1:6379" });
 * ```
 */
export interface DuplicableRedisClient extends RedisCommands {
  /** A new, unconnected client to the same server with the same options. */
  duplicate(): NodeRedisLikeClient;
}

/** node-redis's cluster client (`createCluster`), as far as the backend drives it. */
interface ClusterClient {
  /** The options it was made with: its nodes' client options are `defaults`. */
  readonly _options?: { defaults?: Record<string, unknown> };
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>;
  /** Each slot's shard (empty until connected). */
  readonly slots: readonly ({ master: { address: string } } | undefined)[];
  readonly masters: readonly { address: string }[];
  duplicate(): ClusterClient;
  connect(): Promise<unknown>;
  destroy(): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
}

/** node-redis's Sentinel client (`createSentinel`), as far as the backend drives it. */
interface SentinelClient {
  sendCommand(isReadonly: boolean, args: string[]): Promise<unknown>;
  duplicate(): SentinelClient;
  connect(): Promise<unknown>;
  destroy(): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
}

/**
 * What `createRedisBackend` connects to: one node, a Cluster, or a master
 * under Sentinel, by address or as a node-redis client of yours (connected).
 *
 * @example
 * ```ts
 * import type { RedisSource } from "@tether/mcp/redis";
 * const one: RedisSource = { url: "redis://127.0.0.1:6379" };
 * const cluster: RedisSource = { cluster: { rootNodes: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"] } };
 * const sentinel: RedisSource = {
 *   sentinel: { name: "mymaster", sentinels: [{ host: "10.0.0.5", port: 26379 }] },
 * };
 * ```
 */
export type RedisSource =
  | { url: string }
  | { client: DuplicableRedisClient }
  | {
    /** Cluster root nodes (a few are enough: the rest are discovered), as URLs. */
    cluster: { rootNodes: readonly (string | { url: string })[] };
  }
  | {
    /** The master's name the Sentinels monitor, and some Sentinels' addresses. */
    sentinel: { name: string; sentinels: readonly { host: string; port: number }[] };
  };

/**
 * Which master of a Cluster a command goes to, as `host:port`: what the
 * outage reports name (outage_watch.ts).
 */
export interface ClusterPlaces {
  /** The master owning `args`' key's slot; undefined for a command that names no key. */
  masterOf(args: readonly string[]): string | undefined;
  /** The masters the client knows now. */
  masters(): readonly string[];
}

/** A client the backend connects, with the Cluster's places when it is a Cluster client. */
export type SourceClient = NodeRedisLikeClient & { places?: ClusterPlaces };

/** The topology of a source, for messages and for the single-node check. */
export type SourceKind = "node" | "cluster" | "sentinel";

/** A source made ready to connect: how to open one connection, and where it goes. */
export interface SourceFactory {
  readonly kind: SourceKind;
  /** Where it points, without secrets, for error messages. */
  readonly where: string;
  /** A new, unconnected client (a whole cluster or Sentinel client for those topologies). */
  fresh(): SourceClient;
  /**
   * A Cluster: a plain client to the master at `address` (`host:port`, as
   * {@linkcode ClusterPlaces} names it), with the options of the Cluster's
   * nodes: a blocking read connects to the one master it reads from, not to
   * every master as a whole cluster client does.
   */
  master?(address: string): SourceClient;
  /** The caller's own connected client, used as the shared one (never closed by the backend). */
  readonly own?: RedisCommands & { places?: ClusterPlaces };
}

/**
 * node-redis's `socket.reconnectStrategy` for the connections the backend opens: waits from
 * {@linkcode reconnectWait}, spread over the upper half of a doubling ceiling (node-redis's own
 * default adds at most 200 ms to a 2 s ceiling, so every client of a failed master comes back
 * within a tenth of its wait of the others). As node-redis's default, a socket timeout ends it.
 *
 * @example
 * ```ts
 * import { jitteredReconnect } from "./redis_sources.ts";
 * const wait = jitteredReconnect(3, new Error("connect ECONNREFUSED"));
 * typeof wait === "number" && wait >= 200 && wait <= 400; // true
 * ```
 */
export function jitteredReconnect(retries: number, cause: unknown): number | false {
  return cause instanceof SocketTimeoutError ? false : reconnectWait(retries);
}

// Without the offline queue a command fails at once while Redis is away (503), never waits.
// node-redis's default 5 s command timeout only bounds the wait to be *written* (which, offline
// queue off, never lasts), at the cost of a timer signal per command: off. The wait for the reply
// is bounded by `commandTimeoutMs` (command_deadline.ts). Reconnects are jittered.
/**
 * The options of every node-redis client the backend opens (the nodes of a Cluster or Sentinel
 * too), fresh each time: node-redis writes a URL's host and port into the `socket` object it is
 * given, so no two clients may share one.
 *
 * @example
 * ```ts
 * import { nodeOptions } from "./redis_sources.ts";
 * nodeOptions().socket.reconnectStrategy(0, new Error("ECONNREFUSED")); // 25 to 50 (ms)
 * ```
 */
export function nodeOptions() {
  return {
    disableOfflineQueue: true,
    commandOptions: { timeout: 0 },
    socket: { reconnectStrategy: jitteredReconnect },
  };
}

/**
 * How to connect to `source` (checked beforehand by `checkTarget`).
 *
 * @example
 * ```ts
 * import { sourceFactory } from "./redis_sources.ts";
 * sourceFactory({ url: "redis://127.0.0.1:6379" }).kind; // "node"
 * ```
 */
export function sourceFactory(source: RedisSource): SourceFactory {
  if ("url" in source) {
    const url = source.url;
    return {
      kind: "node",
      where: redact(url),
      fresh: () => createClient({ url, ...nodeOptions() }) as unknown as NodeRedisLikeClient,
    };
  }
  if ("cluster" in source) {
    const rootNodes = source.cluster.rootNodes.map((node) =>
      typeof node === "string" ? { url: node } : { url: node.url }
    );
    return {
      kind: "cluster",
      where: `the Cluster at ${rootNodes.map((node) => redact(node.url)).join(", ")}`,
      fresh: () =>
        clusterCommands(
          createCluster({ rootNodes, defaults: nodeOptions() }) as unknown as ClusterClient,
        ),
      master: (address) => masterClient({}, address),
    };
  }
  if ("sentinel" in source) {
    const { name, sentinels } = source.sentinel;
    return {
      kind: "sentinel",
      where: `the master "${name}" of the Sentinels at ${
        sentinels.map((node) => `${node.host}:${node.port}`).join(", ")
      }`,
      fresh: () =>
        sentinelCommands(
          createSentinel({
            name,
            sentinelRootNodes: sentinels.map(({ host, port }) => ({ host, port })),
            nodeClientOptions: nodeOptions(),
          }) as unknown as SentinelClient,
        ),
    };
  }
  const client = source.client as unknown as Record<string, unknown>;
  if (isSentinelClient(client)) {
    const sentinel = client as unknown as SentinelClient;
    return {
      kind: "sentinel",
      where: "the client's Sentinel master",
      fresh: () => sentinelCommands(sentinel.duplicate()),
      own: { sendCommand: (args) => sentinel.sendCommand(false, args) },
    };
  }
  if (isClusterClient(client)) {
    const cluster = client as unknown as ClusterClient;
    return {
      kind: "cluster",
      where: "the client's Cluster",
      fresh: () => clusterCommands(cluster.duplicate()),
      master: (address) => masterClient(cluster._options?.defaults ?? {}, address),
      own: { sendCommand: (args) => clusterSend(cluster, args), places: placesOf(cluster) },
    };
  }
  const plain = source.client;
  return { kind: "node", where: "the client's server", fresh: () => plain.duplicate(), own: plain };
}

/** node-redis's Sentinel client: it alone has `getMasterNode`. */
export function isSentinelClient(client: Record<string, unknown>): boolean {
  return typeof client.getMasterNode === "function";
}

/** node-redis's cluster client: it alone has `masters` and `slots`. */
export function isClusterClient(client: Record<string, unknown>): boolean {
  return "masters" in client && "slots" in client;
}

/**
 * A plain client to one Cluster master (`host:port`; an IPv6 host keeps its
 * colons), with a Cluster's node options `defaults` (credentials, TLS) under
 * the backend's own ({@linkcode nodeOptions}).
 */
function masterClient(defaults: Record<string, unknown>, address: string): SourceClient {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(colon + 1));
  const own = nodeOptions();
  const socket = { ...(defaults.socket as Record<string, unknown> | undefined), ...own.socket };
  return createClient({
    ...defaults,
    ...own,
    socket: { ...socket, host, port },
  }) as unknown as SourceClient;
}

/** A cluster client as a raw-command client: each command goes to its first key's master. */
function clusterCommands(cluster: ClusterClient): SourceClient {
  return {
    connect: () => cluster.connect(),
    destroy: () => cluster.destroy(),
    on: (event, listener) => cluster.on(event, listener),
    sendCommand: (args) => clusterSend(cluster, args),
    places: placesOf(cluster),
  };
}

/** Where `cluster` sends each command, as {@linkcode clusterSend} routes it. */
function placesOf(cluster: ClusterClient): ClusterPlaces {
  return {
    masterOf: (args) => {
      const key = args[0] === "WAIT" && args.length === 4 ? args[3] : firstKeyOf(args);
      return key === undefined ? undefined : cluster.slots[slotOf(key)]?.master.address;
    },
    masters: () => cluster.masters.map((master) => master.address),
  };
}

/**
 * Sends `args` to its first key's master. `["WAIT", n, ms, key]` (the
 * backend's form) is `WAIT n ms` sent to `key`'s master, the one that took
 * the write it waits for.
 */
function clusterSend(cluster: ClusterClient, args: string[]): Promise<unknown> {
  if (args[0] === "WAIT" && args.length === 4) {
    return cluster.sendCommand(args[3], false, args.slice(0, 3));
  }
  return cluster.sendCommand(firstKeyOf(args), false, args);
}

/** A Sentinel client as a raw-command client: every command goes to the current master. */
function sentinelCommands(sentinel: SentinelClient): NodeRedisLikeClient {
  return {
    connect: () => sentinel.connect(),
    destroy: () => sentinel.destroy(),
    on: (event, listener) => sentinel.on(event, listener),
    sendCommand: (args) => sentinel.sendCommand(false, args),
  };
}

/** Commands the backend sends that name no key (a Cluster runs them on any master). */
const KEYLESS = new Set(["INFO", "TIME", "PING", "SCRIPT", "CLIENT", "WAIT", "CLUSTER", "ROLE"]);

/**
 * The key a command is routed by on a Cluster: a script's first declared
 * key, an `XREAD`'s first stream, else the first argument; none for the
 * commands that name no key.
 *
 * @example
 * ```ts
 * import { firstKeyOf } from "./redis_sources.ts";
 * firstKeyOf(["EVALSHA", "abc", "1", "s:{id}", "x"]); // "s:{id}"
 * ```
 */
export function firstKeyOf(args: readonly string[]): string | undefined {
  const command = args[0].toUpperCase();
  if (command === "EVAL" || command === "EVALSHA") {
    return Number(args[2]) > 0 ? args[3] : undefined;
  }
  if (command === "XREAD" || command === "XREADGROUP") {
    const at = args.findIndex((arg) => arg.toUpperCase() === "STREAMS");
    return at === -1 ? undefined : args[at + 1];
  }
  return KEYLESS.has(command) ? undefined : args[1];
}

/** The URL without its password, for error messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the given URL";
  }
}
