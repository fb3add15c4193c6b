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
 * same watch gives request bodies their deadline (see body/read_body.ts). Its
 * timer runs on the handler's `scheduler` (the runtime's by default), so a
 * test advances the delay instead of waiting for it.
 * `request.signal` is deliberately not
 * used: Deno does not always abort it while no response has started (seen
 * with requests of a few hundred bytes), and reading it costs about 10 µs per
 * request there.
 * @module
 */

import { realScheduler, type Scheduler, unrefTimer } from "../runtime.ts";

/** A call the watch can tell it has run long. */
export interface SlowCall {
  /** Called once the call has run `delayMs` (possibly more than once: make it idempotent). */
  slow(): void;
  /**
   * Its place in the watch while watched, kept by {@linkcode SlowCalls}
   * (declare it `undefined` on the class, so every instance has the same
   * shape); a call is in one watch at a time.
   */
  slowWatch?: unknown;
}

/** The timer's handle while its tick runs (an add() then sets none; the tick sets the next). */
const TICKING: unique symbol = Symbol("ticking");

/** The delay after which a running call is answered on a stream, ms. */
export const STREAM_AFTER_MS = 200;

/** A watched call's place: the tick it was added at, and its neighbours in the order added. */
class Watched<T> {
  readonly call: T;
  readonly owner: SlowCalls<SlowCall>;
  readonly since: number;
  previous: Watched<T> | undefined = undefined;
  next: Watched<T> | undefined = undefined;

  constructor(call: T, owner: SlowCalls<SlowCall>, since: number) {
    this.call = call;
    this.owner = owner;
    this.since = since;
  }
}

/**
 * One timer for every running call. The calls are a list in the order
 * they were added, each holding its place (`slowWatch`): adding and removing
 * one is a link and an unlink, with no Map to hash into or shrink (a Map's
 * `set` + `delete` cost every request about 0.8k instructions per watch).
 */
export class SlowCalls<T extends SlowCall = SlowCall> {
  #first: Watched<T> | undefined = undefined;
  #last: Watched<T> | undefined = undefined;
  #size = 0;
  #delayMs: number;
  #ticksPerDelay: number;
  #scheduler: Scheduler;
  /** The pending tick's handle on {@linkcode Scheduler}, undefined while none is set. */
  #timer: unknown = undefined;
  /** Ticks so far (it never resets: a call added between two timers waits as long). */
  #ticks = 0;

  /**
   * `delayMs`: how long a call runs before it is told; `ticksPerDelay`: the
   * timer's resolution (a call is told at most `delayMs / ticksPerDelay` late);
   * `scheduler`: the clock and timers the ticks run on.
   */
  constructor(
    delayMs: number = STREAM_AFTER_MS,
    ticksPerDelay = 2,
    scheduler: Scheduler = realScheduler,
  ) {
    this.#delayMs = delayMs;
    this.#ticksPerDelay = ticksPerDelay;
    this.#scheduler = scheduler;
  }

  /** Calls running now. */
  get size(): number {
    return this.#size;
  }

  /** True while `call` is watched here. */
  has(call: T): boolean {
    return (call.slowWatch as Watched<T> | undefined)?.owner === this;
  }

  /** Watches a call until {@linkcode delete} (adding a watched call again changes nothing). */
  add(call: T): void {
    if (call.slowWatch !== undefined) return;
    this.#link(call, this.#ticks);
    if (this.#timer === undefined) this.#arm();
  }

  /** Stops watching a call (it finished or was answered); one not watched here is left alone. */
  delete(call: T): void {
    const watched = call.slowWatch as Watched<T> | undefined;
    if (watched?.owner !== this) return;
    call.slowWatch = undefined;
    const { previous, next } = watched;
    if (previous === undefined) this.#first = next;
    else previous.next = next;
    if (next === undefined) this.#last = previous;
    else next.previous = previous;
    this.#size--;
  }

  /** Stops the timer and forgets every call. */
  stop(): void {
    for (let watched = this.#first; watched !== undefined; watched = watched.next) {
      watched.call.slowWatch = undefined;
    }
    this.#first = this.#last = undefined;
    this.#size = 0;
    this.stopTimer();
  }

  /** Stops the timer and keeps the calls (they still count); a later {@linkcode add} starts it again. */
  protected stopTimer(): void {
    if (this.#timer !== undefined && this.#timer !== TICKING) {
      this.#scheduler.clearTimeout(this.#timer);
    }
    this.#timer = undefined;
  }

  /** Sets the next tick (one timer for every call, set again after each tick while any runs). */
  #arm(): void {
    this.#timer = this.#scheduler.setTimeout(
      this.#tick,
      Math.max(1, this.#delayMs / this.#ticksPerDelay),
    );
    unrefTimer(this.#timer);
  }

  #tick = (): void => {
    this.#timer = TICKING;
    this.#check();
    // Set again unless a call told above stopped the timer (or stopped it and set it anew).
    if (this.#timer !== TICKING) return;
    this.#timer = undefined;
    if (this.#size > 0) this.#arm();
  };

  /** The calls watched now, in the order they were added (a copy). */
  protected calls(): T[] {
    const calls: T[] = [];
    for (let watched = this.#first; watched !== undefined; watched = watched.next) {
      calls.push(watched.call);
    }
    return calls;
  }

  #link(call: T, since: number): void {
    const watched = new Watched(call, this as SlowCalls<SlowCall>, since);
    call.slowWatch = watched;
    const last = this.#last;
    watched.previous = last;
    if (last === undefined) this.#first = watched;
    else last.next = watched;
    this.#last = watched;
    this.#size++;
  }

  #check(): void {
    if (this.#size === 0) return;
    // The first tick can come at once after a call is added: it waits one more than a delay's worth.
    const due = ++this.#ticks - (this.#ticksPerDelay + 1);
    // In the order added, so in tick order: the first one not yet due ends the walk. The next is
    // read before telling a call, which may stop watching itself.
    let watched = this.#first;
    while (watched !== undefined && watched.since <= due) {
      const next = watched.next;
      // Unless an earlier call's slow() ended its watch.
      if (watched.call.slowWatch === watched) watched.call.slow();
      watched = next;
    }
  }
}
