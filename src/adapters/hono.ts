/**
 * Mounts a tether handler in a Hono app at any path, behind the app's own
 * middleware. Create the handler with `path: null` (or the mount path), and
 * optionally pass the principal your auth middleware established.
 * @module
 */

import type { Context } from "hono";
import type { Principal } from "../protocol/context.ts";
import { attachPrincipal } from "../principal_attachment.ts";

/** Options of {@linkcode mcpRoute}. */
export interface McpRouteOptions {
  /**
   * Reads the caller from the Hono context (set by your auth middleware).
   * Pair it with `authenticate: attachedPrincipal` in the handler options.
   */
  principal?: (c: Context) => Principal | undefined;
}

/**
 * A Hono route handler serving MCP.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { attachedPrincipal, createMcpHandler } from "@tether/mcp";
 * import { mcpRoute } from "@tether/mcp/hono";
 *
 * const mcp = createMcpHandler({ name: "app", version: "1.0.0", path: null, authenticate: attachedPrincipal });
 * const app = new Hono();
 * app.all("/api/mcp", mcpRoute(mcp, { principal: (c) => ({ id: c.req.header("x-user") ?? "anonymous" }) }));
 * ```
 */
export function mcpRoute(
  handler: (request: Request) => Promise<Response>,
  options: McpRouteOptions = {},
): (c: Context) => Promise<Response> {
  return (c: Context) => {
    const request = c.req.raw;
    const principal = options.principal?.(c);
    if (principal !== undefined) attachPrincipal(request, principal);
    return handler(request);
  };
}
