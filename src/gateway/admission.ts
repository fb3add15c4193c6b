/**
 * The gateway's caps at the door: a request that would open upstream
 * sessions (an `initialize`, or a 2026-07-28 request of a principal without
 * its upstream sessions yet) is refused while a cap is full, `503` (all) or
 * `429` (the principal's share) with `Retry-After` and a JSON-RPC error body,
 * through the handler's `authenticate` (wrapped by `gateway.authenticate`).
 * Anonymous callers are counted as upstream_sessions.ts counts them: each
 * session (or 2026-07-28 request) holds its own places, all of them within
 * one share of every anonymous caller together. It cannot see the body: a
 * first call inside an open session still meets the caps as a tool error
 * (`GatewayBusyError`).
 * @module
 */

import { ErrorCode } from "../jsonrpc/error_codes.ts";
import { ANONYMOUS_PRINCIPAL, type Principal } from "../protocol/context/request_context.ts";
import { isModernProtocolVersion } from "../protocol/eras.ts";

/** `Retry-After` of a refusal at a cap, seconds. */
export const CAP_RETRY_AFTER_SECONDS = 5;

/** An `authenticate` function, as `createMcpHandler` takes it. */
export type Authenticate = (
  request: Request,
) => Principal | undefined | Promise<Principal | undefined>;

/** What the door asks of the upstream sessions. */
export interface CapState {
  /** Which cap a new upstream session of `principal` would meet now, if any. */
  full(principal: Principal): "all" | "principal" | "anonymous" | undefined;
  /** The process-wide cap (named in the 503). */
  readonly maxSessions: number;
  /** The cap of one authenticated principal (named in the 429). */
  readonly maxSessionsPerPrincipal: number;
  /** The cap of every anonymous caller together (named in their 429). */
  readonly maxAnonymousSessions: number;
  /** True when `principal` holds a session-less upstream session of every upstream (never anonymous). */
  holdsStateless(principal: Principal): boolean;
}

/** The error an `authenticate` throws to answer with `response` (tether answers it as it is). */
export class GatewayRefusal extends Error {
  /** The 429 or 503 answer. */
  readonly response: Response;
  /** A refusal answered `status` with the JSON-RPC error `code` and `message`. */
  constructor(status: number, code: number, message: string) {
    super(message);
    this.name = "GatewayRefusal";
    this.response = new Response(
      JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }),
      {
        status,
        headers: {
          "content-type": "application/json",
          "retry-after": String(CAP_RETRY_AFTER_SECONDS),
        },
      },
    );
  }
}

/**
 * Throws a {@linkcode GatewayRefusal} when `request` of `principal` would
 * open an upstream session past a cap; returns otherwise. Requests of an
 * existing session (`Mcp-Session-Id`), GETs and DELETEs pass.
 */
export function admit(state: CapState, request: Request, principal: Principal): void {
  if (request.method !== "POST" || request.headers.has("mcp-session-id")) return;
  const version = request.headers.get("mcp-protocol-version")?.trim();
  // A 2026-07-28 request reuses its principal's upstream sessions when it holds them.
  if (
    version !== undefined && isModernProtocolVersion(version) && state.holdsStateless(principal)
  ) {
    return;
  }
  const full = state.full(principal);
  if (full === "all") {
    throw new GatewayRefusal(
      503,
      ErrorCode.InvalidRequest,
      `Service Unavailable: the gateway holds all the upstream sessions it may (limit ${state.maxSessions}), retry later`,
    );
  }
  if (full === "principal") {
    throw new GatewayRefusal(
      429,
      ErrorCode.TooManyRequests,
      `Too Many Requests: too many upstream sessions for this caller (limit ${state.maxSessionsPerPrincipal})`,
    );
  }
  if (full === "anonymous") {
    throw new GatewayRefusal(
      429,
      ErrorCode.TooManyRequests,
      `Too Many Requests: too many upstream sessions for callers without credentials (limit ${state.maxAnonymousSessions})`,
    );
  }
}

/** `inner` (or anonymous callers when absent), with the caps checked on the principal it returns. */
export function guardedAuthenticate(state: CapState, inner?: Authenticate): Authenticate {
  return async (request) => {
    const principal = await inner?.(request);
    admit(state, request, principal ?? ANONYMOUS_PRINCIPAL);
    return principal;
  };
}
