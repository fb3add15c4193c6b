/**
 * The DPoP replay cache in Redis, shared by every instance: each proof is
 * claimed with one `SET NX PX` on `<prefix>dpop:<key>`, which expires when
 * the proof would be too old anyway. A Redis that cannot be reached
 * rejects, and the proof is refused `503` (fail closed). Not here: which
 * proofs to claim (the handler's DPoP checks).
 * @module
 */

import { REDIS_DEFAULTS } from "../redis_defaults.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";

/**
 * Options of {@linkcode RedisDpopReplayStore}.
 *
 * @example
 * ```ts
 * import type { RedisDpopReplayStoreOptions } from "@tether/mcp/redis";
 * const options: RedisDpopReplayStoreOptions = { prefix: "tenant-a:" };
 * ```
 */
export interface RedisDpopReplayStoreOptions {
  /**
   * Prefix of every key.
   * @default {"tether:"}
   */
  prefix?: string;
}

/**
 * Used DPoP proofs in Redis: pass it as `auth.oauth.dpop.replayStore`
 * (`createRedisBackend` makes one as `dpopReplayStore`), so a proof used on
 * one instance is refused on every other.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createRedisBackend } from "@tether/mcp/redis";
 *
 * const redis = await createRedisBackend({ url: "redis://127.0.0.1:6379" });
 * const resource = "https://mcp.example.com/mcp";
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   auth: {
 *     oauth: {
 *       resource,
 *       authorizationServers: ["https://auth.example.com"],
 *       verifyAccessToken: () => null,
 *       dpop: { mode: "required", replayStore: redis.dpopReplayStore },
 *     },
 *   },
 * });
 * ```
 */
export class RedisDpopReplayStore {
  readonly #redis: RedisCommands;
  readonly #prefix: string;

  /** A store on `redis`. */
  constructor(redis: RedisCommands, options: RedisDpopReplayStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? REDIS_DEFAULTS.RedisDpopReplayStoreOptions.prefix;
  }

  /** Claims `key` until `expiresAt` (ms): false when another request, on any instance, holds it. */
  async claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    const ttl = Math.max(Math.ceil(expiresAt - now), 1);
    const reply = await this.#redis.sendCommand([
      "SET",
      `${this.#prefix}dpop:${key}`,
      "1",
      "NX",
      "PX",
      String(ttl),
    ]);
    return reply === "OK";
  }
}
