/**
 * One `initialize` answer for both 2025 modes (sessionful and stateless):
 * the client metadata normalised (a `capabilities` or `clientInfo` that is
 * not a plain object counts as absent) and bounded (its JSON is handed to
 * `open`, which keys a session's shared copy by it), the span, the dispatch,
 * the 400 of a refused initialize. What a success opens (a session, or
 * nothing) is the caller's `open`; it serves only a lone `initialize`.
 * @module
 */

import { jsonResponse } from "../../http/error_response.ts";
import type { Refusal } from "../../http/refusal.ts";
import {
  asPlainObject,
  type JsonRpcRequest,
  type JsonRpcResultResponse,
} from "../../jsonrpc/messages.ts";
import type { Principal } from "../../protocol/context/request_context.ts";
import type { Dispatcher } from "../../protocol/dispatch/dispatcher.ts";
import type { ClientCapabilities, Implementation } from "../../protocol/types.ts";
import type { Telemetry } from "../../observe/telemetry/telemetry.ts";
import { initializeContext, oversizedClientMetadata } from "./initialize_context.ts";
import { type ClientMetadata, clientMetadataJson } from "../sessions/client_metadata_pool.ts";

/** What `open` made of a served `initialize`: the answer, and the new session's id when there is one. */
export interface Opened {
  answer: Response | Refusal;
  sessionId?: string;
}

/** The parts an `initialize` is answered with. */
export interface InitializeAnswerParts {
  dispatcher: Dispatcher;
  telemetry: Telemetry;
}

/** The normalised client metadata of `request`'s params. */
export function clientMetadataOf(request: JsonRpcRequest): ClientMetadata {
  const params = request.params ?? {};
  return {
    capabilities: (asPlainObject(params.capabilities) ?? {}) as ClientCapabilities,
    clientInfo: asPlainObject(params.clientInfo) as Implementation | undefined,
  };
}

/**
 * Answers `request` (an `initialize` POSTed as `post`): 400 when its client
 * metadata is over the bound or the dispatcher refuses it; otherwise what
 * `open` makes of the dispatcher's result and the negotiated version. A throw
 * of `open` fails the span and is thrown.
 *
 * @example
 * ```ts ignore (internal: needs the sessionful era's parts and an initialize request)
 * // The stateless mode: nothing to open, the result as it is.
 * const answer = await answerInitialize(parts, request, principal, post, (response) =>
 *   Promise.resolve({ answer: jsonResponse(JSON.stringify(response)) }));
 * ```
 */
export async function answerInitialize(
  parts: InitializeAnswerParts,
  request: JsonRpcRequest,
  principal: Principal,
  post: Request,
  open: (
    response: JsonRpcResultResponse,
    version: string,
    clientMetadataJson: string,
  ) => Promise<Opened>,
): Promise<Response | Refusal> {
  const metadata = clientMetadataOf(request);
  // Measured once: the bound's text is also what a session's shared copy is keyed by.
  const metadataJson = clientMetadataJson(metadata);
  const oversized = oversizedClientMetadata(request, metadataJson);
  if (oversized !== undefined) return oversized;
  const observed = parts.telemetry.begin(post)?.start(request, "", undefined, false);
  const response = await parts.dispatcher.handle(request, initializeContext(principal));
  if ("error" in response) {
    observed?.end(response);
    return jsonResponse(JSON.stringify(response), undefined, 400);
  }
  const version = String(response.result.protocolVersion);
  const opened = await open(response, version, metadataJson).catch((error) => {
    observed?.failed(error);
    throw error;
  });
  observed?.end(response, opened.sessionId, version);
  return opened.answer;
}
