/**
 * CORS for pages on other origins: the answer to a preflight, and the grant
 * (`Access-Control-Allow-Origin`, the exposed headers) on every answer the
 * handler gives. Which origins are granted is the Origin guard's decision
 * (guards.ts), asked again here: an origin that passes the guard is granted,
 * any other is refused `403` by the guard and granted nothing.
 *
 * It does not decide who the caller is (that is `authenticate`), does not
 * answer Private Network Access preflights, and reads no body.
 * @module
 */

import { checkHostAndOrigin, type OriginPolicy } from "./guards.ts";

/**
 * The `cors` option: lets web pages on other origins call the server from a
 * browser. An origin it allows also passes the Origin guard (as if listed in
 * `allowedOrigins`); every origin the guard lets through (`allowedOrigins`,
 * the server's own host, and these) gets the grant, any other is refused
 * `403` without one.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type CorsOptions } from "@tether/mcp";
 * const cors: CorsOptions = { origins: ["https://app.example.com"], maxAgeSeconds: 3600 };
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   tools: [],
 *   security: {
 *     allowedHosts: ["mcp.example.com"],
 *     cors,
 *   },
 * });
 * ```
 */
export interface CorsOptions {
  /**
   * Origins whose pages may call, exactly as browsers send them
   * (`https://app.example.com`, `http://localhost:5173`: scheme, host and a
   * port other than the scheme's); `"*"` for any origin.
   * @default {[]}
   */
  origins?: readonly string[];
  /**
   * Decides an origin that `origins` does not list (e.g. every subdomain of
   * one site). Gets the lower-cased Origin header (`"null"` from sandboxed
   * frames and files); true grants it. Called on the request's path, by the
   * guard and again for the grant, so keep it cheap and pure; one that
   * throws refuses the origin and is reported to `onError`.
   * @default {undefined}
   */
  allowOrigin?: (origin: string) => boolean;
  /**
   * Send `Access-Control-Allow-Credentials: true`, so pages may send cookies
   * or HTTP authentication with `credentials: "include"`. Not needed for a
   * bearer token in `Authorization`. Refused together with any origin
   * (`"*"`), which would let every site act as the signed-in user.
   * @default {false}
   */
  credentials?: boolean;
  /**
   * How long a browser may reuse a preflight's answer, seconds
   * (`Access-Control-Max-Age`; Chromium caps it at 7,200). 0 asks it to
   * preflight every request.
   * @default {600}
   */
  maxAgeSeconds?: number;
  /**
   * Request headers pages may send besides MCP's own (an API key header
   * your `authenticate` reads). `requireHeader`'s header is allowed already.
   * @default {[]}
   */
  allowHeaders?: readonly string[];
}

/** The `cors` option checked and normalised at startup (config/checks.ts). */
export interface CorsSettings {
  /** Lower-case origins, no trailing slash; `"*"` for any. */
  origins: readonly string[];
  /** The predicate, made safe: it never throws. */
  allowOrigin: ((origin: string) => boolean) | undefined;
  credentials: boolean;
  maxAgeSeconds: number;
  /** Lower-case header names beyond MCP's own. */
  allowHeaders: readonly string[];
}

/** The methods of the Streamable HTTP transport, as a preflight is told them. */
export const CORS_ALLOW_METHODS = "GET, POST, DELETE, OPTIONS";

/** The request headers MCP clients send (lower case), besides the `mcp-param-*` family. */
export const MCP_REQUEST_HEADERS: readonly string[] = [
  "authorization",
  "content-type",
  "accept",
  "mcp-session-id",
  "mcp-protocol-version",
  "mcp-method",
  "mcp-name",
  "last-event-id",
  // RFC 9449: a DPoP-bound token travels with its proof.
  "dpop",
];

/** The 2026-07-28 routing headers that carry a tool's parameters: `Mcp-Param-<name>`. */
const PARAM_HEADER_PREFIX = "mcp-param-";

