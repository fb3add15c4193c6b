/**
 * Tokens obtained from an authorization server, kept per key until their
 * expiry minus a skew, with one request in flight per key (concurrent
 * callers share it) and at most `maxEntries` kept (the oldest go first).
 * A failed request leaves the in-flight map as it settles (the token
 * endpoint's deadline settles a stuck one), and its key backs off: callers
 * of that key fail at once for `retryMs`, doubled after each failure in a
 * row up to `maxRetryMs`; then the next caller asks again. Keys never wait
 * on each other. It knows no HTTP: what fetches a token is the caller's.
 * @module
 */

import { GATEWAY_DEFAULTS } from "../gateway_defaults.ts";

const DEFAULT = GATEWAY_DEFAULTS.TokenCacheOptions;

/** A token as an authorization server issued it. */
export interface IssuedToken {
  /** The token. */
  token: string;
  /** Its lifetime, seconds (`expires_in`); without it the token is used once, not kept. */
  expiresInSeconds?: number;
}

/**
 * Options of {@linkcode TokenCache}.
 *
 * @example
 * ```ts
 * import type { TokenCacheOptions } from "./token_cache.ts";
 * const options: TokenCacheOptions = { skewMs: 30_000, maxEntries: 10_000 };
 * ```
 */
export interface TokenCacheOptions {
  /**
   * A token is renewed this long before it expires, ms.
   * @default {30_000}
   */
  skewMs?: number;
  /**
   * Tokens kept at most; past it the oldest is dropped.
   * @default {10_000}
   */
  maxEntries?: number;
  /**
   * After a failed request, a key's callers fail at once this long before
   * the next asks again, ms (doubled after each failure in a row).
   * @default {1_000}
   */
  retryMs?: number;
  /**
   * The longest wait after failures in a row, ms.
   * @default {30_000}
   */
  maxRetryMs?: number;
  /**
   * The clock.
   * @default {Date.now}
   */
  now?: () => number;
}

/** A key's last failures in a row: until when its callers fail at once, and with what. */
interface Backoff {
  until: number;
  waitMs: number;
  error: unknown;
}

/**
 * Issued tokens by key, with one fetch in flight per key.
 *
 * @example
 * ```ts
 * import { TokenCache } from "./token_cache.ts";
 * const cache = new TokenCache({ skewMs: 30_000 });
 * const token = await cache.get("alice", () => Promise.resolve({ token: "t", expiresInSeconds: 300 }));
 * console.log(token); // "t"
 * ```
 */
export class TokenCache {
  readonly #skewMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Kept tokens in insertion order (a renewed one moves to the end). */
  readonly #tokens = new Map<string, { token: string; renewAt: number }>();
  readonly #inFlight = new Map<string, Promise<string>>();
  /** Keys whose last request failed, in insertion order (bounded as the tokens are). */
  readonly #failed = new Map<string, Backoff>();
  readonly #retryMs: number;
  readonly #maxRetryMs: number;

  /** A cache with `options` (a TypeError names a bad one). */
  constructor(options: TokenCacheOptions = {}) {
    this.#skewMs = nonNegative("skewMs", options.skewMs ?? DEFAULT.skewMs);
    this.#maxEntries = nonNegative("maxEntries", options.maxEntries ?? DEFAULT.maxEntries);
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new TypeError("Option maxEntries must be a positive integer");
    }
    this.#retryMs = nonNegative("retryMs", options.retryMs ?? DEFAULT.retryMs);
    this.#maxRetryMs = nonNegative("maxRetryMs", options.maxRetryMs ?? DEFAULT.maxRetryMs);
    this.#now = options.now ?? Date.now;
  }

  /** Tokens kept now. */
  get size(): number {
    return this.#tokens.size;
  }

  /**
   * The token of `key`: the kept one while it is fresh, else the one `fetch`
   * obtains (shared with every caller asking meanwhile). A failed fetch is
   * not kept; the key's callers get its error at once while the key backs
   * off, then the next caller fetches again.
   */
  get(key: string, fetch: () => Promise<IssuedToken>): Promise<string> {
    const kept = this.#tokens.get(key);
    if (kept !== undefined) {
      if (this.#now() < kept.renewAt) return Promise.resolve(kept.token);
      this.#tokens.delete(key);
    }
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const failed = this.#failed.get(key);
    if (failed !== undefined && this.#now() < failed.until) return Promise.reject(failed.error);
    const fetching = (async () => {
      try {
        const issued = await fetch();
        this.#failed.delete(key);
        const lifetime = issued.expiresInSeconds;
        if (lifetime !== undefined && Number.isFinite(lifetime) && lifetime * 1000 > this.#skewMs) {
          this.#keep(key, issued.token, this.#now() + lifetime * 1000 - this.#skewMs);
        }
        return issued.token;
      } catch (error) {
        this.#backOff(key, error, failed);
        throw error;
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, fetching);
    return fetching;
  }

  #backOff(key: string, error: unknown, last: Backoff | undefined): void {
    const waitMs = last === undefined
      ? this.#retryMs
      : Math.min(this.#maxRetryMs, Math.max(this.#retryMs, last.waitMs * 2));
    this.#failed.delete(key);
    while (this.#failed.size >= this.#maxEntries) {
      this.#failed.delete(this.#failed.keys().next().value!);
    }
    this.#failed.set(key, { until: this.#now() + waitMs, waitMs, error });
  }

  #keep(key: string, token: string, renewAt: number): void {
    this.#tokens.delete(key);
    while (this.#tokens.size >= this.#maxEntries) {
      this.#tokens.delete(this.#tokens.keys().next().value!);
    }
    this.#tokens.set(key, { token, renewAt });
  }
}

function nonNegative(option: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`Option ${option} must be a non-negative number`);
  }
  return value;
}
