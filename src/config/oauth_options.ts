/**
 * The `auth.oauth` option's vocabulary: what makes the handler an OAuth 2.1
 * protected resource (its resource URI, authorization servers, scopes) and
 * the token verifier it calls, with the principal a verifier returns. Types
 * only (the `auth.oauth` option); protected_resource.ts in src/auth/ acts on them, and
 * `@tether/mcp/oauth` (src/oauth/) builds verifiers.
 * @module
 */

import type { DpopReplayStore } from "../storage/dpop/dpop_replay_store.ts";
import type { Principal } from "../protocol/context/request_context.ts";

export type { DpopReplayStore };

/**
 * The caller an access token stands for, as a token verifier returns it:
 * `id` is the token's subject (`sub`) and `issuer` the authorization server
 * that issued it: sessions, tasks and listen streams are bound to the pair
 * (a subject is unique only within its issuer); `scopes` the scopes it
 * grants; `claims` whatever else the verifier read (handlers see them all
 * on `ctx.principal`; never the token itself).
 *
 * @example
 * ```ts
 * import type { TokenPrincipal } from "@tether/mcp";
 * const alice: TokenPrincipal = { id: "alice", scopes: ["mcp:read"], claims: { sub: "alice" } };
 * ```
 */
export interface TokenPrincipal extends Principal {
  /** The token's subject. */
  id: string;
  /** The issuer that vouched for it (`iss`); unset: the subject alone names the caller. */
  issuer?: string;
  /** The scopes the token grants. */
  scopes: readonly string[];
  /** The token's claims (or the introspection answer). */
  claims: Record<string, unknown>;
}

/**
 * Checks one bearer token: its principal, or null/undefined (or a thrown
 * {@linkcode InvalidTokenError}) for a token it rejects, which is answered
 * `401` `invalid_token`. Any other thrown error is the verifier failing
 * (`onError`, 500). `jwtVerifier` and `introspectionVerifier` in
 * `@tether/mcp/oauth` build one.
 *
 * @example
 * ```ts
 * import type { AccessTokenVerifier } from "@tether/mcp";
 * const verify: AccessTokenVerifier = (token) =>
 *   token === "s3cret" ? { id: "alice", scopes: ["mcp:read"], claims: {} } : null;
 * ```
 */
export type AccessTokenVerifier = (
  token: string,
  request: Request,
) => TokenPrincipal | null | undefined | Promise<TokenPrincipal | null | undefined>;

/**
 * The handler as an OAuth 2.1 protected resource (MCP authorization): the
 * RFC 9728 metadata document, bearer tokens on every MCP request, and the
 * 401/403 challenges clients discover the authorization server from.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type OAuthOptions } from "@tether/mcp";
 * const oauth: OAuthOptions = {
 *   resource: "https://mcp.example.com/mcp",
 *   authorizationServers: ["https://auth.example.com"],
 *   scopesSupported: ["mcp:read", "mcp:admin"],
 *   verifyAccessToken: (token) => token === "s3cret" ? { id: "alice", scopes: ["mcp:read"], claims: {} } : null,
 * };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], auth: { oauth } });
 * ```
 */
export interface OAuthOptions {
  /**
   * The canonical URI of this MCP server (RFC 8707), e.g.
   * `https://mcp.example.com/mcp`: the audience its tokens must name. An
   * absolute http(s) URL without a fragment. Its metadata is served at
   * `/.well-known/oauth-protected-resource` plus its path (and at the bare
   * `/.well-known/oauth-protected-resource`), on the handler's host. Required.
   * @default {none}
   */
  resource: string;
  /**
   * The issuer URLs of the authorization servers that issue tokens for it (at least one). Required.
   * @default {none}
   */
  authorizationServers: readonly string[];
  /**
   * The scopes this server knows, advertised in its metadata (`scopes_supported`).
   * @default {none (not advertised)}
   */
  scopesSupported?: readonly string[];
  /**
   * Scopes every MCP request's token must hold (e.g. `["mcp:read"]`). They
   * are named in the 401's `scope` parameter, so clients ask for them
   * first rather than for every scope in `scopesSupported`, and a token
   * without them is answered 403 `insufficient_scope`.
   * @default {none}
   */
  requiredScopes?: readonly string[];
  /**
   * Checks a bearer token; `jwtVerifier` or `introspectionVerifier` from `@tether/mcp/oauth`, or your own. Required.
   * @default {none}
   */
  verifyAccessToken: AccessTokenVerifier;
  /**
   * DPoP (RFC 9449): access tokens bound to a key the client proves it
   * holds on every request, so a stolen token alone is of no use. Off
   * without it: a DPoP-bound token then works as a bearer token.
   * @default {none (off)}
   */
  dpop?: DpopOptions;
  /**
   * A human-readable name in the metadata (`resource_name`).
   * @default {none}
   */
  resourceName?: string;
  /**
   * A page documenting this server, in the metadata (`resource_documentation`).
   * @default {none}
   */
  resourceDocumentation?: string;
}

