/**
 * The `rateLimit` step (seed 001's Rack app): a limiter is asked before the
 * body is read and before `authenticate`, so a flood of requests with bad
 * tokens costs a map look-up each instead of a credential check (a database
 * or an identity provider call) and a body read. A refusal is `429` with
 * `Retry-After`. A limiter that throws or rejects (its store is down, a bug)
 * fails closed: `503` + `Retry-After: 1`, the error to `onError`. Failing
 * open would drop the protection exactly when a flood may be what broke the
 * limiter, and 503 tells clients and load balancers to retry (elsewhere).
 * It does not decide what a caller is (the limiter's key does: the peer
 * address, or the right-most hop a trusted proxy appended, an API key) and it
 * does not share counts between processes unless the limiter does.
 * @module
 */

import { ErrorCode } from "../jsonrpc/error_codes.ts";
import { type Refusal, refuse } from "../http/refusal.ts";

/**
 * What a limiter says about one request.
 *
 * @example
 * ```ts
 * import type { RateDecision } from "@tether/mcp/types";
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
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], limits: { rateLimit: onlyLocal } });
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
 * import { tokenBucket } from "@tether/mcp";
 * import type { SyncRateLimiter } from "@tether/mcp/types";
 * const limiter: SyncRateLimiter = tokenBucket({ perMinute: 60, key: () => "everyone" });
 * const decision = limiter.take(new Request("http://127.0.0.1/mcp")); // answered at once
 * ```
 */
export interface SyncRateLimiter extends RateLimiter {
  /** Takes one token for `request`, or says when to retry. */
  take(request: Request): RateDecision;
}

/** `Retry-After` of the 503 answering a request whose limiter failed: soon, it may be back. */
const FAILED_LIMITER_RETRY_AFTER_SECONDS = 1;

/**
 * The `429` for a request `limiter` turns away, or `undefined` to go on. A
 * `retryAfterSeconds` that is not a whole number of at least 1 is rounded up
 * to one, so the header is always valid. A limiter that throws or rejects
 * gives a `503` (fail closed), its error passed to `onError`.
 */
export async function checkRateLimit(
  limiter: RateLimiter,
  request: Request,
  onError: (error: unknown) => void,
): Promise<Refusal | undefined> {
  let decision: RateDecision;
  try {
    decision = await limiter.take(request);
  } catch (error) {
    onError(error);
    return refuse(503, "Service Unavailable: the rate limiter failed", {
      code: ErrorCode.InternalError,
      headers: { "retry-after": String(FAILED_LIMITER_RETRY_AFTER_SECONDS) },
    });
  }
  if (decision.ok) return undefined;
  const seconds = decision.retryAfterSeconds;
  const retryAfter = Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1;
  return refuse(429, "Too Many Requests: retry later", {
    headers: { "retry-after": String(retryAfter) },
  });
}
