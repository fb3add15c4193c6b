/**
 * OAuth 2.0 bearer tokens on the wire (RFC 6750): reading the token from
 * `Authorization`, and the refusals that challenge for one, `401` (no
 * token, or a bad one: `error="invalid_token"`) and `403`
 * (`error="insufficient_scope"`, with the scopes to ask for), each naming
 * the RFC 9728 metadata document when there is one. Tokens in a query
 * string or a form body are never read (the MCP authorization spec forbids
 * them). It verifies nothing: the `oauth` option's verifier does.
 * @module
 */

import { type Refusal, refuse } from "../http/refusal.ts";

/** RFC 6750 §2.1 `b64token`: the characters a bearer token may hold. */
const B64_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token of `authorization` (the header's value): undefined when
 * there is none (no header, or another scheme), null when a `Bearer`
 * credential is malformed.
 *
 * @example
 * ```ts
 * import { bearerTokenOf } from "./bearer_challenge.ts";
 * bearerTokenOf("Bearer abc.def"); // "abc.def"
 * bearerTokenOf("Basic dXNlcg=="); // undefined
 * bearerTokenOf("Bearer a b"); // null
 * ```
 */
export function bearerTokenOf(authorization: string | null): string | undefined | null {
  return tokenOf(authorization, "bearer");
}

/**
 * The token of `authorization` under `scheme` (lower case: `bearer`,
 * `dpop`; both carry a b64token): undefined for no header or another
 * scheme, null for a malformed credential.
 *
 * @example
 * ```ts
 * import { tokenOf } from "./bearer_challenge.ts";
 * tokenOf("DPoP abc.def", "dpop"); // "abc.def"
 * ```
 */
export function tokenOf(authorization: string | null, scheme: string): string | undefined | null {
  if (authorization === null) return undefined;
  const space = authorization.indexOf(" ");
  const sent = space === -1 ? authorization : authorization.slice(0, space);
  if (sent.toLowerCase() !== scheme) return undefined;
  const token = space === -1 ? "" : authorization.slice(space + 1).trim();
  return B64_TOKEN.test(token) ? token : null;
}

/**
 * A challenge of `scheme` (`Bearer` by default) with the given parameters,
 * in order, unset ones left out; values are quoted strings.
 *
 * @example
 * ```ts
 * import { challenge } from "./bearer_challenge.ts";
 * challenge({ error: "invalid_token", scope: undefined }); // 'Bearer error="invalid_token"'
 * challenge({ algs: "ES256" }, "DPoP"); // 'DPoP algs="ES256"'
 * ```
 */
export function challenge(
  parameters: Record<string, string | undefined>,
  scheme = "Bearer",
): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    // The values here are URLs tether checked, scope tokens, algorithm names and fixed
    // texts: no quote or backslash to escape.
    if (value !== undefined) parts.push(`${name}="${value}"`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(", ")}`;
}

/**
 * The `401`: a token is needed (`presented` false), or the one sent is
 * not good (`error="invalid_token"`). `metadataUrl` is the RFC 9728
 * document clients discover the authorization server from; `scope`, the
 * scopes to ask for when known.
 */
export function unauthorized(
  metadataUrl: string | undefined,
  presented: boolean,
  scope?: readonly string[],
): Refusal {
  const header = challenge({
    resource_metadata: metadataUrl,
    scope: scopeParameter(scope),
    ...(presented ? { error: "invalid_token" } : {}),
  });
  return refuse(
    401,
    presented ? "Unauthorized: invalid access token" : "Unauthorized: a bearer token is required",
    { headers: { "www-authenticate": header }, step: "authenticate" },
  );
}

/** The `scope` parameter of `scope`: unset when there are none. */
export function scopeParameter(scope: readonly string[] | undefined): string | undefined {
  return scope === undefined || scope.length === 0 ? undefined : scope.join(" ");
}

/**
 * The `403` of a caller whose token lacks scopes: `scope` lists what to
 * ask the authorization server for (RFC 6750 §3.1).
 *
 * @example
 * ```ts
 * import { insufficientScope } from "./bearer_challenge.ts";
 * insufficientScope("https://mcp.example.com/.well-known/oauth-protected-resource/mcp", ["mcp:admin"]).headers;
 * // { "www-authenticate": 'Bearer error="insufficient_scope", scope="mcp:admin", resource_metadata="https://…"' }
 * ```
 */
export function insufficientScope(
  metadataUrl: string | undefined,
  scope: readonly string[],
): Refusal {
  const header = challenge({
    error: "insufficient_scope",
    scope: scope.join(" "),
    resource_metadata: metadataUrl,
  });
  return refuse(403, "Forbidden: insufficient scope", {
    headers: { "www-authenticate": header },
    step: "scope",
  });
}
