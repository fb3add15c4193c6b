/**
 * DPoP on the protected resource (RFC 9449 §7, the `oauth.dpop` option):
 * a request's `Authorization: DPoP` token and `DPoP` proof are checked in
 * order of cost, the proof alone first (dpop_proof.ts), then the server
 * nonce when nonces are on (dpop_nonce.ts), the token by the verifier,
 * and its `cnf.jkt` against the proof's key. The replay claim is not made
 * here: authentication hands back a pending claim that the door runs in its
 * own step after the scope and rate-limit checks (src/entry/steps.ts), so
 * only proofs of requests good in every other way take a place in the
 * cache, each principal at most its share of it (429 past it, for that
 * principal only). Bearer tokens pass as before in `allowed` mode unless
 * they are DPoP-bound.
 * Each refusal cause is reported once (not per request), without the
 * token or the proof. It verifies no token itself (the verifier does).
 * @module
 */

import { challenge, scopeParameter, tokenOf } from "./bearer_challenge.ts";
import { DEFAULT_SHARES, DEFAULTS } from "../config/defaults.ts";
import {
  checkDpopProof,
  type DpopProofFault,
  isDpopAlgorithm,
  normalizeHtu,
  sha256Url,
} from "./dpop_proof.ts";
import { DpopNonces } from "./dpop_nonce.ts";
import { type DpopReplayStore, MemoryDpopReplayStore } from "./dpop_replay.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { DpopOptions } from "../config/oauth_options.ts";
import { ownerKeyOf, type Principal } from "../protocol/context/request_context.ts";
import { type Refusal, refuse } from "../http/refusal.ts";

/** Why a DPoP request is refused, beyond the proof's own faults. */
type Cause =
  | DpopProofFault
  | "missing"
  | "multiple"
  | "nonce"
  | "jkt"
  | "replay"
  | "unbound"
  | "bound-as-bearer"
  | "bearer-refused"
  | "token";

/** Each cause's RFC 9449 error code and fixed description (never request content). */
const CAUSES: Record<Cause, { error: string; text: string }> = {
  malformed: proofError("the DPoP proof is not a compact JWS"),
  typ: proofError("typ is not dpop+jwt"),
  alg: proofError("alg is not accepted"),
  jwk: proofError("jwk is not a public key for alg"),
  signature: proofError("the signature does not verify"),
  jti: proofError("jti is missing or too long"),
  htm: proofError("htm does not match the request method"),
  htu: proofError("htu does not match the resource URL"),
  iat: proofError("iat is outside the accepted window"),
  ath: proofError("ath does not match the access token"),
  missing: proofError("no DPoP proof"),
  multiple: proofError("more than one DPoP proof"),
  jkt: proofError("the proof key is not the key the token is bound to"),
  replay: proofError("the proof was used before"),
  nonce: { error: "use_dpop_nonce", text: "a current server nonce is required" },
  unbound: tokenError("the access token is not DPoP-bound"),
  "bound-as-bearer": tokenError("a DPoP-bound token needs the DPoP scheme"),
  "bearer-refused": tokenError("DPoP is required"),
  token: tokenError("invalid access token"),
};

function proofError(text: string) {
  return { error: "invalid_dpop_proof", text };
}

function tokenError(text: string) {
  return { error: "invalid_token", text };
}

/** Verifies an access token for the gate: its principal, or undefined for a token refused. */
export type VerifyToken = (token: string) => Promise<Principal | undefined>;

/**
 * A proof verified with its token but not yet claimed in the replay cache:
 * the door claims it (`ProtectedResource.claimReplay`) once the request has
 * passed the checks that refuse it cheaply.
 */
export interface PendingReplayClaim {
  /** The cache key: a digest of the proof key's thumbprint and the proof's `jti`. */
  readonly key: string;
  /** When the proof is too old anyway (ms since the epoch). */
  readonly expiresAt: number;
  /** The principal's owner key (`ownerKeyOf`). */
  readonly owner: string;
}

/**
 * The request's caller (with the DPoP proof to claim, when it carried one),
 * or the answer that turns it away.
 */
export type GateAnswer =
  | { principal: Principal; replayClaim?: PendingReplayClaim }
  | { refusal: Refusal };

/** What the gate names in its challenges. */
export interface GateContext {
  /** The RFC 9728 metadata URL. */
  metadataUrl: string;
  /** The scopes to ask for. */
  scope: readonly string[];
}

