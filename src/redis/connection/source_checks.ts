/**
 * Startup refusals of `createRedisBackend`: a source tether cannot run on
 * (a Redis Cluster node given as one node, a client of the wrong shape, a
 * Cluster or Sentinel source without its addresses) is
 * refused with an error that says what to pass, instead of answering every
 * request 503. Checks only; it connects nothing and closes nothing.
 * @module
 */

import { ErrorReply } from "redis";
import type { RedisCommands } from "./redis_commands.ts";

/** What to pass, for the messages below. */
const PASS_INSTEAD = "pass { url } (one node), { cluster: { rootNodes } } (Redis Cluster), " +
  "{ sentinel: { name, sentinels } } (Sentinel), or a connected node-redis client as { client } " +
  "(createClient, createCluster or createSentinel)";

/**
 * Throws unless `target` is one of the sources `createRedisBackend` takes:
 * `{ url }` with a string, `{ cluster: { rootNodes } }` with at least one
 * URL, `{ sentinel: { name, sentinels } }` with a name and at least one
 * `{ host, port }`, or `{ client }` (checked by {@linkcode checkClientShape}).
 *
 * @example
 * ```ts
 * import { checkTarget } from "./source_checks.ts";
 * checkTarget({ url: "redis://127.0.0.1:6379" }); // fine
 * ```
 */
export function checkTarget(target: unknown): void {
  const refuse = (what: string) => {
    throw new TypeError(`tether: createRedisBackend(${what}; ${PASS_INSTEAD}`);
  };
  if (typeof target !== "object" || target === null) {
    return refuse(`) got ${target === null ? "null" : typeof target}`);
  }
  const given = target as Record<string, unknown>;
  if ("url" in given) {
    if (typeof given.url !== "string") refuse("{ url }) needs a string URL");
    return;
  }
  if ("cluster" in given) {
    const rootNodes = (given.cluster as { rootNodes?: unknown } | null)?.rootNodes;
    const urls = Array.isArray(rootNodes) &&
      rootNodes.every((node) =>
        typeof node === "string" || typeof (node as { url?: unknown })?.url === "string"
      );
    if (!urls || (rootNodes as unknown[]).length === 0) {
      refuse("{ cluster }) needs rootNodes: a non-empty list of URLs (or { url })");
    }
    return;
  }
  if ("sentinel" in given) {
    const sentinel = given.sentinel as { name?: unknown; sentinels?: unknown } | null;
    const nodes = sentinel?.sentinels;
    const addresses = Array.isArray(nodes) && nodes.length > 0 &&
      nodes.every((node) =>
        typeof node?.host === "string" && Number.isInteger(node?.port) && node.port > 0
      );
    if (typeof sentinel?.name !== "string" || sentinel.name === "" || !addresses) {
      refuse(
        "{ sentinel }) needs name (the master's name) and sentinels: a non-empty list of { host, port }",
      );
    }
    return;
  }
  checkClientShape(given.client);
}

/**
 * Throws unless `client` has a shape tether drives: node-redis's
 * `createClient()` result (`sendCommand(args)` and `duplicate()`), its cluster
 * client (`createCluster`) or its Sentinel client (`createSentinel`).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { checkClientShape } from "./source_checks.ts";
 * checkClientShape(createClient()); // fine
 * ```
 */
export function checkClientShape(client: unknown): void {
  if (typeof client !== "object" || client === null) {
    throw new TypeError(
      `tether: createRedisBackend({ client }) got ${
        client === null ? "null" : typeof client
      }: ${PASS_INSTEAD}`,
    );
  }
  const missing = ["sendCommand", "duplicate"].filter((name) =>
    typeof (client as Record<string, unknown>)[name] !== "function"
  );
  if (missing.length > 0) {
    throw new TypeError(
      `tether: createRedisBackend({ client }) got an object without ${
        missing.join(" and ")
      }(): ${PASS_INSTEAD}`,
    );
  }
}

/**
 * Throws when the server behind `commands` runs in cluster mode
 * (`INFO cluster` answers `cluster_enabled:1`): as one node it would answer
 * most keys with MOVED. A server that refuses `INFO` (renamed or disabled by
 * a managed offering) is let through; one that cannot answer fails startup.
 *
 * @example
 * ```ts ignore (internal: needs a connected Redis client)
 * await refuseClusterNode(client, "redis://127.0.0.1:7000");
 * ```
 */
export async function refuseClusterNode(commands: RedisCommands, where: string): Promise<void> {
  let info: unknown;
  try {
    info = await commands.sendCommand(["INFO", "cluster"]);
  } catch (error) {
    if (error instanceof ErrorReply) return;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`tether: Redis at ${where} did not answer at startup: ${reason}`, {
      cause: error,
    });
  }
  if (typeof info === "string" && /^cluster_enabled:1\b/m.test(info)) {
    throw new Error(
      `tether: Redis at ${where} runs in cluster mode (cluster_enabled:1), which one node's ` +
        "connection cannot serve (keys on other nodes answer MOVED): pass it as " +
        "{ cluster: { rootNodes: [...] } } (or a createCluster() client as { client })",
    );
  }
}
