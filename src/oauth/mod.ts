/**
 * `@tether/mcp/oauth`: token verifiers for the `auth.oauth` option of
 * `createMcpHandler`. {@linkcode jwtVerifier} checks JWT access tokens
 * against an issuer's published keys (on `jose`); {@linkcode introspectionVerifier}
 * asks the issuer about opaque tokens (RFC 7662); {@linkcode anyVerifier}
 * trusts several issuers at once. Kept apart from
 * `@tether/mcp` so a server without OAuth loads no JOSE code.
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
 *     oauth: { resource, authorizationServers: [issuer], verifyAccessToken: jwtVerifier({ issuer, audience: resource }) },
 *   },
 * });
 * ```
 * @module
 */

export { jwtVerifier, type JwtVerifierOptions } from "./jwt_verifier.ts";
export { anyVerifier } from "./any_verifier.ts";
export {
  introspectionVerifier,
  type IntrospectionVerifierOptions,
} from "./introspection_verifier.ts";
export { discoverIssuer, type FetchOptions, type IssuerMetadata } from "./issuer_metadata.ts";
export type { AccessTokenVerifier, TokenPrincipal } from "../config/oauth_options.ts";