/** One handler's DPoP checks. */
export class DpopGate {
  /** True in `required` mode: bearer tokens are refused. */
  readonly required: boolean;
  /** The proof algorithms accepted. */
  readonly algorithms: readonly string[];
  readonly #htu: string;
  readonly #maxAgeSeconds: number;
  readonly #clockSkewSeconds: number;
  readonly #store: DpopReplayStore;
  readonly #share: number;
  readonly #nonces: DpopNonces | undefined;
  readonly #now: () => number;
  readonly #report: (error: unknown) => void;
  readonly #reported = new Set<string>();

  /**
   * The checks of `options` for the resource at `resource` (the URL proofs
   * must name in `htu`); `report` hears each refusal cause once. A bad
   * option is a TypeError naming it.
   *
   * @example
   * ```ts
   * import { DpopGate } from "./dpop_gate.ts";
   * const gate = new DpopGate({ mode: "allowed" }, "https://mcp.example.com/mcp", console.error);
   * gate.algorithms; // ["ES256", "EdDSA", "RS256", "PS256"]
   * ```
   */
  constructor(options: DpopOptions, resource: string, report: (error: unknown) => void) {
    const defaults = DEFAULTS["auth.oauth.dpop"];
    if (options.mode !== "allowed" && options.mode !== "required") {
      throw new TypeError(
        `Option oauth.dpop.mode must be "allowed" or "required", got ${String(options.mode)}`,
      );
    }
    const algorithms = options.algorithms ?? defaults.algorithms;
    if (
      !Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every(isDpopAlgorithm)
    ) {
      throw new TypeError(
        "Option oauth.dpop.algorithms must list asymmetric JWS algorithms (ES*, RS*, PS*, EdDSA)",
      );
    }
    this.required = options.mode === "required";
    this.algorithms = algorithms;
    this.#htu = normalizeHtu(resource)!;
    this.#maxAgeSeconds = positive(
      "maxAgeSeconds",
      options.maxAgeSeconds ?? defaults.maxAgeSeconds,
    );
    this.#clockSkewSeconds = positive(
      "clockSkewSeconds",
      options.clockSkewSeconds ?? defaults.clockSkewSeconds,
    );
    const maxEntries = options.maxReplayEntries ?? defaults.maxReplayEntries;
    this.#store = options.replayStore ?? new MemoryDpopReplayStore({ maxEntries });
    const { parts } = DEFAULT_SHARES["auth.oauth.dpop.maxReplayEntriesPerPrincipal"];
    const share = options.maxReplayEntriesPerPrincipal ??
      Math.max(1, Math.floor(maxEntries / parts));
    if (!Number.isSafeInteger(share) || share < 1) {
      throw new TypeError(
        `Option oauth.dpop.maxReplayEntriesPerPrincipal must be a positive integer, got ${share}`,
      );
    }
    this.#share = share;
    this.#nonces = options.nonceSecret === undefined
      ? undefined
      : new DpopNonces(options.nonceSecret, options.nonceSlotSeconds ?? defaults.nonceSlotSeconds);
    this.#now = options.now ?? Date.now;
    this.#report = report;
  }

  /**
   * The caller of `request` from its DPoP (or, when allowed, bearer) token,
   * with its proof's pending replay claim: the caller must run it
   * ({@linkcode DpopGate.claim}) before serving the request.
   */
  async authenticate(
    request: Request,
    context: GateContext,
    verify: VerifyToken,
  ): Promise<GateAnswer> {
    const authorization = request.headers.get("authorization");
    const token = tokenOf(authorization, "dpop");
    if (token === undefined) return await this.#bearer(authorization, context, verify);
    if (token === null) return this.#refuse(context, "token");
    const proof = request.headers.get("dpop");
    if (proof === null) return this.#refuse(context, "missing");
    // Headers joins repeated fields with a comma, which a compact JWS never holds.
    if (proof.includes(",")) return this.#refuse(context, "multiple");
    const now = this.#now();
    const checked = await checkDpopProof(proof, {
      algorithms: this.algorithms,
      method: request.method,
      htu: this.#htu,
      token,
      now,
      maxAgeSeconds: this.#maxAgeSeconds,
      clockSkewSeconds: this.#clockSkewSeconds,
    });
    if ("fault" in checked) return this.#refuse(context, checked.fault);
    if (this.#nonces !== undefined && !await this.#nonces.accepts(checked.nonce, now)) {
      return this.#refuse(context, "nonce", await this.#nonces.issue(now));
    }
    const principal = await verify(token);
    if (principal === undefined) return this.#refuse(context, "token");
    const jkt = jktOf(principal);
    if (jkt === undefined) return this.#refuse(context, "unbound");
    if (jkt !== checked.jkt) return this.#refuse(context, "jkt");
    const key = await sha256Url(`${checked.jkt}.${checked.jti}`);
    const expiresAt = Math.max((checked.iat + this.#maxAgeSeconds) * 1000, now + 1);
    return { principal, replayClaim: { key, expiresAt, owner: ownerKeyOf(principal) } };
  }

  /**
   * Takes `pending`'s place in the replay cache: undefined when taken, the
   * 401 for a replay, the 429 when its principal holds its share, the 503
   * when the store cannot answer (fail closed).
   */
  async claim(pending: PendingReplayClaim, context: GateContext): Promise<Refusal | undefined> {
    const now = this.#now();
    const owner = { key: pending.owner, share: this.#share };
    let claimed: boolean | "share-full";
    try {
      claimed = await this.#store.claim(
        pending.key,
        Math.max(pending.expiresAt, now + 1),
        now,
        owner,
      );
    } catch (error) {
      this.#once("store", error);
      return refuse(503, "Service Unavailable: the DPoP replay cache cannot take the proof", {
        code: ErrorCode.InternalError,
        headers: { "retry-after": "1" },
        step: "storage",
      });
    }
    if (claimed === "share-full") {
      this.#once(
        "share",
        new Error(
          "DPoP request refused: a principal holds its share of the replay cache (reported once)",
        ),
      );
      // Its places free as its proofs age out: all of them within one proof lifetime.
      return refuse(
        429,
        "Too Many Requests: this caller holds its share of the DPoP replay cache",
        {
          code: ErrorCode.TooManyRequests,
          headers: { "retry-after": String(Math.ceil(this.#maxAgeSeconds)) },
          step: "dpop-share",
        },
      );
    }
    return claimed === true ? undefined : this.#refuse(context, "replay").refusal;
  }

  /** A request without the DPoP scheme: a bearer token when allowed and not DPoP-bound. */
  async #bearer(
    authorization: string | null,
    context: GateContext,
    verify: VerifyToken,
  ): Promise<GateAnswer> {
    const token = tokenOf(authorization, "bearer");
    if (token === undefined) return { refusal: this.#challenge(context, undefined) };
    if (this.required) return this.#refuse(context, "bearer-refused");
    if (token === null) return this.#refuse(context, "token");
    const principal = await verify(token);
    if (principal === undefined) return this.#refuse(context, "token");
    if (jktOf(principal) !== undefined) return this.#refuse(context, "bound-as-bearer");
    return { principal };
  }

  /** The 401 for `cause`, reported once; `nonce` is sent as `DPoP-Nonce`. */
  #refuse(context: GateContext, cause: Cause, nonce?: string): { refusal: Refusal } {
    const { text } = CAUSES[cause];
    this.#once(cause, new Error(`DPoP request refused: ${text} (reported once per cause)`));
    return { refusal: this.#challenge(context, cause, nonce) };
  }

  /** Reports `error` the first time `cause` happens. */
  #once(cause: string, error: unknown): void {
    if (this.#reported.has(cause)) return;
    this.#reported.add(cause);
    this.#report(error);
  }

  /** The 401 with its challenges: `Bearer` first when bearer tokens are allowed, then `DPoP`. */
  #challenge(context: GateContext, cause: Cause | undefined, nonce?: string): Refusal {
    const described = cause === undefined ? undefined : CAUSES[cause];
    const scope = scopeParameter(context.scope);
    const dpop = challenge({
      resource_metadata: context.metadataUrl,
      scope,
      algs: this.algorithms.join(" "),
      error: described?.error,
      error_description: described?.text,
    }, "DPoP");
    const header = this.required
      ? dpop
      : `${challenge({ resource_metadata: context.metadataUrl, scope })}, ${dpop}`;
    const message = described === undefined
      ? "Unauthorized: an access token is required"
      : described.error === "invalid_token"
      ? "Unauthorized: invalid access token"
      : described.error === "use_dpop_nonce"
      ? "Unauthorized: a DPoP proof with the server's nonce is required"
      : "Unauthorized: invalid DPoP proof";
    const headers: Record<string, string> = { "www-authenticate": header };
    if (nonce !== undefined) headers["dpop-nonce"] = nonce;
    return refuse(401, message, { headers, step: "authenticate" });
  }
}

/** The `cnf.jkt` of a principal's claims (a JWT's, or an introspection answer's). */
function jktOf(principal: Principal): string | undefined {
  const claims = (principal as { claims?: { cnf?: { jkt?: unknown } } }).claims;
  const jkt = claims?.cnf?.jkt;
  return typeof jkt === "string" ? jkt : undefined;
}

/** A positive number of seconds, or a TypeError naming the option. */
function positive(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`Option oauth.dpop.${name} must be a positive number, got ${value}`);
  }
  return value;
}
