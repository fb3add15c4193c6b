/**
 * An authorization server's metadata, found from its issuer URL: RFC 8414
 * (`/.well-known/oauth-authorization-server` inserted before the issuer's
 * path), then OpenID Connect discovery (`/.well-known/openid-configuration`
 * appended) when the first is not there. The document must name the issuer
 * it was asked for (RFC 8414 §3.3), or it is not used. It caches nothing:
 * the verifiers keep what they read.
 * @module
 */

/** The members of an authorization server's metadata the verifiers read. */
export interface IssuerMetadata {
  /** The issuer identifier; equal to the URL it was discovered from. */
  issuer: string;
  /** Where its signing keys are (JWT access tokens). */
  jwks_uri?: string;
  /** Its RFC 7662 introspection endpoint. */
  introspection_endpoint?: string;
  /** Every other member the document has. */
  [member: string]: unknown;
}

/** How the verifiers fetch: the `fetch` to use and how long one request may take. */
export interface FetchOptions {
  /** The fetch function. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** How long one request to the authorization server may take, ms. Default 5,000. */
  timeoutMs?: number;
}

/** The JSON object at `url`, or an Error saying what went wrong (never a token's fault). */
export async function fetchJson(
  url: string,
  options: FetchOptions,
  init: RequestInit = {},
): Promise<Record<string, unknown> | undefined> {
  const response = await (options.fetch ?? fetch)(url, {
    ...init,
    headers: { accept: "application/json", ...init.headers as Record<string, string> },
    signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
  });
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${init.method ?? "GET"} ${url} answered ${response.status}`);
  }
  const body: unknown = await response.json();
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new Error(`${url} did not answer a JSON object`);
  }
  return body as Record<string, unknown>;
}

/**
 * The metadata of the authorization server `issuer` (an https or http URL).
 *
 * @example
 * ```ts
 * import { discoverIssuer } from "./issuer_metadata.ts";
 * const metadata = await discoverIssuer("https://auth.example.com", {});
 * metadata.jwks_uri; // "https://auth.example.com/jwks"
 * ```
 */
export async function discoverIssuer(
  issuer: string,
  options: FetchOptions,
): Promise<IssuerMetadata> {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  const candidates = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
  for (const candidate of candidates) {
    const metadata = await fetchJson(candidate, options);
    if (metadata === undefined) continue;
    if (metadata.issuer !== issuer) {
      throw new Error(`${candidate} names the issuer ${String(metadata.issuer)}, not ${issuer}`);
    }
    return metadata as IssuerMetadata;
  }
  throw new Error(`No authorization server metadata for ${issuer}`);
}
