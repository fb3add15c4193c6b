/**
 * The seam that refuses a DPoP proof seen before (RFC 9449 §11.1): each
 * proof's key and `jti` are claimed once, until the proof would be too old
 * anyway, and each principal holds at most its share of the places. The
 * in-memory store is per instance and bounded: when full of live entries
 * it refuses (the handler fails closed, `503`), never forgets one early.
 * `@tether/mcp/redis` and `@tether/mcp/postgres` share the claims across
 * instances.
 * @module
 */

import type { DpopReplayStore } from "../storage/dpop/dpop_replay_store.ts";

export type { DpopReplayStore };

/** Whose proof a claim is, and how many live proofs it may hold. */
type Owner = Parameters<DpopReplayStore["claim"]>[3];

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

/** A held proof: when it expires and whose it is. */
interface Held {
  expiresAt: number;
  owner: string;
}

/**
 * Claimed proofs in this instance's memory, bounded by `maxEntries`, each
 * owner to its share.
 *
 * @example
 * ```ts
 * import { MemoryDpopReplayStore } from "@tether/mcp/storage";
 * const store = new MemoryDpopReplayStore({ maxEntries: 10 });
 * const alice = { key: "user:alice", share: 5 };
 * await store.claim("k", Date.now() + 60_000, Date.now(), alice); // true
 * await store.claim("k", Date.now() + 60_000, Date.now(), alice); // false: a replay
 * ```
 */
export class MemoryDpopReplayStore implements DpopReplayStore {
  readonly #max: number;
  /** Key → its entry, in insertion order; expiries are near insertion order (one window). */
  readonly #held = new Map<string, Held>();
  /** Owner → its keys and their expiries, in insertion order. */
  readonly #owners = new Map<string, Map<string, number>>();

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

  /** Claims `key` for `owner` until `expiresAt`. */
  claim(
    key: string,
    expiresAt: number,
    now: number,
    owner: Parameters<DpopReplayStore["claim"]>[3],
  ): Promise<boolean | "share-full"> {
    const held = this.#held.get(key);
    if (held !== undefined && held.expiresAt > now) return Promise.resolve(false);
    if (held !== undefined) this.#drop(key, held.owner);
    let mine = this.#owners.get(owner.key);
    if (mine !== undefined && mine.size >= owner.share) {
      this.#sweep(owner.key, mine, now);
      if (mine.size >= owner.share) return Promise.resolve("share-full");
    }
    if (this.#held.size >= this.#max) this.#sweepAll(now);
    if (this.#held.size >= this.#max) {
      return Promise.reject(new DpopReplayCacheFullError(this.#max));
    }
    if (mine === undefined || mine.size === 0) {
      mine = new Map();
      this.#owners.set(owner.key, mine);
    }
    this.#held.set(key, { expiresAt, owner: owner.key });
    mine.set(key, expiresAt);
    return Promise.resolve(true);
  }

  /**
   * Drops expired entries from the oldest, up to the first live one: a full
   * cache of live proofs costs one look per claim, not a walk of all.
   */
  #sweepAll(now: number): void {
    for (const [key, held] of this.#held) {
      if (held.expiresAt > now) return;
      this.#drop(key, held.owner);
    }
  }

  /** As {@linkcode #sweepAll}, over one owner's entries. */
  #sweep(owner: string, mine: Map<string, number>, now: number): void {
    for (const [key, expiresAt] of mine) {
      if (expiresAt > now) return;
      this.#drop(key, owner);
    }
  }

  /** Forgets `key`, and its owner once it holds nothing. */
  #drop(key: string, owner: string): void {
    this.#held.delete(key);
    const mine = this.#owners.get(owner);
    if (mine === undefined) return;
    mine.delete(key);
    if (mine.size === 0) this.#owners.delete(owner);
  }
}
