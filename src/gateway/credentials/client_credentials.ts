/**
 * `clientCredentials`: one token for every caller of an upstream, obtained
 * by the OAuth client credentials grant (RFC 6749 §4.4), kept until its
 * expiry minus a skew, one request in flight at a time.
 * @module
 */

import type { UpstreamCredentials } from "../upstream.ts";
import { TokenCache } from "./token_cache.ts";
import { type TokenClient, tokenRequester } from "./token_endpoint.ts";

/**
 * Options of {@linkcode clientCredentials}.
 *
 * @example
 * ```ts
 * import type { ClientCredentialsOptions } from "@tether/mcp/gateway";
 * const options: ClientCredentialsOptions = {
 *   tokenEndpoint: "https://auth.example.com/token",
 *   clientId: "gateway",
 *   clientSecret: "s3cret",
 *   resource: "https://files.internal/mcp",
 * };
 * ```
 */
export interface ClientCredentialsOptions extends TokenClient {
  /**
   * The RFC 8707 resource indicator asked for.
   * @default {undefined}
   */
  resource?: string;
  /**
   * The `audience` asked for (some authorization servers want it).
   * @default {undefined}
   */
  audience?: string;
  /**
   * The scopes asked for, space-separated.
   * @default {undefined}
   */
  scope?: string;
  /**
   * A token is renewed this long before it expires, ms.
   * @default {30_000}
   */
  skewMs?: number;
  /**
   * After a failed token request, calls fail at once this long before
   * one asks again, ms (doubled after each failure in a row).
   * @default {1_000}
   */
  retryMs?: number;
  /**
   * The longest wait after failed token requests in a row, ms.
   * @default {30_000}
   */
  maxRetryMs?: number;
  /**
   * The clock.
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * Credentials that send `Authorization: Bearer <token>`, one token for
 * every caller (the gateway's own identity at the upstream). A failed
 * request makes the call read `Upstream "<name>" is unavailable`.
 *
 * @example
 * ```ts
 * import { clientCredentials, httpUpstream } from "@tether/mcp/gateway";
 * const files = httpUpstream({
 *   name: "files",
 *   url: "https://files.internal/mcp",
 *   credentials: clientCredentials({
 *     tokenEndpoint: "https://auth.example.com/token",
 *     clientId: "gateway",
 *     clientSecret: "s3cret",
 *     scope: "files:read",
 *   }),
 * });
 * ```
 */
export function clientCredentials(options: ClientCredentialsOptions): UpstreamCredentials {
  const request = tokenRequester(options);
  const cache = new TokenCache({
    skewMs: options.skewMs,
    retryMs: options.retryMs,
    maxRetryMs: options.maxRetryMs,
    now: options.now,
    maxEntries: 1,
  });
  const parameters: Record<string, string> = { grant_type: "client_credentials" };
  for (const option of ["resource", "audience", "scope"] as const) {
    const value = options[option];
    if (value === undefined) continue;
    if (typeof value !== "string" || value === "") {
      throw new TypeError(`Option ${option} must be a non-empty string`);
    }
    parameters[option] = value;
  }
  return async () => {
    const token = await cache.get("", () => request(parameters));
    return { authorization: `Bearer ${token}` };
  };
}