/**
 * DPoP on the protected resource (the `oauth.dpop` option): `Authorization:
 * DPoP <token>` with a `DPoP` proof on every request, checked against the
 * request (method and the `oauth.resource` URL), the token (`ath`, and the
 * proof key's thumbprint against the token's `cnf.jkt`), the time (`iat`)
 * and replays (`jti`).
 *
 * @example
 * ```ts
 * import type { DpopOptions } from "@tether/mcp";
 * const dpop: DpopOptions = { mode: "required", algorithms: ["ES256", "EdDSA"] };
 * ```
 */
export interface DpopOptions {
  /**
   * `allowed`: DPoP tokens with proofs, and bearer tokens that are not
   * DPoP-bound (a bound one sent as `Bearer` is refused); `required`: DPoP
   * only, and the metadata says `dpop_bound_access_tokens_required`. Required.
   * @default {none}
   */
  mode: "allowed" | "required";
  /**
   * The proof signature algorithms accepted (asymmetric only: ES256/384/512,
   * RS256/384/512, PS256/384/512, EdDSA), advertised in `algs` and the metadata.
   * @default {["ES256", "EdDSA", "RS256", "PS256"]}
   */
  algorithms?: readonly string[];
  /**
   * How old a proof's `iat` may be, seconds; it is also how long its `jti` is remembered.
   * @default {60}
   */
  maxAgeSeconds?: number;
  /**
   * How far ahead of this server's clock a proof's `iat` may be, seconds.
   * @default {5}
   */
  clockSkewSeconds?: number;
  /**
   * Where used proofs are held. Per instance by default; pass the Redis
   * backend's `dpopReplayStore` so a proof used on one instance is refused
   * on every other.
   * @default {a MemoryDpopReplayStore of maxReplayEntries}
   */
  replayStore?: DpopReplayStore;
  /**
   * The bound of the default in-memory replay store: the most live proofs
   * held; past it proofs are refused `503` until some expire (fail closed).
   * @default {100_000}
   */
  maxReplayEntries?: number;
  /**
   * The most live proofs one principal (its `ownerKeyOf` key) may hold in
   * the replay store, whichever store it is: past it that principal's
   * requests are refused `429` with `Retry-After` until its proofs age out,
   * and no one else's. A tenth of `maxReplayEntries` by default, so one
   * busy or hostile principal can never fill the cache that every DPoP
   * client needs (ten would have to); at the default `maxAgeSeconds` it is
   * about 166 requests a second from one principal, held up for a minute.
   * @default {maxReplayEntries / 10}
   */
  maxReplayEntriesPerPrincipal?: number;
  /**
   * A secret (at least 32 bytes, the same on every instance) that turns on
   * server nonces: a proof without a current nonce is answered 401
   * `use_dpop_nonce` with a `DPoP-Nonce` to sign next time. The nonce is
   * an HMAC of a time slot, so no state is shared.
   * @default {none (no nonces)}
   */
  nonceSecret?: string;
  /**
   * How long a nonce slot lasts, seconds: a nonce is accepted in its slot and the next.
   * @default {60}
   */
  nonceSlotSeconds?: number;
  /**
   * The clock, ms since the epoch.
   * @default {Date.now}
   */
  now?: () => number;
}
