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

/** How many places each principal holds, against one cap per principal. */
export class PrincipalShares {
  /** Places one principal may hold at once. */
  readonly max: number;
  /** Only principals holding something are kept: the map is bounded by the pool. */
  #held = new Map<string, number>();

  /** Shares of at most `max` places per principal. */
  constructor(max: number) {
    this.max = max;
  }

  /** Places `ownerKey` holds now. */
  held(ownerKey: string): number {
    return this.#held.get(ownerKey) ?? 0;
  }

  /** Takes a place for `ownerKey`; false when it holds its share already. */
  take(ownerKey: string): boolean {
    const held = this.held(ownerKey);
    if (held >= this.max) return false;
    this.#held.set(ownerKey, held + 1);
    return true;
  }

  /** Gives one of `ownerKey`'s places back. */
  give(ownerKey: string): void {
    const held = this.held(ownerKey);
    if (held <= 1) this.#held.delete(ownerKey);
    else this.#held.set(ownerKey, held - 1);
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
