/**
 * The few runtime shims tether needs, in one place: the end of the current
 * task (what writes wait for so that everything sent in one task goes out as
 * one chunk; `setImmediate` where the runtime has it, as Node, Deno and Bun
 * do, else a zero timeout), and timers that do not keep the process alive.
 * Everything else is written against web standards.
 * @module
 */

/** The longest delay a timer takes (about 24.8 days): runtimes fire a longer one after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Schedules a callback. */
type Schedule = (callback: () => void) => unknown;

/**
 * Runs `callback` once the current task and its microtasks are over.
 *
 * @example
 * ```ts
 * import { nextTask } from "./runtime.ts";
 * nextTask(() => console.log("after every promise reaction queued so far"));
 * ```
 */
export const nextTask: Schedule = (globalThis as { setImmediate?: Schedule }).setImmediate ??
  ((callback) => setTimeout(callback, 0));

/** Resolves once the current task and its microtasks are over. */
export function afterThisTask(): Promise<void> {
  return new Promise((resolve) => nextTask(resolve));
}

/**
 * The clock and timers of a handler's bounded waits (close()'s wait for aborted work, a session
 * resource's disposal bound, the orphan deadline, a failed stream's retried end, a follower's
 * lease and retries, a stream's flush window, the bus's release, and the one shared timer of the
 * switch to a stream and of body deadlines): the runtime's by default; a test passes one whose
 * clock advances without waiting. Heartbeats do not run on it.
 */
export interface Scheduler {
  /** Milliseconds on this scheduler's clock. */
  now(): number;
  /** Runs `callback` after `ms` on this clock; the handle is for {@linkcode Scheduler.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a callback not yet run. */
  clearTimeout(handle: unknown): void;
}

/** The runtime's clock (`performance.now()`) and timers. */
export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Lets the process exit while only this timer is pending (Node, Bun and Deno).
 *
 * @example
 * ```ts
 * import { unrefTimer } from "./runtime.ts";
 * const sweep = setInterval(() => {}, 60_000);
 * unrefTimer(sweep); // a server with nothing else to do can still exit
 * clearInterval(sweep);
 * ```
 */
export function unrefTimer(timer: unknown): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer) {
    (timer as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof timer === "number" && deno?.unrefTimer) deno.unrefTimer(timer);
}
