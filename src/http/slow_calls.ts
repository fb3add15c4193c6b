/**
 * Calls still running after a moment. Both eras answer such a call on an SSE
 * stream even before it emits (in `auto` mode): the stream's end is how a
 * client that went away is noticed, the same way on every runtime, and a
 * sessionful stream gets event ids the client can resume from. One interval
 * timer serves every call (a timer per request was a tenth of a request's
 * CPU), ticking `ticksPerDelay` times per delay (2 by default); a call is told
 * at the tick after the `ticksPerDelay`-th since it was added, so between
 * `delayMs` and (1 + 1 / `ticksPerDelay`) × `delayMs` after it started, and no
 * call reads a clock (`performance.now()` costs up to 0.16 µs on Deno). The
 * same watch gives request bodies their deadline (see read_body.ts).
 * `request.signal` is deliberately not
 * used: Deno does not always abort it while no response has started (seen
 * with requests of a few hundred bytes), and reading it costs about 10 µs per
 * request there.
 * @module
 */

import { unrefTimer } from "../runtime.ts";

/** A call the watch can tell it has run long. */
export interface SlowCall {
  /** Called once the call has run `delayMs` (possibly more than once: make it idempotent). */
  slow(): void;
}

/** The delay after which a running call is answered on a stream, ms. */
export const STREAM_AFTER_MS = 200;

/** One timer for every running call. */
export class SlowCalls<T extends SlowCall = SlowCall> {
  /** The calls running now, each with the tick count when it was added. */
  protected readonly running = new Map<T, number>();
  #delayMs: number;
  #ticksPerDelay: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Ticks so far (it never resets: a call added between two timers waits as long). */
  #ticks = 0;

  /**
   * `delayMs`: how long a call runs before it is told; `ticksPerDelay`: the
   * timer's resolution (a call is told at most `delayMs / ticksPerDelay` late).
   */
  constructor(delayMs: number = STREAM_AFTER_MS, ticksPerDelay = 2) {
    this.#delayMs = delayMs;
    this.#ticksPerDelay = ticksPerDelay;
  }

  /** Calls running now. */
  get size(): number {
    return this.running.size;
  }

  /** Watches a call until {@linkcode delete}. */
  add(call: T): void {
    this.running.set(call, this.#ticks);
    if (this.#timer === undefined) {
      this.#timer = setInterval(
        () => this.#check(),
        Math.max(1, this.#delayMs / this.#ticksPerDelay),
      );
      unrefTimer(this.#timer);
    }
  }

  /** Stops watching a call (it finished or was answered). */
  delete(call: T): void {
    this.running.delete(call);
  }

  /** Stops the timer and forgets every call. */
  stop(): void {
    this.running.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    if (this.running.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    // The first tick can come at once after a call is added: it waits one more than a delay's worth.
    const due = ++this.#ticks - (this.#ticksPerDelay + 1);
    for (const [call, added] of this.running) if (added <= due) call.slow();
  }
}
