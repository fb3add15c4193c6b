/**
 * Bounded waits for `close()`: until a count reaches 0, or a promise
 * settles, whichever comes first or the time is up. Polling, for shutdown
 * only, never on a request's path.
 * Both run on a {@linkcode Scheduler} (tests pass one whose clock advances without waiting).
 * @module
 */

import { realScheduler, type Scheduler } from "../runtime.ts";

/**
 * Resolves once `count` is 0, or after `ms`; true when it reached 0.
 *
 * @example
 * ```ts
 * import { drained } from "./drained.ts";
 * const done = await drained(100, () => 0); // true at once
 * ```
 */
export async function drained(
  ms: number,
  count: () => number,
  scheduler: Scheduler = realScheduler,
): Promise<boolean> {
  const deadline = scheduler.now() + ms;
  while (count() > 0 && scheduler.now() < deadline) {
    await new Promise<void>((resolve) =>
      scheduler.setTimeout(resolve, Math.min(10, Math.max(1, deadline - scheduler.now())))
    );
  }
  return count() === 0;
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (it never rejects). */
export async function settledWithin(
  promise: Promise<unknown>,
  ms: number,
  scheduler: Scheduler = realScheduler,
): Promise<void> {
  let timer: unknown;
  const late = new Promise<void>((resolve) => (timer = scheduler.setTimeout(resolve, ms)));
  await Promise.race([promise.then(() => {}, () => {}), late]);
  scheduler.clearTimeout(timer);
}
