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
 * only while being set up. Per process; it does not queue.
 * @module
 */

import { type Refusal, refuse } from "./refusal.ts";
import { workBehind } from "./work_after_response.ts";

/** Counts requests in progress against a cap. */
export class ConcurrencyLimit {
  /** The cap. */
  readonly max: number;
  #active = 0;

  /** A limit of `max` requests at once. */
  constructor(max: number) {
    this.max = max;
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

  /** Gives a place back. */
  leave(): void {
    this.#active--;
  }

  /** Gives the place back once the work behind `response` is done: at once when there is none. */
  release(response: Response): Response {
    const work = workBehind(response);
    if (work === undefined) this.leave();
    else {
      const leave = () => this.leave();
      work.then(leave, leave);
    }
    return response;
  }
}
