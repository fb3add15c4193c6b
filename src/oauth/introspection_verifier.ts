/**
 * A verifier of opaque access tokens through the issuer's RFC 7662
 * introspection endpoint: the token is sent (with this server's client
 * credentials), and accepted only when the answer says `active: true`, names
 * this server's resource in `aud` (RFC 8707), the expected issuer when it
 * names one, and is not past `exp`. The principal is `sub`, or the token's
 * `client_id` for a client acting for itself (client credentials), with
 * the issuer (the `issuer` option, else the answer's `iss`). Answers are
 * not cached: each request asks (put a cache in front of `fetch` if the
 * issuer's load matters). An endpoint that fails is an
 * `IssuerUnavailableError` (503 + Retry-After), not a 401, and then it is
 * asked again only after `retryIntervalMs` (issuer_gate.ts).
 * @module
 */

import { InvalidTokenError } from "../auth/invalid_token_error.ts";
import type { AccessTokenVerifier, TokenPrincipal } from "../config/oauth_options.ts";
import { IssuerGate } from "./issuer_gate.ts";
import { fetchJson, type FetchOptions } from "./issuer_metadata.ts";
import { principalOfClaims } from "./token_principal.ts";

/**
 * Options of {@linkcode introspectionVerifier}.
 *
 * @example
 * ```ts
 * import type { IntrospectionVerifierOptions } from "@tether/mcp/oauth";
 * const options: IntrospectionVerifierOptions = {
 *   endpoint: "https://auth.example.com/token/introspection",
 *   clientId: "mcp-server",
 *   clientSecret: "s3cret",
 *   audience: "https://mcp.example.com/mcp",
 * };
 * ```
 */
export interface IntrospectionVerifierOptions extends FetchOptions {
  /** The introspection endpoint URL. */
  endpoint: string;
  /** This server's client id at the authorization server (HTTP Basic authentication). */
  clientId: string;
  /** Its client secret. */
  clientSecret: string;
  /** The resource URI tokens must be issued for (`aud`): the `oauth.resource` option. */
  audience: string;
  /** The issuer the answer's `iss` must name, when it names one. Default: not checked. */
  issuer?: string;
  /**
   * After a failed request to the endpoint, how long it is left alone, ms:
   * meanwhile requests are answered `503` with `Retry-After`. @default {30_000}
   */
  retryIntervalMs?: number;
  /** The clock, ms since the epoch. Default `Date.now`. Inject for tests. */
  now?: () => number;
}

/**
 * A token verifier for the `auth.oauth` option that asks the issuer about each token.
 *
 * @example
 * ```ts
 * import { introspectionVerifier } from "@tether/mcp/oauth";
 * const verifyAccessToken = introspectionVerifier({
 *   endpoint: "https://auth.example.com/token/introspection",
 *   clientId: "mcp-server",
 *   clientSecret: "s3cret",
 *   audience: "https://mcp.example.com/mcp",
 * });
 * ```
 */
export function introspectionVerifier(options: IntrospectionVerifierOptions): AccessTokenVerifier {
  if (!URL.canParse(options.endpoint)) {
    throw new TypeError(`introspectionVerifier: endpoint must be a URL, got ${options.endpoint}`);
  }
  const now = options.now ?? Date.now;
  const gate = new IssuerGate(options.issuer ?? options.endpoint, {
    retryIntervalMs: options.retryIntervalMs ?? 30_000,
    now,
  });
  // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
  const credentials = btoa(
    `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
  );
  return async (token: string): Promise<TokenPrincipal> => {
    const answer = await gate.attempt(async () => {
      const answered = await fetchJson(options.endpoint, options, {
        method: "POST",
        headers: {
          authorization: `Basic ${credentials}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
      });
      if (answered === undefined) throw new Error(`${options.endpoint} answered 404`);
      return answered;
    });
    if (answer.active !== true) throw new InvalidTokenError("The token is not active");
    const audiences = Array.isArray(answer.aud) ? answer.aud : [answer.aud];
    if (!audiences.includes(options.audience)) {
      throw new InvalidTokenError("The token was not issued for this resource");
    }
    if (options.issuer !== undefined && answer.iss !== undefined && answer.iss !== options.issuer) {
      throw new InvalidTokenError("The token is from another issuer");
    }
    if (typeof answer.exp === "number" && answer.exp * 1000 <= now()) {
      throw new InvalidTokenError("The token has expired");
    }
    const issuer = options.issuer ?? (typeof answer.iss === "string" ? answer.iss : undefined);
    return principalOfClaims(answer, issuer, true);
  };
}
