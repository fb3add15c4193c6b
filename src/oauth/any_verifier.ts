/**
 * Several trusted issuers behind one `verifyAccessToken`: the first verifier
 * that accepts a token decides. Each of this module's verifiers refuses a
 * token of another issuer (its `iss`) before any request, so only the
 * token's own issuer is ever asked. Verifiers are asked in order, one at a
 * time; an error other than a refusal (`IssuerUnavailableError`, a bug)
 * ends the search and is the answer.
 * @module
 */

import { InvalidTokenError } from "../auth/invalid_token_error.ts";
import type { AccessTokenVerifier } from "../config/oauth_options.ts";

/**
 * One verifier over several: the principal of the first that accepts the
 * token; the last refusal when none does. Principals carry their issuer,
 * so two issuers' users with one `sub` stay apart.
 *
 * @example
 * ```ts
 * import { anyVerifier, jwtVerifier } from "@tether/mcp/oauth";
 * const audience = "https://mcp.example.com/mcp";
 * const verifyAccessToken = anyVerifier([
 *   jwtVerifier({ issuer: "https://staff.example.com", audience }),
 *   jwtVerifier({ issuer: "https://partners.example.com", audience }),
 * ]);
 * ```
 */
export function anyVerifier(verifiers: readonly AccessTokenVerifier[]): AccessTokenVerifier {
  if (verifiers.length === 0) throw new TypeError("anyVerifier: give at least one verifier");
  if (verifiers.length === 1) return verifiers[0];
  return async (token, request) => {
    let refusal: unknown = new InvalidTokenError();
    for (const verify of verifiers) {
      try {
        const principal = await verify(token, request);
        if (principal !== null && principal !== undefined) return principal;
      } catch (error) {
        if (!(error instanceof InvalidTokenError)) throw error;
        refusal = error;
      }
    }
    throw refusal;
  };
}