/** The response headers a page must be able to read: without them a browser hides them from the client. */
export const CORS_EXPOSE_HEADERS =
  "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate, Retry-After, RateLimit, RateLimit-Policy, " +
  "DPoP-Nonce";

/** A field name as `Headers` accepts it (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** One handler's CORS: preflights and grants, on the Origin guard's policy. */
export class Cors {
  readonly #policy: OriginPolicy;
  readonly #credentials: boolean;
  readonly #maxAge: string;
  readonly #allowHeaders: ReadonlySet<string>;

  /**
   * CORS on `policy` (compiled with the `cors` origins and predicate).
   * `requiredHeader` is `requireHeader`'s (lower-case) name, which a page must be allowed to send.
   */
  constructor(settings: CorsSettings, policy: OriginPolicy, requiredHeader?: string) {
    this.#policy = policy;
    this.#credentials = settings.credentials;
    this.#maxAge = String(settings.maxAgeSeconds);
    this.#allowHeaders = new Set([
      ...MCP_REQUEST_HEADERS,
      ...settings.allowHeaders,
      ...(requiredHeader === undefined ? [] : [requiredHeader]),
    ]);
  }

  /**
   * The `204` answering `request` when it is a preflight (OPTIONS with
   * `Origin` and `Access-Control-Request-Method`) from an origin the guard
   * lets through; undefined otherwise, and the guards then refuse it. Of the
   * requested headers it echoes those it allows; a browser refuses the
   * actual request when one it needs is missing.
   */
  preflight(request: Request): Response | undefined {
    const headers = request.headers;
    if (!headers.has("access-control-request-method") || !headers.has("origin")) return undefined;
    if (checkHostAndOrigin(request, this.#policy, headers) !== undefined) return undefined;
    const answer = new Headers({
      "access-control-allow-methods": CORS_ALLOW_METHODS,
      "access-control-max-age": this.#maxAge,
    });
    const requested = headers.get("access-control-request-headers");
    if (requested !== null) {
      const allowed = requested.split(",")
        .map((name) => name.trim().toLowerCase())
        .filter((name) => this.#allows(name));
      if (allowed.length > 0) answer.set("access-control-allow-headers", allowed.join(", "));
    }
    return new Response(null, { status: 204, headers: answer });
  }

  /**
   * `response` with `Vary: Origin`, and, when `request`'s Origin passes the
   * guard, the grant: that origin allowed, the MCP headers exposed, and
   * credentials when the option says so. A response whose headers cannot
   * change (one of `authenticate`'s own) is copied first.
   */
  grant(request: Request, response: Response): Response {
    const headers = request.headers;
    const origin = headers.get("origin");
    const granted = origin !== null &&
      checkHostAndOrigin(request, this.#policy, headers) === undefined;
    try {
      this.#decorate(response.headers, granted ? origin : undefined);
      return response;
    } catch {
      // Immutable headers (Response.redirect, a fetched response): the same answer, headers we may set.
      const copy = new Response(response.body, response);
      this.#decorate(copy.headers, granted ? origin : undefined);
      return copy;
    }
  }

  #decorate(headers: Headers, origin: string | undefined): void {
    // The answer depends on Origin either way: a shared cache must not give one origin's answer to another.
    const vary = headers.get("vary");
    if (vary === null) headers.set("vary", "Origin");
    else if (!/(^|,)\s*(origin|\*)\s*(,|$)/i.test(vary)) headers.set("vary", `${vary}, Origin`);
    if (origin === undefined) return;
    headers.set("access-control-allow-origin", origin);
    if (this.#credentials) headers.set("access-control-allow-credentials", "true");
    const exposed = headers.get("access-control-expose-headers");
    headers.set(
      "access-control-expose-headers",
      exposed === null ? CORS_EXPOSE_HEADERS : `${exposed}, ${CORS_EXPOSE_HEADERS}`,
    );
  }

  #allows(name: string): boolean {
    if (this.#allowHeaders.has(name)) return true;
    return name.startsWith(PARAM_HEADER_PREFIX) && name.length > PARAM_HEADER_PREFIX.length &&
      TOKEN.test(name);
  }
}
