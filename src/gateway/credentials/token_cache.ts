/**
 * Tokens obtained from an authorization server, kept per key until their
 * expiry minus a skew, with one request in flight per key (concurrent
 * callers share it) and at most `maxEntries` kept (the oldest go first).
 * It knows no HTTP: what fetches a token is the caller's.
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
   * The clock.
   * @default {Date.now}
   */
  now?: () => number;
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

  /** A cache with `options` (a TypeError names a bad one). */
  constructor(options: TokenCacheOptions = {}) {
    this.#skewMs = nonNegative("skewMs", options.skewMs ?? DEFAULT.skewMs);
    this.#maxEntries = nonNegative("maxEntries", options.maxEntries ?? DEFAULT.maxEntries);
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new TypeError("Option maxEntries must be a positive integer");
    }
    this.#now = options.now ?? Date.now;
  }

  /** Tokens kept now. */
  get size(): number {
    return this.#tokens.size;
  }

  /**
   * The token of `key`: the kept one while it is fresh, else the one `fetch`
   * obtains (shared with every caller asking meanwhile). A failed fetch is
   * not kept: the next caller fetches again.
   */
  get(key: string, fetch: () => Promise<IssuedToken>): Promise<string> {
    const kept = this.#tokens.get(key);
    if (kept !== undefined) {
      if (this.#now() < kept.renewAt) return Promise.resolve(kept.token);
      this.#tokens.delete(key);
    }
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const fetching = (async () => {
      try {
        const issued = await fetch();
        const lifetime = issued.expiresInSeconds;
        if (lifetime !== undefined && Number.isFinite(lifetime) && lifetime * 1000 > this.#skewMs) {
          this.#keep(key, issued.token, this.#now() + lifetime * 1000 - this.#skewMs);
        }
        return issued.token;
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, fetching);
    return fetching;
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
