/**
 * The deadline of one test-client call, so a call the server never answers
 * fails the test instead of hanging its runner. The deadline aborts the
 * call like a test's own signal would (the server is told it is cancelled)
 * and the call rejects with a `TimeoutError` naming the method. It does not
 * time anything else (connect's initialize uses it too, as one call).
 * @module
 */

import type { CallOptions } from "./client_types.ts";

/**
 * Runs `call` with `options.signal` replaced by one that also aborts after
 * `timeoutMs` (0: no deadline), with a `TimeoutError` `DOMException`.
 *
 * @example
 * ```ts
 * import { withDeadline } from "./call_deadline.ts";
 * const answer = await withDeadline({}, 1_000, "tools/list", async (options) => options.signal!.aborted);
 * console.log(answer); // false
 * ```
 */
export async function withDeadline<T>(
  options: CallOptions,
  timeoutMs: number,
  method: string,
  call: (options: CallOptions) => Promise<T>,
): Promise<T> {
  if (timeoutMs <= 0 || !Number.isFinite(timeoutMs)) return await call(options);
  const controller = new AbortController();
  const outer = options.signal;
  const forward = () => controller.abort(outer!.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener("abort", forward, { once: true });
  const timer = setTimeout(() => {
    controller.abort(
      new DOMException(`No answer to ${method} within ${timeoutMs} ms`, "TimeoutError"),
    );
  }, timeoutMs);
  try {
    return await call({ ...options, signal: controller.signal });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", forward);
  }
}
