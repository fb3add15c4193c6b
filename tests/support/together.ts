/**
 * Independent test bodies run at the same time, a few at once, each still
 * reported by its own test: for files whose tests mostly wait on child
 * processes. node:test on Deno and Bun runs a file's tests one after another
 * whatever `concurrency` says, so such a file would take the sum of its
 * tests. The bodies must not share state; each keeps its own deadlines,
 * which must allow for the others starting their processes beside it.
 * Not a test file itself.
 * @module
 */

import { availableParallelism } from "node:os";

/**
 * How many bodies (or runs) at once: one per core, at least two. Each starts
 * processes that mostly compute; more at once would not finish sooner, and
 * each would take longer against its deadlines.
 */
export const AT_ONCE: number = Math.max(2, availableParallelism());

/**
 * At most `count` holders at once: the returned function resolves, once a
 * slot is free, with the function that frees it.
 */
export function slots(count: number = AT_ONCE): () => Promise<() => void> {
  let free = count;
  const queue: (() => void)[] = [];
  return async () => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => queue.push(resolve));
    return () => {
      const next = queue.shift();
      if (next === undefined) free++;
      else next();
    };
  };
}

/**
 * Wraps `bodies` so that the first test asking for one starts them all, in
 * order and at most `atOnce` at a time; each returned function resolves or
 * rejects as its own body does.
 * @example
 * ```ts ignore (a test file's shape; node:test runs it)
 * const run = together({ first: async () => {}, second: async () => {} });
 * describe("two clients", () => {
 *   it("the first", () => run.first());
 *   it("the second", () => run.second());
 * });
 * ```
 */
export function together<Name extends string>(
  bodies: Record<Name, () => Promise<void>>,
  atOnce: number = AT_ONCE,
): Record<Name, () => Promise<void>> {
  const names = Object.keys(bodies) as Name[];
  const slot = slots(atOnce);
  const launch = (name: Name) => {
    const run = (async () => {
      const release = await slot();
      try {
        await bodies[name]();
      } finally {
        release();
      }
    })();
    run.catch(() => {}); // reported by the test that awaits it
    return run;
  };
  let running: Map<Name, Promise<void>> | undefined;
  const start = () => running ??= new Map(names.map((name) => [name, launch(name)]));
  return Object.fromEntries(names.map((name) => [name, () => start().get(name)!])) as Record<
    Name,
    () => Promise<void>
  >;
}
