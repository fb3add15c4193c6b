/**
 * A cap on requests being handled at once (seed 001's Rack app), so a burst
 * cannot make the process take on more work than it can finish. A request
 * counts from the entry until its answer is built; a POST answered on an SSE
 * stream counts until that stream ends (its work is still running). GET
 * listening streams and 2026 `subscriptions/listen` streams are
 * subscriptions, not work: they count only while being set up.
 * @module
 */

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

  /** Gives a place back. */
  leave(): void {
    this.#active--;
  }

  /**
   * Gives the place back when `response` is done: at once for a complete
   * answer, when the body ends or is cancelled for a streamed one.
   */
  release(response: Response, streamed: boolean): Response {
    if (!streamed || response.body === null) {
      this.leave();
      return response;
    }
    let left = false;
    const leaveOnce = () => {
      if (left) return;
      left = true;
      this.leave();
    };
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            leaveOnce();
            controller.close();
          } else controller.enqueue(value);
        } catch (error) {
          leaveOnce();
          controller.error(error);
        }
      },
      cancel(reason) {
        leaveOnce();
        return reader.cancel(reason);
      },
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}
