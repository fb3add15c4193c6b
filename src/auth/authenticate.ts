/**
 * Authentication, once at the entry for both eras: the `authenticate`
 * option's principal, or the bearer token's with the `oauth` option
 * (protected_resource.ts; anonymous without either), and the caller's place in
 * its share of the concurrency pool. The entry calls it after the era's
 * own header checks and before the era's pipeline, which gets the
 * principal. It does not look at sessions, or at what the caller may do.
 * @module
 */

import { AuthenticationError } from "./authentication_error.ts";
import type { ConcurrencyLimit } from "../limits/concurrency_limit.ts";
import { httpError } from "../http/error_response.ts";
import { IssuerUnavailableError } from "./issuer_unavailable_error.ts";
import type { Refusal } from "../http/refusal.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { AuthOptions } from "../config/options.ts";
import {
  ANONYMOUS_PRINCIPAL,
  ownerKeyOf,
  type Principal,
} from "../protocol/context/request_context.ts";
import type { Events } from "../observe/events.ts";
import type { ProtectedResource } from "./protected_resource.ts";
import type { PendingReplayClaim } from "./dpop_gate.ts";

/** A caller turned away: the refusal (or the response of one's own `authenticate`) to answer with. */
export class Refused {
  /** What to answer. */
  readonly answer: Response | Refusal;

  /** A caller turned away with `answer`. */
  constructor(answer: Response | Refusal) {
    this.answer = answer;
  }
}

/**
 * Where authentication leaves a DPoP proof's pending replay claim (the
 * door's visit): the door runs it after its cheap checks, so a request
 * refused before takes no place in the replay cache.
 */
export interface ReplayClaimHolder {
  replayClaim: PendingReplayClaim | undefined;
}

/** What authentication needs. */
export interface AuthenticationParts {
  /** The `authenticate` option; without it every caller is anonymous. */
  authenticate: AuthOptions["authenticate"];
  /** The `oauth` option's protected resource; it authenticates instead of `authenticate` (never both). */
  resource?: ProtectedResource;
  /** The concurrency pool, when `maxConcurrentRequests` is set. */
  concurrency: ConcurrencyLimit | undefined;
  events: Events;
  onError: (error: unknown) => void;
}

/** One handler's authentication step. */
export class Authentication {
  /** False without an `authenticate` or `oauth` option: every caller is anonymous, and there is nothing to wait for. */
  readonly required: boolean;
  readonly #parts: AuthenticationParts;

  /** The step for `parts`. */
  constructor(parts: AuthenticationParts) {
    this.#parts = parts;
    this.required = parts.authenticate !== undefined || parts.resource !== undefined;
  }

  /**
   * The caller of `request`, or why it is turned away. `claimsShare`: the
   * request starts work, so it now counts against its principal's share of
   * the pool (all anonymous callers share one); a reply or a cancellation
   * must reach its work, so it claims none. A DPoP proof's replay claim is
   * left on `holder`, for the caller to run before serving.
   */
  async authenticate(
    request: Request,
    claimsShare: boolean,
    holder: ReplayClaimHolder,
  ): Promise<Principal | Refused> {
    const { authenticate, resource, concurrency, events, onError } = this.#parts;
    if (authenticate === undefined && resource === undefined) return ANONYMOUS_PRINCIPAL;
    try {
      let principal: Principal | undefined;
      if (resource !== undefined) {
        const bearer = await resource.authenticate(request);
        if ("refusal" in bearer) return new Refused(bearer.refusal);
        principal = bearer.principal;
        holder.replayClaim = bearer.replayClaim;
      } else {
        principal = await authenticate?.(request);
      }
      const known = principal ?? ANONYMOUS_PRINCIPAL;
      if (typeof known.id !== "string" || known.id === "") {
        throw new TypeError("authenticate returned a principal without a string id");
      }
      const overShare = claimsShare ? concurrency?.claim(request, ownerKeyOf(known)) : undefined;
      return overShare === undefined ? known : new Refused(overShare);
    } catch (error) {
      if (error instanceof AuthenticationError) {
        events.refused(
          "authenticate",
          error.response.status,
          ErrorCode.InvalidRequest,
          error.message,
        );
        return new Refused(error.response);
      }
      const carried = (error as { response?: unknown } | null)?.response;
      if (carried instanceof Response) {
        events.refused("authenticate", carried.status); // a response of your own: its body is yours
        return new Refused(carried);
      }
      if (error instanceof IssuerUnavailableError) {
        // The token may be good: not a 401 (the client would log in again for nothing), and a
        // 503 the client retries; an outage the verifier reported already is not logged again.
        if (!error.alreadyReported) onError(error);
        events.refused("authenticate", 503, ErrorCode.InternalError, error.message);
        return new Refused(
          httpError(503, "Service Unavailable: the authorization server cannot be reached", {
            code: ErrorCode.InternalError,
            headers: { "retry-after": String(error.retryAfterSeconds) },
          }),
        );
      }
      onError(error);
      return new Refused(
        httpError(500, "Internal error: authentication failed", { code: ErrorCode.InternalError }),
      );
    }
  }
}
