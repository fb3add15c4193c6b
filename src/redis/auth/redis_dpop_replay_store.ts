/**
 * The DPoP replay cache in Redis, shared by every instance: each proof is
 * claimed by one script that sets `<prefix>dpop:{<owner>}:<key>`, which
 * expires when the proof would be too old anyway, and adds it to its
 * principal's sorted set `<prefix>dpop-owner:{<owner>}` (scored by expiry),
 * whose live size is the principal's share in use. Both keys sit under the
 * owner's hash tag (one Cluster slot): a proof is bound to its token
 * (`ath`), so a replay names the same principal and the same keys. A Redis
 * that cannot be reached rejects, and the proof is refused `503` (fail
 * closed). Not here: which proofs to claim (the handler's DPoP checks).
 * @module
 */

import { REDIS_DEFAULTS } from "../redis_defaults.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import { FENCED, LuaScript } from "../connection/lua_script.ts";

// KEYS[1] the proof, KEYS[2] its owner's proofs (a sorted set by expiry); ARGV[1] now (ms),
// ARGV[2] the proof's expiry (ms), ARGV[3] the owner's share, ARGV[4] the proof's key.
// Returns 1 taken, 0 held already (a replay), -1 the owner holds its share (nothing taken).
const CLAIM = new LuaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return -1 end
local ttl = math.max(math.ceil(tonumber(ARGV[2]) - now), 1)
redis.call('SET', KEYS[1], '1', 'PX', ttl)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1`,
  FENCED,
);

/**
 * Options of {@linkcode RedisDpopReplayStore}.
 *
 * @example
 * ```ts
 * import type { RedisDpopReplayStoreOptions } from "./redis_dpop_replay_store.ts";
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

  /**
   * Claims `key` for `owner` until `expiresAt` (ms), in one script: false
   * when another request, on any instance, holds it; `"share-full"` when
   * `owner` holds `owner.share` live proofs.
   */
  async claim(
    key: string,
    expiresAt: number,
    now: number,
    owner: { key: string; share: number },
  ): Promise<boolean | "share-full"> {
    const tag = `{${owner.key}}`;
    const reply = Number(
      await CLAIM.run(
        this.#redis,
        [`${this.#prefix}dpop:${tag}:${key}`, `${this.#prefix}dpop-owner:${tag}`],
        [String(now), String(Math.max(expiresAt, now + 1)), String(owner.share), key],
      ),
    );
    if (reply === -1) return "share-full";
    return reply === 1;
  }
}
