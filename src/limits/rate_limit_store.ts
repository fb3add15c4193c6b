/**
 * The counters of the `limits.rateLimits` option behind one async seam: a
 * {@linkcode RateLimitStore} spends one unit of a key's budget, atomically,
 * by GCRA (the generic cell rate algorithm: one number per key, the time its
 * budget is next full). {@linkcode MemoryRateLimitStore} is the per-process
 * default; `@tether/mcp/redis`'s store shares one budget between instances.
 * It does not choose keys (the entry does, bounded) and keeps no policy.
 * @module
 */

/**
 * A budget: `limit` units per `windowSeconds`, all of them usable at once
 * after an idle window, then one back every `windowSeconds / limit`.
 *
 * @example
 * ```ts
 * import type { RateQuota } from "@tether/mcp/storage";
 * const hundredPerMinute: RateQuota = { limit: 100, windowSeconds: 60 };
 * ```
 */
export interface RateQuota {
  /** Units a key may spend per window (a whole number from 1 to one per millisecond of the window). */
  limit: number;
  /** The window, seconds (a whole number, at least 1). */
  windowSeconds: number;
}

/**
 * What spending units said: allowed or not, what is left, and when.
 *
 * @example
 * ```ts
 * import type { RateTake } from "@tether/mcp/storage";
 * const refused: RateTake = { ok: false, remaining: 0, resetMs: 60_000, retryAfterMs: 600 };
 * ```
 */
export interface RateTake {
  /** True when the units were spent (the request may go on). */
  ok: boolean;
  /** Units left after this one. */
  remaining: number;
  /** Milliseconds until the whole budget is back. */
  resetMs: number;
  /** Milliseconds until the units asked for are back (0 when `ok`). */
  retryAfterMs: number;
}

/**
 * Where the budgets are kept. `take` is atomic per key and spends all the
 * units it is asked for or none (a 2025-03-26 batch asks for one per
 * request); it rejects when the store cannot be reached, and the handler
 * then fails closed (503).
 *
 * @example
 * ```ts
 * import { MemoryRateLimitStore, type RateLimitStore } from "@tether/mcp/storage";
 * const store: RateLimitStore = new MemoryRateLimitStore();
 * const take = await store.take("user:alice", { limit: 10, windowSeconds: 60 }, Date.now());
 * take.ok; // true
 * ```
 */
export interface RateLimitStore {
  /**
   * Spends `units` (a whole number from 1 to `quota.limit`; 1 when absent) of
   * `key`'s budget under `quota` at `now` (ms since the epoch), all or none.
   */
  take(key: string, quota: RateQuota, now: number, units?: number): Promise<RateTake>;
}

/**
 * How far past its time a unit may be and still count as back, ms: float
 * error of a window the limit does not divide (7 per second) must not cost
 * a unit. Quotas allow at most one unit per millisecond, so this is far
 * below one interval.
 */
export const TOLERANCE_MS = 0.01;

/** The outcome of one GCRA step: the decision and the time the budget is next full. */
export interface GcraStep extends RateTake {
  /** The key's new "theoretical arrival time" (ms): store it, unchanged on a refusal. */
  full: number;
}

/**
 * One GCRA step of `units` units (1 by default), pure: `full` is the stored
 * time the key's budget is next full (undefined for a key never seen or
 * expired). A Redis script runs the same arithmetic; keep them in step.
 *
 * @example
 * ```ts
 * import { gcraStep } from "./rate_limit_store.ts";
 * const first = gcraStep(undefined, { limit: 2, windowSeconds: 60 }, 0);
 * first.ok; // true; first.remaining: 1; first.full: 30_000
 * ```
 */
export function gcraStep(
  full: number | undefined,
  quota: RateQuota,
  now: number,
  units = 1,
): GcraStep {
  const windowMs = quota.windowSeconds * 1000;
  const interval = windowMs / quota.limit;
  // A key seen long ago (or a clock that stepped back past it) starts from now.
  const base = full === undefined || full < now ? now : full;
  const next = base + units * interval;
  const allowedAt = next - windowMs;
  if (allowedAt - now > TOLERANCE_MS) {
    return {
      ok: false,
      remaining: 0,
      resetMs: base - now,
      retryAfterMs: allowedAt - now,
      full: base,
    };
  }
  const remaining = Math.max(0, Math.floor((now + windowMs - next + TOLERANCE_MS) / interval));
  return { ok: true, remaining, resetMs: next - now, retryAfterMs: 0, full: next };
}

/**
 * Options of {@linkcode MemoryRateLimitStore}.
 *
 * @example
 * ```ts
 * import { MemoryRateLimitStore } from "@tether/mcp/storage";
 * const store = new MemoryRateLimitStore({ maxKeys: 50_000 });
 * ```
 */
export interface MemoryRateLimitStoreOptions {
  /** Keys remembered at most; the least recently used is forgotten first (a full budget again). Default 100,000. */
  maxKeys?: number;
}

/**
 * The default {@linkcode RateLimitStore}: one process's budgets, in a map
 * bounded by `maxKeys`. Behind a load balancer each instance keeps its own;
 * use `@tether/mcp/redis`'s `RedisRateLimitStore` to share one budget.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { MemoryRateLimitStore } from "@tether/mcp/storage";
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   limits: {
 *     rateLimits: { perPrincipal: { limit: 100, windowSeconds: 60 }, store: new MemoryRateLimitStore() },
 *   },
 * });
 * ```
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #full = new Map<string, number>();
  readonly #maxKeys: number;

  /** An empty store. */
  constructor(options: MemoryRateLimitStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(
        `MemoryRateLimitStore: maxKeys must be a positive integer, got ${maxKeys}`,
      );
    }
    this.#maxKeys = maxKeys;
  }

  /** Spends `units` of `key`'s budget (one by default), if they are there; all or none. */
  take(key: string, quota: RateQuota, now: number, units = 1): Promise<RateTake> {
    const known = this.#full.get(key);
    const step = gcraStep(known, quota, now, units);
    if (known !== undefined) this.#full.delete(key); // re-inserted below: Map order is recency order
    else if (this.#full.size >= this.#maxKeys) this.#full.delete(this.#full.keys().next().value!);
    this.#full.set(key, step.full);
    return Promise.resolve(
      {
        ok: step.ok,
        remaining: step.remaining,
        resetMs: step.resetMs,
        retryAfterMs: step.retryAfterMs,
      },
    );
  }
}
