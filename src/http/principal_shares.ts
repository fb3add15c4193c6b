/**
 * Per-principal shares of a pool (listen streams, 2026-07-28 calls in
 * flight, `maxConcurrentRequests`), so one caller cannot take the whole pool
 * and lock everyone else out. Principals are counted by their owner key
 * (`ownerKeyOf`): every anonymous caller is the one anonymous principal, so
 * anonymous callers are capped together and can never crowd out an
 * authenticated one. It counts; it does not queue, and it knows nothing of
 * what is counted. Per process.
 * @module
 */

import { ErrorCode } from "../jsonrpc/error_codes.ts";
import { type Refusal, refuse } from "./refusal.ts";

/**
 * Principals with no place left are forgotten only once this many are
 * known: a caller that takes and gives back a place per request (the
 * common case: one principal, or every caller anonymous) keeps its entry
 * instead of deleting and re-inserting it each time.
 */
const SWEEP_AT = 1024;

/** How many places each principal holds, against one cap per principal. */
export class PrincipalShares {
  /** Places one principal may hold at once. */
  readonly max: number;
  /**
   * Places by principal. Principals holding none are kept until the map
   * reaches {@linkcode SWEEP_AT} entries (then swept), so it is bounded by
   * the pool and that constant.
   */
  #held = new Map<string, number>();
  #sweepAt = SWEEP_AT;

  /** Shares of at most `max` places per principal. */
  constructor(max: number) {
    this.max = max;
  }

  /** Places `ownerKey` holds now. */
  held(ownerKey: string): number {
    return this.#held.get(ownerKey) ?? 0;
  }

  /** Principals remembered now (holding places, or not yet swept); for tests. */
  get known(): number {
    return this.#held.size;
  }

  /** Takes a place for `ownerKey`; false when it holds its share already. */
  take(ownerKey: string): boolean {
    const held = this.held(ownerKey);
    if (held >= this.max) return false;
    this.#held.set(ownerKey, held + 1);
    if (held === 0 && this.#held.size >= this.#sweepAt) this.#sweep();
    return true;
  }

  /** Gives one of `ownerKey`'s places back. */
  give(ownerKey: string): void {
    const held = this.#held.get(ownerKey);
    if (held !== undefined && held > 0) this.#held.set(ownerKey, held - 1);
  }

  /** Forgets the principals holding nothing; the next sweep waits until the map doubles. */
  #sweep(): void {
    for (const [ownerKey, held] of this.#held) {
      if (held === 0) this.#held.delete(ownerKey);
    }
    this.#sweepAt = Math.max(SWEEP_AT, this.#held.size * 2);
  }
}

/**
 * The `429` of a principal at its share: `what` names what it holds too many
 * of ("open listen streams"); `Retry-After` says when a place is likely free.
 */
export function shareFull(what: string, max: number, retryAfterSeconds: number): Refusal {
  return refuse(429, `Too Many Requests: too many ${what} for this caller (limit ${max})`, {
    code: ErrorCode.TooManyRequests,
    headers: { "retry-after": String(retryAfterSeconds) },
    step: "principal-share",
  });
}
