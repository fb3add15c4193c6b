/**
 * Rate limiting before authentication (seed 001's Rack app: a flood of bad
 * tokens must not become a flood of credential look-ups). The `rateLimit`
 * option takes any {@linkcode RateLimiter}; {@linkcode tokenBucket} is a
 * simple in-memory one: a bucket per caller-chosen key, refilled
 * continuously, bounded in the number of keys it remembers (the least
 * recently used go first). Per process: several instances each keep their
 * own buckets.
 * @module
 */

/**
 * What a limiter says about one request.
 *
 * @example
 * ```ts
 * import type { RateDecision } from "@tether/mcp";
 * const later: RateDecision = { ok: false, retryAfterSeconds: 30 };
 * ```
 */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Decides whether a request may go on; consulted before `authenticate`.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type RateLimiter } from "@tether/mcp";
 * const onlyLocal: RateLimiter = {
 *   take: (request) => request.headers.get("x-forwarded-for") === null ? { ok: true } : { ok: false, retryAfterSeconds: 60 },
 * };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], rateLimit: onlyLocal });
 * ```
 */
export interface RateLimiter {
  /** Takes one token for `request`, or says when to retry. */
  take(request: Request): RateDecision | Promise<RateDecision>;
}

/**
 * A {@linkcode RateLimiter} that decides at once (no I/O), like {@linkcode tokenBucket}.
 *
 * @example
 * ```ts
 * import { type SyncRateLimiter, tokenBucket } from "@tether/mcp";
 * const limiter: SyncRateLimiter = tokenBucket({ perMinute: 60, key: () => "everyone" });
 * const decision = limiter.take(new Request("http://127.0.0.1/mcp")); // answered at once
 * ```
 */
export interface SyncRateLimiter extends RateLimiter {
  /** Takes one token for `request`, or says when to retry. */
  take(request: Request): RateDecision;
}

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
  /** The bucket a request counts against (client address, API key, ...). */
  key: (request: Request) => string;
  /** Keys remembered at most (least recently used forgotten). Default 10,000. */
  maxKeys?: number;
  /** The clock, ms. Default `Date.now`. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * An in-memory token bucket per key, usable as the `rateLimit` option.
 *
 * @example
 * ```ts
 * import { createMcpHandler, tokenBucket } from "@tether/mcp";
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   rateLimit: tokenBucket({ perMinute: 120, key: (request) => request.headers.get("x-forwarded-for") ?? "local" }),
 * });
 * ```
 */
export function tokenBucket(options: TokenBucketOptions): SyncRateLimiter {
  const { perMinute, key } = options;
  if (!(perMinute > 0) || !Number.isFinite(perMinute)) {
    throw new RangeError("tokenBucket: perMinute must be a positive number");
  }
  const burst = options.burst ?? Math.max(1, perMinute / 6);
  if (!(burst >= 1)) throw new RangeError("tokenBucket: burst must be at least 1");
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError("tokenBucket: maxKeys must be a positive integer");
  }
  const now = options.now ?? Date.now;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();
  return {
    take(request: Request): RateDecision {
      const name = key(request);
      const time = now();
      let bucket = buckets.get(name);
      if (bucket === undefined) {
        bucket = { tokens: burst, at: time };
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
      } else {
        buckets.delete(name); // re-inserted below: Map order is recency order
        bucket.tokens = Math.min(burst, bucket.tokens + (time - bucket.at) * perMs);
        bucket.at = time;
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
