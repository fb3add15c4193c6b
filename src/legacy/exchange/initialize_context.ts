/**
 * The request context `initialize` runs with: no session exists yet, so
 * nothing can be streamed, subscribed or logged, and nothing cancels it;
 * and the bound on the client metadata it carries.
 * @module
 */

import { type Refusal, refuse } from "../../http/refusal.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { JsonRpcRequest } from "../../jsonrpc/messages.ts";
import type { Principal, RequestContext } from "../../protocol/context/request_context.ts";
import { exceedsUtf8Bytes } from "../../jsonrpc/utf8_length.ts";

/** Client metadata an `initialize` may carry: its capabilities and clientInfo, as JSON in UTF-8. */
const MAX_CLIENT_METADATA_BYTES = 8 * 1024;

/**
 * The 400 for an `initialize` whose `capabilities` and `clientInfo`
 * together exceed 8 KiB of JSON in UTF-8 (a session keeps them for its
 * life); undefined when they fit. `metadataJson`: `[capabilities,
 * clientInfo or null]` as JSON (`clientMetadataJson`).
 */
export function oversizedClientMetadata(
  request: JsonRpcRequest,
  metadataJson: string,
): Refusal | undefined {
  if (!exceedsUtf8Bytes(metadataJson, MAX_CLIENT_METADATA_BYTES)) return undefined;
  return refuse(400, "Invalid params: client capabilities and info are too large", {
    id: request.id,
    code: ErrorCode.InvalidParams,
    step: "jsonrpc",
  });
}

/** A signal nothing aborts: `initialize` is answered at once. */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** The context of an `initialize` request from `principal`. */
export function initializeContext(principal: Principal): RequestContext {
  const refuse = () =>
    Promise.reject(new McpError(ErrorCode.InvalidRequest, "Not available during initialize"));
  return {
    protocolVersion: "",
    clientCapabilities: {},
    principal,
    signal: NEVER_ABORTED,
    notify: () => Promise.resolve(),
    setLogLevel: refuse,
    subscribe: refuse,
    unsubscribe: refuse,
  };
}
