/**
 * Hands a principal from a router's own auth middleware to the MCP handler:
 * the middleware attaches it to the Request object, and `authenticate:
 * attachedPrincipal` reads it back. Kept in a WeakMap, so nothing outlives the
 * request and nothing is added to the Request itself.
 * @module
 */

import type { Principal } from "../protocol/context/request_context.ts";

const principals = new WeakMap<Request, Principal>();

/**
 * Attaches `principal` to `request` for a later {@linkcode attachedPrincipal}.
 *
 * @example
 * ```ts
 * import { attachPrincipal } from "@tether/mcp";
 * const request = new Request("http://127.0.0.1/mcp");
 * attachPrincipal(request, { id: "alice" });
 * ```
 */
export function attachPrincipal(request: Request, principal: Principal): void {
  principals.set(request, principal);
}

/**
 * Reads the principal attached to `request`; use it as the `authenticate`
 * option when another layer authenticates.
 *
 * @example
 * ```ts
 * import { attachedPrincipal, createMcpHandler } from "@tether/mcp";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", auth: { authenticate: attachedPrincipal } });
 * ```
 */
export function attachedPrincipal(request: Request): Principal | undefined {
  return principals.get(request);
}
