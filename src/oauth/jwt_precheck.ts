/**
 * The checks of a JWT access token that need no key, made before the
 * issuer is asked for one: the compact shape (three base64url segments), a
 * header and payload that decode, an accepted `alg`, this issuer's `iss`,
 * an `exp` (unless not required) not past, and `nbf` and `iat` not in the
 * future, all with the clock tolerance. A bearer string that fails them
 * costs the issuer nothing. It proves nothing either: the claims are
 * unverified here, jose checks the signature and the claims again after.
 * @module
 */

import { decodeJwt, decodeProtectedHeader } from "jose";
import { InvalidTokenError } from "../auth/invalid_token_error.ts";

/** A JWS in compact serialization: header, payload and signature, base64url. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What {@linkcode precheckJwt} compares a token with. */
export interface JwtPrecheck {
  /** The issuer its `iss` must name. */
  issuer: string;
  /** The signature algorithms accepted. */
  algorithms: readonly string[];
  /** Whether a token without `exp` is refused. */
  requireExpiry: boolean;
  /** Clock skew tolerated, seconds. */
  clockToleranceSeconds: number;
  /** The time, ms since the epoch. */
  now: number;
}

/**
 * Throws an {@linkcode InvalidTokenError} for a token that cannot be good,
 * whatever its signature.
 *
 * @example
 * ```ts
 * import { precheckJwt } from "./jwt_precheck.ts";
 * const issuer = "https://auth.example.com";
 * precheckJwt("opaque-token", { issuer, algorithms: ["RS256"], requireExpiry: true, clockToleranceSeconds: 30, now: Date.now() });
 * // throws InvalidTokenError: not a JWT
 * ```
 */
export function precheckJwt(token: string, expected: JwtPrecheck): void {
  if (!COMPACT_JWS.test(token)) throw new InvalidTokenError("The access token is not a JWT");
  let header: { alg?: unknown };
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch (error) {
    throw new InvalidTokenError("The access token is not a JWT", { cause: error });
  }
  if (typeof header.alg !== "string" || !expected.algorithms.includes(header.alg)) {
    throw new InvalidTokenError("The access token's algorithm is not accepted");
  }
  if (claims.iss !== expected.issuer) {
    throw new InvalidTokenError("The access token is from another issuer");
  }
  const now = expected.now / 1000;
  const tolerance = expected.clockToleranceSeconds;
  const { exp, nbf, iat } = claims;
  if (exp === undefined) {
    if (expected.requireExpiry) throw new InvalidTokenError("The access token has no exp");
  } else if (typeof exp !== "number" || exp <= now - tolerance) {
    throw new InvalidTokenError("The access token has expired");
  }
  for (const [name, value] of [["nbf", nbf], ["iat", iat]] as const) {
    if (value !== undefined && (typeof value !== "number" || value > now + tolerance)) {
      throw new InvalidTokenError(`The access token's ${name} is in the future`);
    }
  }
}
