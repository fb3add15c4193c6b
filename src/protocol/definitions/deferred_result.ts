/**
 * A tool's return value that an extension completes rather than the tool
 * registry (the tasks extension's `runAsTask`): branded, so the registry
 * passes it through untouched. What completes it is the extension's business.
 * @module
 */

const DEFERRED = Symbol.for("tether.deferredResult");

/**
 * A tool's return value that an extension completes (e.g. the tasks
 * extension's `runAsTask`): it carries a brand the tool registry passes
 * through untouched.
 *
 * @example
 * ```ts
 * import { deferResult, isDeferredResult } from "@tether/mcp/extensions";
 * isDeferredResult(deferResult({ work: 1 })); // true
 * ```
 */
export interface DeferredResult {
  /** What the extension needs to complete it. */
  readonly value: unknown;
}

/** Brands `value` as a {@linkcode DeferredResult}. */
export function deferResult(value: unknown): DeferredResult {
  return Object.freeze({ value, [DEFERRED]: true });
}

/** True for a {@linkcode DeferredResult}. */
export function isDeferredResult(value: unknown): value is DeferredResult {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[DEFERRED] === true;
}
