/**
 * `tokenExchange`: per-caller upstream tokens by OAuth 2.0 Token Exchange
 * (RFC 8693). The subject token is the caller's downstream access token
 * (only when tether's `oauth` verified it) or one the operator mints; the
 * downstream token itself never reaches the upstream. Exchanged tokens are
 * kept per (caller, audience, resource, scope) by token_cache.ts.
 * @module
 */

import { ownerKeyOf, type Principal } from "../../protocol/context/principal.ts";
import { verifiedTokenOf } from "../../protocol/context/verified_token.ts";
import { GATEWAY_PRINCIPAL } from "../gateway.ts";
import type { UpstreamCredentials } from "../upstream.ts";
import { TokenCache } from "./token_cache.ts";
import { type TokenClient, tokenRequester } from "./token_endpoint.ts";

const ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";

/**
 * Options of {@linkcode tokenExchange}. Give `audience`, `resource` or both.
 *
 * @example
 * ```ts
 * import type { TokenExchangeOptions } from "@tether/mcp/gateway";
 * const options: TokenExchangeOptions = {
 *   tokenEndpoint: "https://auth.example.com/token",
 *   clientId: "gateway",
 *   clientSecret: "s3cret",
 *   resource: "https://files.internal/mcp",
 *   gatewayResource: "https://mcp.example.com/mcp",
 * };
 * ```
 */
export interface TokenExchangeOptions extends TokenClient {
  /**
   * The `audience` the exchanged token is for.
   * @default {undefined}
   */
  audience?: string;
  /**
   * The RFC 8707 resource the exchanged token is for (the upstream's URL).
   * @default {undefined}
   */
  resource?: string;
  /**
   * The scopes asked for, space-separated.
   * @default {undefined}
   */
  scope?: string;
  /**
   * The gateway's own resource (its `oauth.resource`): an `audience` or
   * `resource` equal to it is refused at startup, as the exchanged token
   * would be good at the gateway itself (the downstream token forwarded in
   * all but name). Each exchange also refuses the resource the caller's
   * token was verified for.
   * @default {undefined}
   */
  gatewayResource?: string;
  /**
   * The subject token for `principal` (e.g. one the operator mints), or
   * undefined for none. Without this option, the caller's downstream access
   * token, when tether's `oauth` option verified it. A caller without a
   * subject token fails its upstream calls as the upstream being unavailable.
   * @default {undefined}
   */
  subjectToken?: (principal: Principal) => string | undefined | Promise<string | undefined>;
  /**
   * An actor token (RFC 8693 `actor_token`, of type access token), so the
   * exchanged token names the gateway in its `act` claim.
   * @default {undefined}
   */
  actorToken?: (principal: Principal) => string | Promise<string>;
  /**
   * Credentials for the gateway's own principal (`GATEWAY_PRINCIPAL`, its
   * discovery sessions), which has no downstream token: e.g.
   * `clientCredentials({...})`.
   * @default {undefined} (discovery sessions send no credentials)
   */
  gatewayCredentials?: UpstreamCredentials;
  /**
   * An exchanged token is renewed this long before it expires, ms.
   * @default {30_000}
   */
  skewMs?: number;
  /**
   * Exchanged tokens kept at most; past it the oldest is dropped.
   * @default {10_000}
   */
  maxEntries?: number;
  /**
   * After a failed token request, this caller's next calls fail at once
   * this long before one asks again, ms (doubled after each failure in a
   * row); other callers are not affected.
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

/** Checks the optional string options; a TypeError names a bad one. */
function stringOption(options: TokenExchangeOptions, option: keyof TokenExchangeOptions) {
  const value = options[option];
  if (value !== undefined && (typeof value !== "string" || value === "")) {
    throw new TypeError(`Option ${option} must be a non-empty string`);
  }
  return value as string | undefined;
}

/** `value` as a comparable resource URI (its URL form; the string itself when not a URL). */
function canonical(value: string): string {
  try {
    return new URL(value).href;
  } catch {
    return value;
  }
}

/**
 * Credentials that send `Authorization: Bearer <exchanged token>`: for each
 * caller, a token the authorization server issues for the upstream in
 * exchange for the caller's (RFC 8693, `client_secret_basic`). A failed
 * exchange makes the call read `Upstream "<name>" is unavailable`, with
 * nothing of what the authorization server said.
 *
 * @example
 * ```ts
 * import { httpUpstream, tokenExchange } from "@tether/mcp/gateway";
 * const files = httpUpstream({
 *   name: "files",
 *   url: "https://files.internal/mcp",
 *   credentials: tokenExchange({
 *     tokenEndpoint: "https://auth.example.com/token",
 *     clientId: "gateway",
 *     clientSecret: "s3cret",
 *     resource: "https://files.internal/mcp",
 *     scope: "files:read",
 *     gatewayResource: "https://mcp.example.com/mcp",
 *   }),
 * });
 * ```
 */
export function tokenExchange(options: TokenExchangeOptions): UpstreamCredentials {
  const request = tokenRequester(options);
  const audience = stringOption(options, "audience");
  const resource = stringOption(options, "resource");
  const scope = stringOption(options, "scope");
  const gatewayResource = stringOption(options, "gatewayResource");
  if (audience === undefined && resource === undefined) {
    throw new TypeError("Option audience or resource must name the upstream the token is for");
  }
  const targets = [audience, resource].filter((target) => target !== undefined).map(canonical);
  if (gatewayResource !== undefined) {
    const own = canonical(gatewayResource);
    if (audience !== undefined && canonical(audience) === own) {
      throw new TypeError("Option audience names the gateway's own resource: it would forward");
    }
    if (resource !== undefined && canonical(resource) === own) {
      throw new TypeError("Option resource names the gateway's own resource: it would forward");
    }
  }
  for (const option of ["subjectToken", "actorToken", "gatewayCredentials"] as const) {
    if (options[option] !== undefined && typeof options[option] !== "function") {
      throw new TypeError(`Option ${option} must be a function`);
    }
  }
  const cache = new TokenCache(options);

  const subjectOf = async (principal: Principal): Promise<string> => {
    if (options.subjectToken !== undefined) {
      const token = await options.subjectToken(principal);
      if (typeof token !== "string" || token === "") {
        throw new Error("No subject token for this caller");
      }
      return token;
    }
    const verified = verifiedTokenOf(principal);
    if (verified === undefined) throw new Error("The caller has no verified access token");
    if (targets.includes(canonical(verified.resource))) {
      throw new Error("The exchange would be for the resource the caller's token is for");
    }
    return verified.token;
  };

  return async (principal) => {
    if (principal === GATEWAY_PRINCIPAL) return await options.gatewayCredentials?.(principal);
    const key = JSON.stringify([ownerKeyOf(principal), audience, resource, scope]);
    const token = await cache.get(key, async () => {
      const subject = await subjectOf(principal);
      const parameters: Record<string, string> = {
        grant_type: GRANT_TYPE,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        requested_token_type: ACCESS_TOKEN,
      };
      if (audience !== undefined) parameters.audience = audience;
      if (resource !== undefined) parameters.resource = resource;
      if (scope !== undefined) parameters.scope = scope;
      if (options.actorToken !== undefined) {
        parameters.actor_token = await options.actorToken(principal);
        parameters.actor_token_type = ACCESS_TOKEN;
      }
      const issued = await request(parameters);
      if (issued.token === subject) {
        throw new Error("The authorization server answered the subject token itself");
      }
      return issued;
    });
    return { authorization: `Bearer ${token}` };
  };
}
