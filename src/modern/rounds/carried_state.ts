/**
 * The two ends of a 2026-07-28 input round's `requestState`: opening the
 * state a retry presents (the answers of earlier rounds) and sealing the
 * state an `input_required` answer hands out. Each turns what can go wrong
 * into the JSON-RPC answer the client gets; neither keeps anything between
 * requests (the state travels with the client). The exchange decides when a
 * round starts or ends (exchange.ts); the codec does the cryptography
 * (request_state.ts).
 * @module
 */

import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import {
  errorResponse,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "../../jsonrpc/messages.ts";
import type { Implementation } from "../../protocol/types.ts";
import type { CarriedInputs, InputRound } from "./input_requests.ts";
import {
  type RequestStateBinding,
  type RequestStateCodec,
  type RequestStateRefusalReason,
  RequestStateTooLargeError,
} from "./request_state.ts";
import { SERVER_INFO_META_KEY } from "../result_encoding.ts";

/** What opening and sealing a state need from the exchange's dependencies. */
export interface CarriedStateDependencies {
  /** The requestState codec (created once, on first use). */
  requestState: () => Promise<RequestStateCodec>;
  /** Told when a presented state does not open: the client's doing, so an event, not an error. */
  onStateRefused?: (reason: RequestStateRefusalReason) => void;
  serverInfo: Implementation;
}

/** The one message every requestState that does not open answers with; the reason goes to `onStateRefused`. */
const INVALID_STATE = "Invalid or expired requestState";

/** The answer to a state over `requestState.maxBytes`, presented or about to be sealed: the client can fix it. */
function stateTooLarge(id: JsonRpcRequest["id"], limit: number): JsonRpcResponse {
  return errorResponse(
    id,
    ErrorCode.InvalidParams,
    `requestState over its limit of ${limit} bytes (requestState.maxBytes): answer with less data`,
  );
}

/**
 * The inputs a retry's `token` carries (an empty carry when there is none),
 * or the error response that answers the request when it does not open or is
 * over the size cap. A codec failure (not the client's doing) rejects.
 *
 * @example
 * ```ts ignore (internal: needs the 2026-07-28 era's parts and a request)
 * const carried = await openCarriedState(deps, request.id, params.requestState, binding);
 * if ("jsonrpc" in carried) return carried; // -32602: invalid, expired or too large
 * ```
 */
export async function openCarriedState(
  deps: CarriedStateDependencies,
  id: JsonRpcRequest["id"],
  token: unknown,
  binding: RequestStateBinding,
): Promise<CarriedInputs | undefined | JsonRpcResponse> {
  if (token === undefined) return undefined;
  const codec = await deps.requestState();
  const opened = await codec.open(token, binding);
  if (!opened.ok) {
    deps.onStateRefused?.(opened.reason);
    return opened.reason === "too-large"
      ? stateTooLarge(id, codec.maxBytes)
      : errorResponse(id, ErrorCode.InvalidParams, INVALID_STATE);
  }
  const payload = opened.payload as CarriedInputs;
  if (typeof payload?.answers !== "object" || typeof payload?.asked !== "object") {
    return errorResponse(id, ErrorCode.InvalidParams, INVALID_STATE);
  }
  return payload;
}

/**
 * The `input_required` answer to request `id`: the round's pending input
 * requests and the sealed state to retry with. A carry grown past the cap is
 * the client's data, so a -32602; a codec failure rejects.
 *
 * @example
 * ```ts ignore (internal: needs the 2026-07-28 era's parts and a pending input round)
 * if (Object.keys(round.pending).length > 0) return await askForInput(deps, id, round, binding);
 * ```
 */
export async function askForInput(
  deps: CarriedStateDependencies,
  id: JsonRpcRequest["id"],
  round: InputRound,
  binding: RequestStateBinding,
): Promise<JsonRpcResponse> {
  const codec = await deps.requestState();
  let requestState: string;
  try {
    requestState = await codec.seal(round.carry(), binding);
  } catch (error) {
    if (error instanceof RequestStateTooLargeError) return stateTooLarge(id, error.limit);
    throw error;
  }
  return {
    jsonrpc: "2.0",
    id,
    result: {
      resultType: "input_required",
      inputRequests: round.pending,
      requestState,
      _meta: { [SERVER_INFO_META_KEY]: deps.serverInfo },
    },
  };
}
