/**
 * The expiry grace of the Redis session store: how long past a session's
 * deadline its keys (and its index keys) stay in Redis. The option's check
 * only; the store and `createRedisBackend` (which checks before it connects)
 * share it. Internal.
 * @module
 */

import { REDIS_DEFAULTS } from "../redis_defaults.ts";
import { MAX_KEY_TTL_MS } from "./session_store_scripts.ts";

/**
 * The `expiryGraceMs` of `options` (default: the table's, redis_defaults.ts); a RangeError unless it
 * is a number from 0 to 100 years.
 *
 * @example
 * ```ts
 * import { expiryGraceOf } from "./session_grace.ts";
 * expiryGraceOf({}); // 60000
 * ```
 */
export function expiryGraceOf(options: { expiryGraceMs?: number }): number {
  const grace = options.expiryGraceMs ??
    REDIS_DEFAULTS.RedisSessionStoreOptions.expiryGraceMs;
  if (!(grace >= 0) || grace > MAX_KEY_TTL_MS) {
    throw new RangeError(
      `RedisSessionStore option expiryGraceMs must be a number from 0 to ${MAX_KEY_TTL_MS}`,
    );
  }
  return grace;
}
