/**
 * What a 2026-07-28 run's dispatcher response becomes on the wire: an
 * error (a URL elicitation the client declined, a missing capability, a
 * handler's), an `input_required` round with its sealed state, or a
 * complete result with its cache hint. It sends nothing: the exchange
 * (exchange.ts) answers with what this returns.
 * @module
 */

import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import { errorResponse, type JsonRpcRequest, type JsonRpcResponse } from "../jsonrpc/messages.ts";
import type { CacheHints } from "../protocol/definitions/cache_hint.ts";
import type { Dispatcher } from "../protocol/dispatch/dispatcher.ts";
import type { MaybePromise } from "../protocol/maybe_async.ts";
import { urlElicitationsOf } from "../protocol/context/url_elicitation.ts";
import { askForInput, type CarriedStateDependencies } from "./rounds/carried_state.ts";
import type { InputRound } from "./rounds/input_requests.ts";
import type { RequestStateBinding } from "./rounds/request_state.ts";
import { type CacheHint, encodeCompleteResult, encodeError } from "./result_encoding.ts";

/** What encoding an answer uses of the era's parts. */
export interface WireDependencies extends CarriedStateDependencies {
  dispatcher: Dispatcher;
  /** The `cacheHints` option: the hint of each cacheable method (a resource's own hint comes first). */
  cacheHints: CacheHints;
  onError: (error: unknown) => void;
}

/** The run whose answer is encoded. */
export interface WireRun {
  readonly deps: WireDependencies;
  readonly request: JsonRpcRequest;
  /** The run's input requests, once its handler asked. */
  readonly round: InputRound | undefined;
  /** The run's input requests, made on first use; undefined for a method that cannot ask. */
  inputRound(): InputRound | undefined;
  /** What a sealed `requestState` is bound to. */
  binding(params: Record<string, unknown>): RequestStateBinding;
}

/** The cache hint of a cacheable result: a read resource's own hint, else the option's for `method`. */
export function cacheHintOf(
  deps: Pick<WireDependencies, "dispatcher" | "cacheHints">,
  method: string,
  params: Record<string, unknown>,
): CacheHint | undefined {
  return method === "resources/read" && typeof params.uri === "string"
    ? deps.dispatcher.resources.cacheHint(params.uri) ?? deps.cacheHints["resources/read"]
    : deps.cacheHints[method as keyof CacheHints];
}

/** The dispatcher's response for the modern wire: an error, a complete result or an input round. */
export function encodeAnswer(
  run: WireRun,
  response: JsonRpcResponse,
  params: Record<string, unknown>,
): MaybePromise<JsonRpcResponse> {
  const { request } = run;
  const id = request.id;
  try {
    const refused = askUrlElicitations(run, response);
    if (refused !== undefined) return refused;
    const round = run.round;
    if (round?.missingCapabilities !== undefined) {
      return errorResponse(
        id,
        ErrorCode.MissingRequiredClientCapability,
        "The request needs a client capability it did not declare",
        { requiredCapabilities: round.missingCapabilities },
      );
    }
    if (round !== undefined && Object.keys(round.pending).length > 0) {
      return askInput(run, round, params);
    }
    if ("error" in response) return { jsonrpc: "2.0", id, error: encodeError(response.error) };
    const hint = cacheHintOf(run.deps, request.method, params);
    return {
      jsonrpc: "2.0",
      id,
      result: encodeCompleteResult(request.method, response.result, run.deps.serverInfo, hint),
    };
  } catch (error) {
    return failedAnswer(run, error);
  }
}

/** The `input_required` answer: the round's pending requests and the sealed state to retry with. */
function askInput(
  run: WireRun,
  round: InputRound,
  params: Record<string, unknown>,
): Promise<JsonRpcResponse> {
  return askForInput(run.deps, run.request.id, round, run.binding(params)).catch((error) =>
    failedAnswer(run, error)
  );
}

/** What a throw on the way becomes: an {@linkcode McpError} keeps its code, anything else is -32603. */
export function failedAnswer(run: WireRun, error: unknown): JsonRpcResponse {
  const id = run.request.id;
  if (error instanceof McpError) return errorResponse(id, error.code, error.message, error.data);
  run.deps.onError(error);
  return errorResponse(id, ErrorCode.InternalError, "Internal error");
}

/**
 * A handler's `-32042` (URL elicitation required, which 2026-07-28 does not
 * have) becomes this run's URL-mode input requests; the answer when the
 * client already declined or cancelled one of them.
 */
function askUrlElicitations(
  run: WireRun,
  response: JsonRpcResponse,
): JsonRpcResponse | undefined {
  if (!("error" in response) || response.error.code !== ErrorCode.UrlElicitationRequired) {
    return undefined;
  }
  const elicitations = urlElicitationsOf(response.error.data);
  const round = elicitations === undefined ? undefined : run.inputRound();
  if (round === undefined) return undefined;
  const refused = round.requireUrl(elicitations!);
  if (refused.length === 0) return undefined;
  return errorResponse(
    run.request.id,
    ErrorCode.RequestFailed,
    "The user did not complete a required URL elicitation",
    { elicitationIds: refused },
  );
}
