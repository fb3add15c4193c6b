/**
 * Startup refusals of `createRedisBackend`: a source tether cannot run on
 * (a Redis Cluster node given as one node, a client of the wrong shape) is
 * refused with an error that says what to pass, instead of answering every
 * request 503. Checks only; it connects nothing and closes nothing.
 * @module
 */

import { ErrorReply } from "redis";
import type { RedisCommands } from "./redis_commands.ts";

/** What to pass, for the messages below. */
const PASS_INSTEAD = "pass a standalone Redis (or a Sentinel-managed master) as { url } " +
  "or as a connected createClient() client";

/**
 * Throws unless `target` is `{ url }` or `{ client }` (checked by
 * {@linkcode checkClientShape}): the Cluster and Sentinel sources the errors
 * below name (`{ cluster }`, `{ sentinel }`) are refused as not supported yet.
 *
 * @example
 * ```ts
 * import { checkTarget } from "./source_checks.ts";
 * checkTarget({ url: "redis://127.0.0.1:6379" }); // fine
 * ```
 */
export function checkTarget(target: unknown): void {
  if (typeof target === "object" && target !== null && "url" in target) {
    if (typeof target.url === "string") return;
    throw new TypeError(`tether: createRedisBackend({ url }) needs a string URL; ${PASS_INSTEAD}`);
  }
  for (const source of ["cluster", "sentinel"]) {
    if (typeof target === "object" && target !== null && source in target) {
      throw new TypeError(
        `tether: createRedisBackend({ ${source} }): ${
          source === "cluster" ? "Redis Cluster" : "Sentinel"
        } is not supported by this version yet; ${PASS_INSTEAD}`,
      );
    }
  }
  checkClientShape((target as { client?: unknown } | null | undefined)?.client);
}

/**
 * Throws unless `client` has the shape tether drives: node-redis's
 * `createClient()` result (`sendCommand(args)` and `duplicate()`). node-redis's
 * cluster client (`createCluster`) and Sentinel client (`createSentinel`) are
 * named in the error: their `sendCommand` takes other arguments.
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
  const candidate = client as Record<string, unknown>;
  if (typeof candidate.getMasterNode === "function") {
    throw new TypeError(
      "tether: createRedisBackend({ client }) got node-redis's Sentinel client (createSentinel), " +
        "whose sendCommand takes (isReadonly, args): Sentinel ({ sentinel: { name, sentinels } }) " +
        `is not supported by this version yet; ${PASS_INSTEAD}`,
    );
  }
  if ("masters" in candidate && "slots" in candidate) {
    throw new TypeError(
      "tether: createRedisBackend({ client }) got node-redis's cluster client (createCluster), " +
        "whose sendCommand takes (firstKey, isReadonly, args): Redis Cluster " +
        `({ cluster: { rootNodes } }) is not supported by this version yet; ${PASS_INSTEAD}`,
    );
  }
  const missing = ["sendCommand", "duplicate"].filter((name) =>
    typeof candidate[name] !== "function"
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
 * ```ts ignore
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
        "connection cannot serve (keys on other nodes answer MOVED): Redis Cluster " +
        `({ cluster: { rootNodes } }) is not supported by this version yet; ${PASS_INSTEAD}`,
    );
  }
}
