/**
 * `@tether/mcp/redis`: Redis-backed storage, so several tether instances
 * behind a load balancer share their sessions. Today: the session store
 * (records and `ctx.session` state), checked by the same contract suite as
 * the in-memory store. Streams, in-flight work and server→client requests
 * are still per process (a request that needs them must reach the instance
 * that holds them); the shared event log and message bus come next.
 *
 * Works with any client that can send a raw command (`sendCommand`), e.g.
 * node-redis on Deno, Bun and Node.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { createMcpHandler } from "@tether/mcp";
 * import { RedisSessionStore } from "@tether/mcp/redis";
 *
 * const redis = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   sessions: { store: new RedisSessionStore(redis, { prefix: "app:" }) },
 * });
 * ```
 * @module
 */

export type { OpenRedisConnection, RedisCommands, RedisConnection } from "./redis_commands.ts";
export {
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from "./redis_session_store.ts";
export { RedisEventLog, type RedisEventLogOptions } from "./redis_event_log.ts";
