/**
 * The end of the current task: what writes wait for so that everything sent
 * in one task goes out as one chunk. Uses `setImmediate` where the runtime
 * has it (Node, Deno and Bun do), else a zero timeout.
 * @module
 */

/** Schedules a callback. */
type Schedule = (callback: () => void) => unknown;

/**
 * Runs `callback` once the current task and its microtasks are over.
 *
 * @example
 * ```ts
 * import { nextTask } from "./next_task.ts";
 * nextTask(() => console.log("after every promise reaction queued so far"));
 * ```
 */
export const nextTask: Schedule = (globalThis as { setImmediate?: Schedule }).setImmediate ??
  ((callback) => setTimeout(callback, 0));

/** Resolves once the current task and its microtasks are over. */
export function afterThisTask(): Promise<void> {
  return new Promise((resolve) => nextTask(resolve));
}
