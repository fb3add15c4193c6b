/**
 * The `rateLimit` step (seed 001's Rack app): a limiter is asked before the
 * body is read and before `authenticate`, so a flood of requests with bad
 * tokens costs a map look-up each instead of a credential check (a database
 * or an identity provider call) and a body read. A refusal is `429` with
 * `Retry-After`. It does not decide what a caller is (the limiter's key does:
 * an address from a trusted proxy header, an API key) and it does not share
 * counts between processes unless the limiter does.
 * @module
 */

import { type Refusal, refuse } from "./refusal.ts";

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
 * A {@linkcode RateLimiter} that decides at once (no I/O), like `tokenBucket`.
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
 * The `429` for a request `limiter` turns away, or `undefined` to go on. A
 * `retryAfterSeconds` that is not a whole number of at least 1 is rounded up
 * to one, so the header is always valid.
 */
export async function checkRateLimit(
  limiter: RateLimiter,
  request: Request,
): Promise<Refusal | undefined> {
  const decision = await limiter.take(request);
  if (decision.ok) return undefined;
  const seconds = decision.retryAfterSeconds;
  const retryAfter = Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1;
  return refuse(429, "Too Many Requests: retry later", {
    headers: { "retry-after": String(retryAfter) },
  });
}
