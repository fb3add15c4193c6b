/**
 * The OAuth scopes a tool, prompt or resource declares (`scopes: [...]`):
 * their check at definition time, and which of them a caller lacks. A
 * scope is an RFC 6749 §3.3 scope token, so it can be written into a
 * `WWW-Authenticate` header as it is. It does not build the 403 challenge
 * (src/auth/bearer_challenge.ts) nor decide when to ask (src/auth/scope_check.ts).
 * @module
 */

import type { Principal } from "../context/request_context.ts";

/** No scopes: what a definition without `scopes` needs (shared, so asking allocates nothing). */
export const NO_SCOPES: readonly string[] = Object.freeze([]);

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** True for one RFC 6749 scope token (no space, quote or backslash). */
export function isScopeToken(value: unknown): value is string {
  return typeof value === "string" && SCOPE_TOKEN.test(value);
}

/**
 * Throws a TypeError naming `owner` unless `scopes` is undefined or an array
 * of scope tokens.
 *
 * @example
 * ```ts
 * import { checkScopes } from "./scopes.ts";
 * checkScopes(["mcp:admin"], 'Tool "admin_report"'); // fine
 * ```
 */
export function checkScopes(scopes: unknown, owner: string): void {
  if (scopes === undefined) return;
  if (!Array.isArray(scopes) || !scopes.every(isScopeToken)) {
    throw new TypeError(
      `${owner}: scopes must be an array of OAuth scope tokens (no spaces or quotes)`,
    );
  }
}

/** The scopes a principal holds: its `scopes` array's strings (none without one). */
export function scopesOf(principal: Principal): readonly string[] {
  const scopes = principal.scopes;
  return Array.isArray(scopes) ? scopes.filter((scope) => typeof scope === "string") : [];
}

/**
 * The scopes of `required` that `principal` does not hold, in order; empty
 * when it holds them all.
 *
 * @example
 * ```ts
 * import { missingScopes } from "./scopes.ts";
 * missingScopes(["mcp:read", "mcp:admin"], { id: "alice", scopes: ["mcp:read"] }); // ["mcp:admin"]
 * ```
 */
export function missingScopes(required: readonly string[], principal: Principal): string[] {
  if (required.length === 0) return [];
  const held = scopesOf(principal);
  return required.filter((scope) => !held.includes(scope));
}
