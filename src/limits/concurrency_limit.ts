/**
 * The `maxConcurrentRequests` cap (seed 001's Rack app): a burst, or a
 * client that starts slow calls and hangs up, cannot make the process take
 * on more work than it can finish; past the cap a request is `503` with
 * `Retry-After` before its body is read. A request counts from the entry
 * until its answer is built and the work behind it is done: a POST answered
 * on an SSE stream (or with a `499` to a client that left) counts until its
 * handlers return, whether or not the client is still reading
 * (work_after_response.ts). GET listening streams and 2026
 * `subscriptions/listen` streams are subscriptions, not work: they count
 * only while being set up. A POST that carries a request also counts
 * against its principal's share, from authentication on (the entry's
 * guards run before anyone is known), so one caller cannot hold the whole
 * pool; replies and cancellations never count against a share, so a
 * principal at its share can still reach its own work. Per process; it does
 * not queue.
 * @module
 */

import { PrincipalShares, shareFull } from "./principal_shares.ts";
import { type Refusal, refuse } from "../http/refusal.ts";
import { workBehind } from "../http/work_after_response.ts";

/** Counts requests in progress against a cap. */
export class ConcurrencyLimit {
  /** The cap. */
  readonly max: number;
  #active = 0;
  #shares: PrincipalShares | undefined;
  /** The principal each request in progress counts against, once claimed. */
  #owners = new WeakMap<Request, string>();

  /** A limit of `max` requests at once, at most `maxPerPrincipal` of them one principal's. */
  constructor(max: number, maxPerPrincipal?: number) {
    this.max = max;
    this.#shares = maxPerPrincipal === undefined || maxPerPrincipal >= max
      ? undefined
      : new PrincipalShares(maxPerPrincipal);
  }

  /** Requests being handled now. */
  get active(): number {
    return this.#active;
  }

  /** Takes a place; false when the cap is reached (the caller refuses the request). */
  enter(): boolean {
    if (this.#active >= this.max) return false;
    this.#active++;
    return true;
  }

  /** The `503` for a request past the cap (a place is usually free within a second). */
  full(): Refusal {
    return refuse(503, "Service Unavailable: too many requests in progress, retry later", {
      headers: { "retry-after": "1" },
    });
  }

  /**
   * Counts `request`, which holds a place, against `ownerKey`'s share (once
   * per request); the `429` when that principal holds its share already.
   */
  claim(request: Request, ownerKey: string): Refusal | undefined {
    const shares = this.#shares;
    if (shares === undefined || this.#owners.has(request)) return undefined;
    if (!shares.take(ownerKey)) return shareFull("requests in progress", shares.max, 1);
    this.#owners.set(request, ownerKey);
    return undefined;
  }

  /** Gives `request`'s place back, and its principal's share. */
  leave(request: Request): void {
    this.#active--;
    const owner = this.#owners.get(request);
    if (owner === undefined) return;
    this.#owners.delete(request);
    this.#shares!.give(owner);
  }

  /** Gives `request`'s place back once the work behind `response` is done: at once when there is none. */
  release(request: Request, response: Response): Response {
    const work = workBehind(response);
    if (work === undefined) this.leave(request);
    else {
      const leave = () => this.leave(request);
      work.then(leave, leave);
    }
    return response;
  }
}
