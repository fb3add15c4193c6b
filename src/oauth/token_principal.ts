/**
 * The principal of a verified token from its claims (a JWT's payload or an
 * introspection answer): `id` from `sub`, `scopes` from `scope` (a
 * space-separated string, RFC 9068 / RFC 7662) or `scp` (a string or an
 * array, as some issuers send), `issuer` from the verified issuer (so the
 * caller is the pair issuer and subject: two issuers' "alice" are two
 * callers), and every claim kept in `claims`.
 * @module
 */

import { InvalidTokenError } from "../auth/invalid_token_error.ts";
import type { TokenPrincipal } from "../config/oauth_options.ts";

/** The scopes a token's claims grant. */
export function scopesOfClaims(claims: Record<string, unknown>): string[] {
  const granted = claims.scope ?? claims.scp;
  if (typeof granted === "string") return granted.split(" ").filter((scope) => scope !== "");
  if (Array.isArray(granted)) return granted.filter((scope) => typeof scope === "string");
  return [];
}

/**
 * The principal of `claims`, vouched for by `issuer` (none: the subject
 * alone); a token without a subject is refused. With `clientAsSubject`, a
 * token without `sub` (an introspection answer about a client-credentials
 * token, RFC 7662 makes `sub` optional) stands for its client, `client_id`.
 */
export function principalOfClaims(
  claims: Record<string, unknown>,
  issuer: string | undefined,
  clientAsSubject = false,
): TokenPrincipal {
  const sub = claims.sub ?? (clientAsSubject ? claims.client_id : undefined);
  if (typeof sub !== "string" || sub === "") {
    throw new InvalidTokenError("The token names no subject (sub)");
  }
  const principal: TokenPrincipal = { id: sub, scopes: scopesOfClaims(claims), claims };
  if (issuer !== undefined) principal.issuer = issuer;
  return principal;
}
