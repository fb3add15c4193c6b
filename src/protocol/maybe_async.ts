/**
 * Values that may or may not be promises, for the call path: a synchronous
 * tool's result travels back through the dispatcher and the exchange in the
 * same turn. Each promise and microtask turn between a tool and its answer
 * costs about as much as one of the spec's checks on the way, under load
 * (bench/notes/2026-11-24-gap-under-load.md).
 * @module
 */

/** A value, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * True for anything `await` would wait for (a thenable), so a caller can go
 * on synchronously with the rest.
 *
 * @example
 * ```ts
 * import { isPromiseLike } from "./maybe_async.ts";
 * isPromiseLike(Promise.resolve(1)); // true
 * isPromiseLike({ content: [] }); // false
 * ```
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * `run()`'s outcome as a promise: its value, its promise, or its throw as a
 * rejection. For the callers that were promised a promise.
 *
 * @example
 * ```ts
 * import { settled } from "./maybe_async.ts";
 * await settled(() => 1); // 1
 * await settled(() => { throw new Error("no") }).catch((e) => e.message); // "no"
 * ```
 */
export function settled<T>(run: () => T | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}
