/**
 * The handler as an OAuth 2.1 protected resource (the `oauth` option): the
 * RFC 9728 metadata document and the paths it is served at, and the bearer
 * step that turns a request's token into its principal or a 401. Built once
 * per handler; the option's values are checked here, at startup. It
 * verifies no token itself (`oauth.verifyAccessToken` does) and decides no
 * scopes (scope_check.ts), though its 401 names the required ones. With
 * `oauth.dpop`, tokens and their proofs go through the DPoP gate
 * (dpop_gate.ts) instead of the bearer step.
 * @module
 */

import { bearerTokenOf, unauthorized } from "./bearer_challenge.ts";
import { DpopGate, type GateAnswer, type PendingReplayClaim } from "./dpop_gate.ts";
import { jsonResponse } from "../http/error_response.ts";
import { InvalidTokenError } from "./invalid_token_error.ts";
import type { Refusal } from "../http/refusal.ts";
import type { OAuthOptions } from "../config/oauth_options.ts";
import type { Principal } from "../protocol/context/request_context.ts";
import { isScopeToken, NO_SCOPES } from "../protocol/definitions/scopes.ts";
import { rememberVerifiedToken } from "../protocol/context/verified_token.ts";

/** The metadata is public: any origin may read it (no credentials are involved). */
const PUBLIC = { "access-control-allow-origin": "*" };
/** RFC 9728 §3: the well-known path prefix of protected-resource metadata. */
const WELL_KNOWN = "/.well-known/oauth-protected-resource";

/** One handler's protected resource. */
export class ProtectedResource {
  /** The canonical resource URI (the audience tokens must name). */
  readonly resource: string;
  /** Where its metadata is, for `resource_metadata` in challenges. */
  readonly metadataUrl: string;
  /** The scopes advertised in the metadata; undefined when none are. */
  readonly scopesSupported: readonly string[] | undefined;
  /** The scopes every request's token must hold (none by default). */
  readonly requiredScopes: readonly string[];
  /** True with `oauth.dpop`: authenticated DPoP requests carry a replay claim for the door to run. */
  readonly claimsReplays: boolean;
  readonly #paths: ReadonlySet<string>;
  readonly #document: string;
  readonly #verify: OAuthOptions["verifyAccessToken"];
  readonly #dpop: DpopGate | undefined;

  /**
   * Checks `options` (a TypeError names a bad one) and builds the document;
   * `report` hears each cause of a DPoP refusal once.
   */
  constructor(options: OAuthOptions, report: (error: unknown) => void = () => {}) {
    const url = absoluteUrl("oauth.resource", options.resource);
    if (url.hash !== "" || options.resource.includes("#")) {
      throw new TypeError("Option oauth.resource must not have a fragment (RFC 8707)");
    }
    const servers = options.authorizationServers;
    if (!Array.isArray(servers) || servers.length === 0) {
      throw new TypeError("Option oauth.authorizationServers must name at least one issuer URL");
    }
    servers.forEach((server, index) => absoluteUrl(`oauth.authorizationServers[${index}]`, server));
    const supported = options.scopesSupported;
    if (supported !== undefined && (!Array.isArray(supported) || !supported.every(isScopeToken))) {
      throw new TypeError("Option oauth.scopesSupported must be an array of OAuth scope tokens");
    }
    const required = options.requiredScopes ?? NO_SCOPES;
    if (!Array.isArray(required) || !required.every(isScopeToken)) {
      throw new TypeError("Option oauth.requiredScopes must be an array of OAuth scope tokens");
    }
    if (typeof options.verifyAccessToken !== "function") {
      throw new TypeError("Option oauth.verifyAccessToken must be a function");
    }
    this.resource = options.resource;
    this.scopesSupported = supported;
    this.requiredScopes = required;
    this.#verify = options.verifyAccessToken;
    const dpop = options.dpop === undefined
      ? undefined
      : new DpopGate(options.dpop, options.resource, report);
    this.#dpop = dpop;
    this.claimsReplays = dpop !== undefined;
    const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
    this.metadataUrl = `${url.origin}${WELL_KNOWN}${path}`;
    this.#paths = new Set([WELL_KNOWN, `${WELL_KNOWN}${path}`]);
    this.#document = JSON.stringify({
      resource: options.resource,
      authorization_servers: servers,
      ...(supported === undefined ? {} : { scopes_supported: supported }),
      bearer_methods_supported: ["header"],
      ...(dpop === undefined ? {} : { dpop_signing_alg_values_supported: dpop.algorithms }),
      ...(dpop?.required ? { dpop_bound_access_tokens_required: true } : {}),
      ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
      ...(options.resourceDocumentation === undefined
        ? {}
        : { resource_documentation: options.resourceDocumentation }),
    });
  }

  /** True for a path the metadata is served at. */
  servesMetadataAt(path: string): boolean {
    return this.#paths.has(path);
  }

  /**
   * The metadata document (RFC 9728 §3.2), readable from any origin: a
   * browser client on any page must read it to find the authorization
   * server, and it holds nothing private (the `cors` option's grant replaces
   * the `*` for an origin it allows).
   */
  metadata(): Response {
    return jsonResponse(this.#document, PUBLIC);
  }

  /**
   * The caller of `request` from its bearer token, or the 401 that asks for
   * one. Errors other than {@linkcode InvalidTokenError} propagate: the
   * verifier failed, which is not the client's fault.
   */
  async authenticate(request: Request): Promise<GateAnswer> {
    if (this.#dpop !== undefined) {
      const context = this.#context();
      return await this.#dpop.authenticate(
        request,
        context,
        (token) => this.#verified(token, request),
      );
    }
    const token = bearerTokenOf(request.headers.get("authorization"));
    const scope = this.requiredScopes;
    if (token === undefined) return { refusal: unauthorized(this.metadataUrl, false, scope) };
    if (token === null) return { refusal: unauthorized(this.metadataUrl, true, scope) };
    const principal = await this.#verified(token, request);
    if (principal === undefined) return { refusal: unauthorized(this.metadataUrl, true, scope) };
    return { principal };
  }

  /**
   * Takes the place of an authenticated request's DPoP proof in the replay
   * cache (the door's `dpop-replay` step, after its cheap checks): undefined
   * when taken, else the refusal (401 replay, 429 share, 503 store).
   */
  claimReplay(pending: PendingReplayClaim): Promise<Refusal | undefined> {
    return this.#dpop!.claim(pending, this.#context());
  }

  /** What DPoP challenges name. */
  #context(): { metadataUrl: string; scope: readonly string[] } {
    return { metadataUrl: this.metadataUrl, scope: this.requiredScopes };
  }

  /**
   * The principal of `token`, or undefined for a token the verifier refuses;
   * its failures propagate. A verified token is remembered beside its
   * principal (for a gateway's token exchange; never exported).
   */
  async #verified(token: string, request: Request): Promise<Principal | undefined> {
    let principal: Principal | undefined;
    try {
      principal = await this.#verify(token, request) ?? undefined;
    } catch (error) {
      if (error instanceof InvalidTokenError) return undefined;
      throw error;
    }
    if (principal !== undefined) rememberVerifiedToken(principal, token, this.resource);
    return principal;
  }
}

/** `value` as an absolute http(s) URL, or a TypeError naming the option. */
function absoluteUrl(name: string, value: unknown): URL {
  let url: URL | undefined;
  try {
    url = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new TypeError(`Option ${name} must be an absolute http(s) URL, got ${String(value)}`);
  }
  return url;
}
