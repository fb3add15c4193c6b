/**
 * The seam that refuses a DPoP proof seen before (RFC 9449 §11.1): each
 * proof's key and `jti` are claimed once, until the proof would be too old
 * anyway. The in-memory store is per instance and bounded: when full of
 * live entries it refuses (the handler fails closed, `503`), never forgets
 * one early. `@tether/mcp/redis` shares the claims across instances.
 * @module
 */

import type { DpopReplayStore } from "../config/oauth_options.ts";

export type { DpopReplayStore };

/**
 * Options of {@linkcode MemoryDpopReplayStore}.
 *
 * @example
 * ```ts
 * import type { MemoryDpopReplayStoreOptions } from "@tether/mcp/storage";
 * const options: MemoryDpopReplayStoreOptions = { maxEntries: 50_000 };
 * ```
 */
export interface MemoryDpopReplayStoreOptions {
  /** The most proofs held at once; past it claims reject until some expire. Default 100,000. */
  maxEntries?: number;
}

/** Thrown by a full {@linkcode MemoryDpopReplayStore}. */
export class DpopReplayCacheFullError extends Error {
  /** A full cache of `max` entries. */
  constructor(max: number) {
    super(`The DPoP replay cache holds ${max} live proofs (its bound)`);
    this.name = "DpopReplayCacheFullError";
  }
}

/**
 * Claimed proofs in this instance's memory, bounded by `maxEntries`.
 *
 * @example
 * ```ts
 * import { MemoryDpopReplayStore } from "@tether/mcp/storage";
 * const store = new MemoryDpopReplayStore({ maxEntries: 10 });
 * await store.claim("k", Date.now() + 60_000, Date.now()); // true
 * await store.claim("k", Date.now() + 60_000, Date.now()); // false: a replay
 * ```
 */
export class MemoryDpopReplayStore implements DpopReplayStore {
  readonly #max: number;
  /** Key → expiry, in insertion order; expiries are near insertion order (one window). */
  readonly #held = new Map<string, number>();

  /** A store of at most `maxEntries` live proofs. */
  constructor(options: MemoryDpopReplayStoreOptions = {}) {
    const max = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new TypeError(
        `MemoryDpopReplayStore: maxEntries must be a positive integer, got ${max}`,
      );
    }
    this.#max = max;
  }

  /** The number of proofs held (expired ones until the next claim sweeps them). */
  get size(): number {
    return this.#held.size;
  }

  /** Claims `key` until `expiresAt`. */
  claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    const held = this.#held.get(key);
    if (held !== undefined && held > now) return Promise.resolve(false);
    this.#held.delete(key);
    if (this.#held.size >= this.#max) this.#sweep(now);
    if (this.#held.size >= this.#max) {
      return Promise.reject(new DpopReplayCacheFullError(this.#max));
    }
    this.#held.set(key, expiresAt);
    return Promise.resolve(true);
  }

  /**
   * Drops expired entries from the oldest, up to the first live one: a full
   * cache of live proofs costs one look per claim, not a walk of all.
   */
  #sweep(now: number): void {
    for (const [key, expiresAt] of this.#held) {
      if (expiresAt > now) return;
      this.#held.delete(key);
    }
  }
}
