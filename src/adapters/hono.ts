/**
 * Mounts a tether handler in a Hono app at any path, behind the app's own
 * middleware. Create the handler with `path: null` (or the mount path), and
 * optionally pass the principal your auth middleware established.
 * @module
 */

import type { Principal } from "../protocol/context/request_context.ts";
import { attachPrincipal } from "../auth/principal_attachment.ts";

/**
 * The part of a Hono `Context` this adapter uses: the raw Request.
 *
 * @example
 * ```ts
 * import type { HonoContextLike } from "@tether/mcp/hono";
 * const requestOf = (c: HonoContextLike): Request => c.req.raw;
 * ```
 */
export interface HonoContextLike {
  /** Hono's request wrapper. */
  req: { raw: Request };
}

/**
 * Options of {@linkcode mcpRoute}.
 *
 * @example
 * ```ts
 * import type { McpRouteOptions } from "@tether/mcp/hono";
 * const options: McpRouteOptions = { principal: () => ({ id: "alice" }) };
 * ```
 */
export interface McpRouteOptions<C extends HonoContextLike = HonoContextLike> {
  /**
   * Reads the caller from the Hono context (set by your auth middleware).
   * Annotate `c` with your app's `Context` type to get typed `c.get(...)`.
   * Pair it with `authenticate: attachedPrincipal` in the handler options.
   */
  principal?: (c: C) => Principal | undefined;
}

/**
 * A Hono route handler serving MCP.
 *
 * @example
 * ```ts
 * import { type Context, Hono } from "hono";
 * import { attachedPrincipal, createMcpHandler } from "@tether/mcp";
 * import { mcpRoute } from "@tether/mcp/hono";
 *
 * type Env = { Variables: { userId: string } };
 * const mcp = createMcpHandler({ name: "app", version: "1.0.0", http: { path: null }, auth: { authenticate: attachedPrincipal } });
 * const app = new Hono<Env>();
 * // app.use("/api/*", yourAuthMiddleware) sets c.set("userId", ...)
 * app.all("/api/mcp", mcpRoute(mcp, { principal: (c: Context<Env>) => ({ id: c.get("userId") }) }));
 * ```
 */
export function mcpRoute<C extends HonoContextLike = HonoContextLike>(
  handler: (request: Request) => Promise<Response>,
  options: McpRouteOptions<C> = {},
): (c: C) => Promise<Response> {
  return (c: C) => {
    const request = c.req.raw;
    const principal = options.principal?.(c);
    if (principal !== undefined) attachPrincipal(request, principal);
    return handler(request);
  };
}
