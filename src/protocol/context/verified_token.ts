/**
 * The bearer token a principal was verified from (the `oauth` option), kept
 * beside the principal object in a WeakMap for the gateway's token exchange.
 * Internal: not exported from any entry point, so no hook can forward it.
 * @module
 */

import type { Principal } from "./principal.ts";

/** A verified downstream token and the resource (audience) it was verified for. */
export interface VerifiedToken {
  /** The access token as the client sent it. */
  readonly token: string;
  /** The canonical resource URI it was verified for (the handler's `oauth.resource`). */
  readonly resource: string;
}

const verified = new WeakMap<Principal, VerifiedToken>();

/**
 * Records that `principal` was verified from `token` for `resource`. A
 * verifier that hands out one principal object for several tokens keeps the
 * latest (they name the same caller).
 *
 * @example
 * ```ts
 * import { rememberVerifiedToken } from "./verified_token.ts";
 * rememberVerifiedToken({ id: "alice" }, "token", "https://mcp.example.com/mcp");
 * ```
 */
export function rememberVerifiedToken(principal: Principal, token: string, resource: string): void {
  if (typeof principal === "object" && principal !== null) {
    verified.set(principal, { token, resource });
  }
}

/**
 * The token `principal` was verified from, when tether's `oauth` verified it.
 *
 * @example
 * ```ts
 * import { verifiedTokenOf } from "./verified_token.ts";
 * console.log(verifiedTokenOf({ id: "alice" })); // undefined
 * ```
 */
export function verifiedTokenOf(principal: Principal): VerifiedToken | undefined {
  return verified.get(principal);
}
