/**
 * The error a `verifyAccessToken` function (the `oauth` option) throws when
 * the token it was given is not good: expired, for another audience, from
 * another issuer, badly signed, unknown, revoked. The handler answers `401`
 * with `WWW-Authenticate: Bearer error="invalid_token"`. Any other error is
 * a failure of the verifier itself (an unreachable issuer): `onError` and a
 * 500, never a 401 that would send the client to log in again for nothing.
 * @module
 */

/**
 * Thrown by a token verifier for a token it rejects. The message is for
 * logs; the 401 says only `invalid_token`.
 *
 * @example
 * ```ts
 * import { InvalidTokenError } from "@tether/mcp";
 * const verifyAccessToken = (token: string) => {
 *   if (token !== "s3cret") throw new InvalidTokenError("unknown token");
 *   return { id: "alice", scopes: ["mcp:read"], claims: {} };
 * };
 * ```
 */
export class InvalidTokenError extends Error {
  /** Creates the error; `options.cause` keeps the verifier's own error. */
  constructor(message = "Invalid access token", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InvalidTokenError";
  }
}
