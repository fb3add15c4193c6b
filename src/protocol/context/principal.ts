/**
 * Who is calling: the {@linkcode Principal} shape, the anonymous caller, and
 * the owner key that sessions, tasks, listen streams and shares are bound to.
 * @module
 */

/**
 * Who is calling. `id` must be stable for one user (it is what sessions are bound to).
 *
 * @example
 * ```ts
 * import { createMcpHandler, type Principal } from "@tether/mcp";
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   tools: [],
 *   auth: {
 *     authenticate: (request): Principal | undefined => {
 *       const user = request.headers.get("x-user");
 *       return user === null ? undefined : { id: user, scopes: ["read"] };
 *     },
 *   },
 * });
 * ```
 */
export interface Principal {
  /** A stable identifier of the caller (user id, service account, ...). */
  id: string;
  /**
   * Who vouched for `id` (an OAuth token's `iss`), when ids are only unique
   * per issuer: the caller is then (issuer, id), so two issuers' `"alice"`
   * never share a session or a task (`ownerKeyOf`). Unset: the id alone.
   */
  issuer?: string;
  /** Anything else the authenticator wants handlers to see (scopes, claims, ...). */
  [key: string]: unknown;
}

/**
 * The principal of callers when no `auth.authenticate` option is set, or it
 * returns undefined. It is a kind of its own, told apart by identity, not by
 * its `id`: a principal that `authenticate` returns with the id
 * `"anonymous"` is an authenticated user like any other, and a session opened
 * anonymously is never usable by it (nor the other way round).
 *
 * @example
 * ```ts
 * import { ANONYMOUS_PRINCIPAL, defineTool } from "@tether/mcp";
 * export const whoami = defineTool({
 *   name: "whoami",
 *   handler: (_input, ctx) => ctx.principal === ANONYMOUS_PRINCIPAL ? "anonymous" : ctx.principal.id,
 * });
 * ```
 */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({ id: "anonymous" });

/**
 * True for the anonymous principal (no credentials), false for every
 * principal that `authenticate` returned, whatever its id.
 *
 * @example
 * ```ts
 * import { ANONYMOUS_PRINCIPAL, isAnonymous } from "@tether/mcp";
 * isAnonymous(ANONYMOUS_PRINCIPAL); // true
 * isAnonymous({ id: "anonymous" }); // false: an authenticated user named "anonymous"
 * ```
 */
export function isAnonymous(principal: Principal): boolean {
  return principal === ANONYMOUS_PRINCIPAL;
}

/**
 * The key sessions, tasks, listen streams and shares are bound to: the
 * principal's kind, the issuer that vouched for it when it names one (a
 * string `issuer`, as OAuth token principals carry), and its id. So an
 * anonymous caller and a user whose id is `"anonymous"` never share one,
 * nor do two issuers' users with the same subject. Keys are `user:<id>`
 * without an issuer, `issuer:<issuer, URI-encoded>:<id>` with one (the
 * encoded issuer has no colon, so no two pairs share a key); the anonymous
 * key has no colon-free twin among them.
 *
 * @example
 * ```ts
 * import { ANONYMOUS_PRINCIPAL } from "@tether/mcp";
 * import { ownerKeyOf } from "./principal.ts";
 * ownerKeyOf({ id: "alice" }); // "user:alice"
 * ownerKeyOf({ id: "alice", issuer: "https://a.example" }); // "issuer:https%3A%2F%2Fa.example:alice"
 * ownerKeyOf(ANONYMOUS_PRINCIPAL); // "anonymous"
 * ```
 */
export function ownerKeyOf(principal: Principal): string {
  if (isAnonymous(principal)) return "anonymous";
  const issuer = principal.issuer;
  return typeof issuer === "string" && issuer !== ""
    ? `issuer:${encodeURIComponent(issuer)}:${principal.id}`
    : `user:${principal.id}`;
}
