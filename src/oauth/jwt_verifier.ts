/**
 * A verifier of JWT access tokens (RFC 9068) from one issuer, on `jose`:
 * first what needs no key (jwt_precheck.ts: a JWT of this issuer, with an
 * `exp` unless `requireExpiry: false`, not expired, `nbf`/`iat` not in the
 * future), so a bearer string that cannot be good never reaches the issuer;
 * then the signature against the issuer's keys (found from its metadata,
 * kept, refetched on an unknown key within a bound: key_set.ts), `iss`,
 * `aud` = this server's resource URI (RFC 8707), `exp` and `nbf` with a
 * small clock tolerance, and a subject. A token that fails any of them is an
 * {@linkcode InvalidTokenError} (401); an issuer that cannot be reached is
 * an `IssuerUnavailableError` (503 + Retry-After; issuer_gate.ts asks it at
 * most once per `retryIntervalMs` then), so clients are not sent to log in
 * for nothing. It does not check scopes (the handler does, per tool) nor
 * revocation (a JWT cannot tell; use introspection for that).
 * @module
 */

import { errors, jwtVerify } from "jose";
import { InvalidTokenError } from "../auth/invalid_token_error.ts";
import type { AccessTokenVerifier, TokenPrincipal } from "../config/oauth_options.ts";
import { IssuerGate } from "./issuer_gate.ts";
import { discoverIssuer, type FetchOptions } from "./issuer_metadata.ts";
import { precheckJwt } from "./jwt_precheck.ts";
import { KeySet } from "./key_set.ts";
import { principalOfClaims } from "./token_principal.ts";

/** Asymmetric signature algorithms: a shared-secret (HS*) token is never accepted from an issuer's JWKS. */
const ASYMMETRIC = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/**
 * Options of {@linkcode jwtVerifier}.
 *
 * @example
 * ```ts
 * import type { JwtVerifierOptions } from "@tether/mcp/oauth";
 * const options: JwtVerifierOptions = {
 *   issuer: "https://auth.example.com",
 *   audience: "https://mcp.example.com/mcp",
 * };
 * ```
 */
export interface JwtVerifierOptions extends FetchOptions {
  /** The issuer whose tokens are trusted, exactly as its tokens' `iss` says it. */
  issuer: string;
  /** The resource URI tokens must be issued for (their `aud`): the `oauth.resource` option. */
  audience: string;
  /** The issuer's JWKS URL. Default: its metadata's `jwks_uri` (RFC 8414, then OpenID discovery). */
  jwksUri?: string;
  /** Signature algorithms accepted. Default: the asymmetric ones (RS*, PS*, ES*, EdDSA). */
  algorithms?: readonly string[];
  /** Clock skew tolerated on `exp`, `nbf` and `iat` (a token issued in the future is refused), seconds. @default {30} */
  clockToleranceSeconds?: number;
  /**
   * Refuse tokens without `exp` (a token that never expires cannot be taken
   * back). Set `false` only for an issuer that omits it. @default {true}
   */
  requireExpiry?: boolean;
  /**
   * The shortest time between two fetches of the keys for a token naming a
   * key id they lack (a rotation): the bound that protects the issuer from
   * made-up key ids, one fetch per interval whatever the request rate, ms.
   * @default {5_000}
   */
  refetchIntervalMs?: number;
  /**
   * After a failed request to the issuer (metadata or keys), how long it is
   * left alone, ms: meanwhile tokens that need it are answered `503` with
   * `Retry-After`, without a request each. @default {30_000}
   */
  retryIntervalMs?: number;
  /** How long fetched keys are used before they are fetched again, ms. @default {600_000} */
  keysMaxAgeMs?: number;
  /** Required `typ` header (e.g. `"at+jwt"`, RFC 9068). Default: not checked (many issuers send `JWT`). */
  typ?: string;
  /** The clock, ms since the epoch. Default `Date.now`. Inject for tests. */
  now?: () => number;
}

/**
 * A token verifier for the `auth.oauth` option: JWT access tokens of `issuer`
 * for `audience`.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { jwtVerifier } from "@tether/mcp/oauth";
 *
 * const resource = "https://mcp.example.com/mcp";
 * const issuer = "https://auth.example.com";
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   tools: [],
 *   auth: {
 *     oauth: {
 *       resource,
 *       authorizationServers: [issuer],
 *       verifyAccessToken: jwtVerifier({ issuer, audience: resource }),
 *     },
 *   },
 * });
 * ```
 */
export function jwtVerifier(options: JwtVerifierOptions): AccessTokenVerifier {
  const { issuer, audience } = options;
  for (const [name, value] of [["issuer", issuer], ["audience", audience]]) {
    if (typeof value !== "string" || !URL.canParse(value)) {
      throw new TypeError(`jwtVerifier: ${name} must be a URL, got ${String(value)}`);
    }
  }
  const now = options.now ?? Date.now;
  const gate = new IssuerGate(issuer, { retryIntervalMs: options.retryIntervalMs ?? 30_000, now });
  const keys = new KeySet(
    async () => options.jwksUri ?? jwksUriOf(await discoverIssuer(issuer, options)),
    {
      ...options,
      refetchIntervalMs: options.refetchIntervalMs ?? 5_000,
      maxAgeMs: options.keysMaxAgeMs ?? 600_000,
      gate,
      now,
    },
  );
  const algorithms = [...(options.algorithms ?? ASYMMETRIC)];
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const requireExpiry = options.requireExpiry ?? true;

  async function verify(token: string, resolver: Awaited<ReturnType<KeySet["current"]>>) {
    return await jwtVerify(token, resolver, {
      issuer,
      audience,
      algorithms,
      clockTolerance,
      requiredClaims: requireExpiry ? ["exp"] : [],
      currentDate: new Date(now()),
      ...(options.typ === undefined ? {} : { typ: options.typ }),
    });
  }

  return async (token: string): Promise<TokenPrincipal> => {
    precheckJwt(token, {
      issuer,
      algorithms,
      requireExpiry,
      clockToleranceSeconds: clockTolerance,
      now: now(),
    });
    const resolver = await keys.current();
    let verified;
    try {
      verified = await verify(token, resolver);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw asTokenError(error);
      // Rotation: the issuer may sign with a key published after our fetch.
      const fresh = keys.refetch();
      if (fresh === undefined) throw asTokenError(error);
      try {
        verified = await verify(token, await fresh);
      } catch (again) {
        throw asTokenError(again);
      }
    }
    return principalOfClaims(verified.payload as Record<string, unknown>, issuer);
  };
}

/** The metadata's `jwks_uri`, or an error (the issuer publishes no keys). */
function jwksUriOf(metadata: { issuer: string; jwks_uri?: unknown }): string {
  if (typeof metadata.jwks_uri !== "string") {
    throw new Error(`The metadata of ${metadata.issuer} names no jwks_uri`);
  }
  return metadata.jwks_uri;
}

/** A jose error about the token becomes an InvalidTokenError; anything else stays what it is. */
function asTokenError(error: unknown): unknown {
  if (error instanceof errors.JOSEError) {
    return new InvalidTokenError(`Access token refused: ${error.code}`, { cause: error });
  }
  return error;
}
