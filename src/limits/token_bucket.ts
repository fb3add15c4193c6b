/**
 * An in-memory rate limiter for the `limits.rateLimit` option (rate_limit.ts: a
 * flood of bad tokens must not become a flood of credential look-ups).
 * {@linkcode tokenBucket} keeps a bucket per caller-chosen key, refilled
 * continuously, bounded in the number of keys it remembers (the least
 * recently used go first). Per process: several instances each keep their
 * own buckets.
 * @module
 */

import type { RateDecision, SyncRateLimiter } from "./rate_limit.ts";

/**
 * Options of {@linkcode tokenBucket}.
 *
 * @example
 * ```ts
 * import { tokenBucket, type TokenBucketOptions } from "@tether/mcp";
 * const options: TokenBucketOptions = { perMinute: 120, burst: 20, key: (request) => request.headers.get("x-api-key") ?? "anonymous" };
 * const limiter = tokenBucket(options);
 * ```
 */
export interface TokenBucketOptions {
  /** Requests per minute each key may make on average. */
  perMinute: number;
  /** Requests a key may make at once after being idle. Default: `perMinute / 6`, at least 1. */
  burst?: number;
  /**
   * The bucket a request counts against (client address, API key, ...). A
   * key longer than 256 characters counts by its first 256, so keys taken
   * from client headers cannot make the remembered keys large.
   */
  key: (request: Request) => string;
  /** Keys remembered at most (least recently used forgotten). Default 10,000. */
  maxKeys?: number;
  /** The clock, ms. Default `Date.now`. */
  now?: () => number;
}

/** Characters of a key that are remembered: the key cap then bounds memory too. */
const MAX_KEY_LENGTH = 256;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * An in-memory token bucket per key, usable as the `limits.rateLimit` option. Key
 * on what a client cannot choose: the peer address, or behind one proxy of
 * yours the right-most `X-Forwarded-For` hop (the one it appended).
 *
 * @example
 * ```ts
 * import { createMcpHandler, tokenBucket } from "@tether/mcp";
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   limits: {
 *     rateLimit: tokenBucket({
 *       perMinute: 120,
 *       key: (request) => request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() ?? "direct",
 *     }),
 *   },
 * });
 * ```
 */
export function tokenBucket(options: TokenBucketOptions): SyncRateLimiter {
  const { perMinute, key } = options;
  if (!(perMinute > 0) || !Number.isFinite(perMinute)) {
    throw new RangeError("tokenBucket: perMinute must be a positive number");
  }
  if (typeof key !== "function") throw new TypeError("tokenBucket: key must be a function");
  const burst = options.burst ?? Math.max(1, perMinute / 6);
  if (!(burst >= 1) || !Number.isFinite(burst)) {
    throw new RangeError("tokenBucket: burst must be a finite number of at least 1");
  }
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError("tokenBucket: maxKeys must be a positive integer");
  }
  const now = options.now ?? Date.now;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();
  return {
    take(request: Request): RateDecision {
      const name = key(request).slice(0, MAX_KEY_LENGTH);
      const time = now();
      let bucket = buckets.get(name);
      if (bucket === undefined) {
        bucket = { tokens: burst, at: time };
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
      } else {
        buckets.delete(name); // re-inserted below: Map order is recency order
        // A clock that steps back refills nothing (and takes nothing away).
        bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, time - bucket.at) * perMs);
        bucket.at = Math.max(bucket.at, time);
      }
      buckets.set(name, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)),
      };
    },
  };
}
