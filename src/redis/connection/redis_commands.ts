/**
 * The small client surface the Redis backends talk through: a raw command,
 * and (for blocking reads) a way to open a connection of their own. node-redis
 * fits both as is; any client that can send a raw command can be adapted.
 * @module
 */

/**
 * The one Redis call the Redis backends need: a raw command, e.g. `["GET", "k"]`.
 *
 * @example
 * ```ts
 * import type { RedisCommands } from "@tether/mcp/redis";
 * // Anything that sends a raw command fits, e.g. node-redis's client.
 * const logging = (inner: RedisCommands): RedisCommands => ({
 *   sendCommand: (args) => {
 *     console.log(args[0]);
 *     return inner.sendCommand(args);
 *   },
 * });
 * ```
 */
export interface RedisCommands {
  /** Sends one command; resolves with Redis's reply. */
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * A connection of its own, for commands that block it (`XREAD BLOCK`): the
 * bus reader and stream tails each hold one while they wait, so they never
 * stall the shared client's other commands.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import type { RedisConnection } from "@tether/mcp/redis";
 *
 * async function openConnection(): Promise<RedisConnection> {
 *   const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 *   return { sendCommand: (args) => client.sendCommand(args), close: () => client.close() };
 * }
 * ```
 */
export interface RedisConnection extends RedisCommands {
  /** Closes the connection; a blocking read in progress rejects. */
  close(): Promise<void>;
}

/**
 * Opens a {@linkcode RedisConnection} to the same Redis as the shared client;
 * on a Cluster, to the master `place` (`host:port`) when one is named (the
 * event log's `placeOf`).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import type { OpenRedisConnection } from "@tether/mcp/redis";
 *
 * const shared = createClient({ url: "redis://127.0.0.1:6379" });
 * const open: OpenRedisConnection = async () => {
 *   const own = await shared.duplicate().connect();
 *   return { sendCommand: (args) => own.sendCommand(args), close: () => own.close() };
 * };
 * ```
 */
export type OpenRedisConnection = (place?: string) => Promise<RedisConnection>;
