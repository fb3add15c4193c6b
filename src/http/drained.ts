/**
 * Bounded waits for `close()`: until a count reaches 0, or a promise
 * settles, whichever comes first or the time is up. Polling, for shutdown
 * only, never on a request's path.
 * @module
 */

/**
 * Resolves once `count` is 0, or after `ms`; true when it reached 0.
 *
 * @example
 * ```ts
 * import { drained } from "./drained.ts";
 * const done = await drained(100, () => 0); // true at once
 * ```
 */
export async function drained(ms: number, count: () => number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (count() > 0 && performance.now() < deadline) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(10, Math.max(1, deadline - performance.now())))
    );
  }
  return count() === 0;
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (it never rejects). */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise.then(() => {}, () => {}), late]);
  clearTimeout(timer);
}
