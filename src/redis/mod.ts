/**
 * `@tether/mcp/redis`: several tether instances behind a plain load
 * balancer serve one session, through Redis. Any instance serves any request
 * of any session: records and `ctx.session` state (the session store),
 * resumable streams replayed and followed live by another instance, with a
 * JSON-RPC error instead of a hang when the instance running a request dies
 * (the event log, with instance heartbeats), and cancellations, client replies, session ends, notifications and
 * listening-stream takeover between instances (the bus), and tasks (the task
 * store: any instance answers `tasks/get` for a task another one runs). The instance that
 * receives a POST runs it; no request is forwarded.
 *
 * Works with node-redis on Deno, Bun and Node (any client that can send a raw
 * command fits `{ client }`).
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createRedisBackend } from "@tether/mcp/redis";
 *
 * const redis = await createRedisBackend({ url: "redis://127.0.0.1:6379" }, { prefix: "app:" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   storage: redis,
 *   stateless: {
 *     requestState: { keys: [Deno.env.get("MCP_STATE_KEY")!] }, // the same key on every instance
 *   },
 * });
 * ```
 * @module
 */

export type {
  OpenRedisConnection,
  RedisCommands,
  RedisConnection,
} from "./connection/redis_commands.ts";
export type { RedisSessionStoreOptions } from "./sessions/redis_session_store.ts";
export type { RedisEventLogOptions } from "./event_log/redis_event_log.ts";
export type { RedisBusOptions } from "./bus/bus_options.ts";
export type { RedisTaskStoreOptions } from "./tasks/redis_task_store.ts";
export {
  createRedisBackend,
  type RedisBackend,
  type RedisBackendOptions,
} from "./redis_backend.ts";
export type {
  DuplicableRedisClient,
  NodeRedisLikeClient,
  RedisSource,
} from "./connection/redis_sources.ts";
