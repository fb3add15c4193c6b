/**
 * The `limits.rateLimits` option's shape: budgets per principal (every request,
 * after authentication) and per (principal, tool) at `tools/call`, kept in
 * a {@linkcode RateLimitStore}. Types only; rate_limits.ts applies them.
 * @module
 */

import type { RateLimitStore, RateQuota } from "./rate_limit_store.ts";

/**
 * Budgets per tool: `default` for every tool, `tools` by name (`null`: no
 * budget for that tool). A call of an unknown tool spends nothing (it fails
 * anyway).
 *
 * @example
 * ```ts
 * import type { ToolRateLimits } from "@tether/mcp";
 * const perTool: ToolRateLimits = {
 *   default: { limit: 60, windowSeconds: 60 },
 *   tools: { search: { limit: 10, windowSeconds: 60 }, ping: null },
 * };
 * ```
 */
export interface ToolRateLimits {
  /**
   * The budget of a tool not named in `tools`.
   * @default {none}
   */
  default?: RateQuota;
  /**
   * Budgets by tool name; `null` exempts a tool from `default`.
   * @default {none}
   */
  tools?: Record<string, RateQuota | null>;
}

/**
 * The `limits.rateLimits` option. Each principal (all anonymous callers are one)
 * has a budget of requests, and of calls of each tool; past it a request
 * is answered `429` with `Retry-After` and the `RateLimit` /
 * `RateLimit-Policy` headers, and runs nothing.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type RateLimitsOptions } from "@tether/mcp";
 * const rateLimits: RateLimitsOptions = {
 *   perPrincipal: { limit: 600, windowSeconds: 60 },
 *   perTool: { default: { limit: 60, windowSeconds: 60 } },
 * };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", limits: { rateLimits } });
 * ```
 */
export interface RateLimitsOptions {
  /**
   * Requests one principal may make (GET and DELETE too; a 2025-03-26 batch spends one per request
   * in it, all or none; a POST of only replies and notifications is free).
   * @default {none}
   */
  perPrincipal?: RateQuota;
  /**
   * `tools/call`s one principal may make of one tool.
   * @default {none}
   */
  perTool?: ToolRateLimits;
  /**
   * Where the budgets are kept.
   * @default {a `MemoryRateLimitStore` (per process)}
   */
  store?: RateLimitStore;
}
