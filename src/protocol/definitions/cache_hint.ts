/**
 * Cache hints (2026-07-28): how long a client may reuse a result, and whether
 * it may share it between callers. They are data on definitions and options;
 * only the modern wire sends them.
 * @module
 */

/**
 * How long a client may reuse a result, and who may share it.
 *
 * @example
 * ```ts
 * import { type CacheHint, createMcpHandler } from "@tether/mcp";
 * const aMinute: CacheHint = { ttlMs: 60_000, cacheScope: "public" };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], stateless: { cacheHints: { "tools/list": aMinute } } });
 * ```
 */
export interface CacheHint {
  /** Milliseconds the result stays fresh; 0 = do not reuse. */
  ttlMs: number;
  /** `public`: identical for every caller; `private`: only for the caller who asked. */
  cacheScope: "public" | "private";
}

/**
 * The cache hint of each cacheable 2026-07-28 method (the `stateless.cacheHints`
 * option); a method without one gets {@linkcode DEFAULT_CACHE_HINT}.
 *
 * @example
 * ```ts
 * import type { CacheHints } from "@tether/mcp";
 * const hints: CacheHints = { "tools/list": { ttlMs: 60_000, cacheScope: "public" } };
 * ```
 */
export type CacheHints = Partial<
  Record<
    | "server/discover"
    | "tools/list"
    | "prompts/list"
    | "resources/list"
    | "resources/templates/list"
    | "resources/read",
    CacheHint
  >
>;

/**
 * `{ ttlMs: 0, cacheScope: "private" }`: never reuse, never share.
 *
 * @example
 * ```ts
 * import { DEFAULT_CACHE_HINT } from "@tether/mcp/types";
 * console.log(DEFAULT_CACHE_HINT.ttlMs, DEFAULT_CACHE_HINT.cacheScope); // 0 "private"
 * ```
 */
export const DEFAULT_CACHE_HINT: CacheHint = Object.freeze({ ttlMs: 0, cacheScope: "private" });

/** Checks a cache hint given in options or a definition; throws a RangeError naming `where`. */
export function checkCacheHint(hint: CacheHint, where: string): CacheHint {
  if (
    typeof hint !== "object" || hint === null || !Number.isSafeInteger(hint.ttlMs) || hint.ttlMs < 0
  ) {
    throw new RangeError(`${where}: ttlMs must be a non-negative integer`);
  }
  if (hint.cacheScope !== "public" && hint.cacheScope !== "private") {
    throw new RangeError(`${where}: cacheScope must be "public" or "private"`);
  }
  return hint;
}
