/**
 * A {@linkcode RateLimitStore} in Redis, so every tether instance spends
 * from one budget per key: one Lua script per take (GCRA, the same
 * arithmetic as `gcraStep`), atomic, on one key (`<prefix>rate:{<key>}`)
 * that expires when its budget is full again. The clock is the caller's:
 * instances' clocks should agree (NTP), a skew of s seconds moves a
 * budget by s. Not here: choosing or bounding keys (the entry does).
 * @module
 */

import { REDIS_DEFAULTS } from "../redis_defaults.ts";
import {
  gcraStep,
  type RateLimitStore,
  type RateQuota,
  type RateTake,
  TOLERANCE_MS,
} from "../../limits/rate_limit_store.ts";
import { FENCED, LuaScript } from "../connection/lua_script.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";

/**
 * Options of {@linkcode RedisRateLimitStore}.
 *
 * @example
 * ```ts
 * import type { RedisRateLimitStoreOptions } from "./redis_rate_limit_store.ts";
 * const options: RedisRateLimitStoreOptions = { prefix: "tenant-a:" };
 * ```
 */
export interface RedisRateLimitStoreOptions {
  /**
   * Prefix of every key.
   * @default {"tether:"}
   */
  prefix?: string;
}

// KEYS[1] the budget; ARGV[1] now (ms), ARGV[2] the cost (ms: interval per unit × units), ARGV[3] window (ms),
// ARGV[4] the tolerance (ms).
// Returns { 1 when spent else 0, the stored time the budget was full (or false) }.
const TAKE = new LuaScript(
  `
local stored = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[1])
local base = now
if stored then
  local full = tonumber(stored)
  if full > now then base = full end
end
local nextFull = base + tonumber(ARGV[2])
if nextFull - tonumber(ARGV[3]) - now > tonumber(ARGV[4]) then return { 0, stored } end
redis.call('SET', KEYS[1], string.format('%.17g', nextFull), 'PX', math.ceil(nextFull - now))
return { 1, stored }`,
  FENCED,
);

/**
 * Rate-limit budgets in Redis, shared by every instance: pass it as
 * `rateLimits.store` (`createRedisBackend` makes one as `rateLimitStore`).
 * A Redis that cannot be reached rejects, and the handler answers `503`.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createRedisBackend } from "@tether/mcp/redis";
 *
 * const redis = await createRedisBackend({ url: "redis://127.0.0.1:6379" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   limits: {
 *     rateLimits: { perPrincipal: { limit: 600, windowSeconds: 60 }, store: redis.rateLimitStore },
 *   },
 * });
 * ```
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: RedisCommands;
  readonly #prefix: string;

  /** A store on `redis`. */
  constructor(redis: RedisCommands, options: RedisRateLimitStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? REDIS_DEFAULTS.RedisRateLimitStoreOptions.prefix;
  }

  /** Spends `units` of `key`'s budget (one by default), if they are there, all or none, in one script. */
  async take(key: string, quota: RateQuota, now: number, units = 1): Promise<RateTake> {
    const windowMs = quota.windowSeconds * 1000;
    const reply = await TAKE.run(
      this.#redis,
      [`${this.#prefix}rate:{${key}}`],
      [String(now), String(units * windowMs / quota.limit), String(windowMs), String(TOLERANCE_MS)],
    );
    if (!Array.isArray(reply)) throw new TypeError("RedisRateLimitStore: unexpected script reply");
    const stored = reply[1] == null ? undefined : Number(reply[1]);
    const step = gcraStep(stored, quota, now, units);
    // The script decided; the step only measures what is left and when.
    const ok = Number(reply[0]) === 1;
    return {
      ok,
      remaining: ok ? step.remaining : 0,
      resetMs: step.resetMs,
      retryAfterMs: ok ? 0 : Math.max(step.retryAfterMs, 1),
    };
  }
}
