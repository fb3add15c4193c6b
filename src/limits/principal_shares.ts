/**
 * Per-principal shares of a pool (listen streams, 2026-07-28 calls in
 * flight, `maxConcurrentRequests`), so one caller cannot take the whole pool
 * and lock everyone else out. Principals are counted by their owner key
 * (`ownerKeyOf`): every anonymous caller is the one anonymous principal, so
 * anonymous callers are capped together and can never crowd out an
 * authenticated one. It counts; it does not queue, and it knows nothing of
 * what is counted. Per process. {@linkcode shareFull} also answers for the
 * session share (`sessions.maxSessionsPerPrincipal`), which the session
 * store counts instead, so instances sharing a store share it.
 * @module
 */

import { ErrorCode } from "../jsonrpc/error_codes.ts";
import { IdleSweep } from "../http/idle_sweep.ts";
import { type Refusal, refuse } from "../http/refusal.ts";

/** A principal holding no place, kept until a sweep. */
const isIdle = (held: number) => held === 0;

/** How many places each principal holds, against one cap per principal. */
export class PrincipalShares {
  /** Places one principal may hold at once. */
  readonly max: number;
  /**
   * Places by principal. A caller that takes and gives back a place per
   * request (the common case: one principal, or every caller anonymous)
   * keeps its entry, holding 0, until a sweep (idle_sweep.ts), so the map is
   * bounded by the pool and that sweep's constant.
   */
  #held = new Map<string, number>();
  #sweep = new IdleSweep();

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
    const known = this.#held.get(ownerKey);
    const held = known ?? 0;
    if (held >= this.max) return false;
    if (known === undefined) this.#held = this.#sweep.beforeInsert(this.#held, isIdle);
    this.#held.set(ownerKey, held + 1);
    return true;
  }

  /** Gives one of `ownerKey`'s places back. */
  give(ownerKey: string): void {
    const held = this.#held.get(ownerKey);
    if (held !== undefined && held > 0) this.#held.set(ownerKey, held - 1);
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
