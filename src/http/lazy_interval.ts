/**
 * A repeating timer that starts on the first {@linkcode LazyInterval.start}
 * (the first request), not when it is built: a handler created at module
 * scope sets no timer there (Cloudflare Workers forbids it). It never keeps
 * the process alive, and once stopped it cannot start again. It does not
 * know what it ticks for (the session sweep).
 * @module
 */

import { unrefTimer } from "../runtime.ts";

/** A repeating timer started by its first `start()`. */
export class LazyInterval {
  readonly #tick: () => void;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  /** Calls `tick` every `intervalMs` once started. */
  constructor(tick: () => void, intervalMs: number) {
    this.#tick = tick;
    this.#intervalMs = intervalMs;
  }

  /** True once the timer runs. */
  get started(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts the timer unless it runs or was stopped (cheap: called for every request). */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setInterval(this.#tick, this.#intervalMs);
    unrefTimer(this.#timer);
  }

  /** Stops the timer for good. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
