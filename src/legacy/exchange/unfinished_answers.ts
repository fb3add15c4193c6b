/**
 * What a sessionful POST answers when its work cannot end the usual way.
 * When `close()` aborts it before every handler returned, each request still
 * running gets the shutdown error (in the JSON answer, or on the POST's open
 * stream), so no client is left without a response; a request whose handler
 * has returned keeps its own response. When the event log cannot open its
 * stream, the POST answers 503. Work given up after the orphan timeout is
 * answered with an error, kept on its stream. Either way the handlers go on
 * until they return (their in-flight places are the exchange's business,
 * request_exchange.ts).
 * @module
 */

import { httpError } from "../../http/error_response.ts";
import { workGoesOn } from "../../http/work_after_response.ts";
import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import { StorageUnavailableError } from "../../storage_unavailable.ts";
import {
  errorResponse,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "../../jsonrpc/messages.ts";
import type { LogicalStream } from "../streams/stream_hub.ts";
import type { InFlightHandle } from "./in_flight.ts";

/** The error answering a request whose work was given up (`abandoned`). */
const ABANDONED =
  "Request abandoned: its client was gone for the orphan timeout and the server stopped it; send it again";

/** The error answering a request `close()` aborted before it returned. */
const SERVER_CLOSED = "Request aborted: the server is shutting down";
/** What a run still in progress loses a race to. */
const STILL_RUNNING = Symbol("still running");

/** `request`'s shutdown error. */
function closedError(request: JsonRpcRequest): JsonRpcResponse {
  return errorResponse(request.id, ErrorCode.InternalError, SERVER_CLOSED);
}

/**
 * Each request's response: its run's, when the run has settled, else the
 * shutdown error. `runs[i]` runs `requests[i]`.
 *
 * @example
 * ```ts ignore (internal: needs a POST's running calls)
 * const responses = await closedAnswers(runs, requests); // one per request, in order
 * ```
 */
export function closedAnswers(
  runs: readonly Promise<JsonRpcResponse | undefined>[],
  requests: readonly JsonRpcRequest[],
): Promise<(JsonRpcResponse | undefined)[]> {
  const closing = Promise.resolve(STILL_RUNNING);
  return Promise.all(runs.map(async (run, i) => {
    // A run that has settled wins the race: its reaction was queued first.
    const first = await Promise.race([run, closing]);
    return first === STILL_RUNNING ? closedError(requests[i]) : first;
  }));
}

/**
 * Sends the shutdown error on `live` for each request still running, then
 * ends the stream. A run that failed has settled: its failure has its own
 * path (the stream's work).
 *
 * @example
 * ```ts ignore (internal: needs a POST's live stream and running calls)
 * void answerStillRunning(live, runs, requests);
 * ```
 */
export async function answerStillRunning(
  live: LogicalStream,
  runs: readonly Promise<JsonRpcResponse | undefined>[],
  requests: readonly JsonRpcRequest[],
): Promise<void> {
  const closing = Promise.resolve(STILL_RUNNING);
  const sent: Promise<void>[] = [];
  for (let i = 0; i < runs.length; i++) {
    const first = await Promise.race([runs[i], closing]).catch(() => undefined);
    if (first !== STILL_RUNNING) continue;
    sent.push(live.send(closedError(requests[i])));
  }
  await Promise.all([...sent, live.finish()]);
}

/**
 * The answer when the event log could not open the POST's stream (`error`),
 * so nothing was sent yet: `503` + `Retry-After` with a JSON-RPC error (the
 * request's id when the POST carried one request). The work, aborted by the
 * caller, counts until its handlers return.
 *
 * @example
 * ```ts ignore (internal: needs a POST's failed stream and running calls)
 * return streamFailedAnswer(openFailure, requests, runs);
 * ```
 */
export function streamFailedAnswer(
  error: unknown,
  requests: readonly JsonRpcRequest[],
  runs: readonly Promise<unknown>[],
): Response {
  const retryAfter = error instanceof StorageUnavailableError ? error.retryAfterSeconds : 1;
  const response = httpError(503, "Service Unavailable: session storage is unreachable", {
    code: ErrorCode.InternalError,
    id: requests.length === 1 ? requests[0].id : null,
    headers: { "retry-after": String(retryAfter) },
  });
  return workGoesOn(response, Promise.all(runs));
}

/**
 * What a finished run answers: its response; for aborted work nothing (cancelled, its session
 * ended: no response is due), except work given up after the orphan timeout (`abandoned`), which
 * is answered with an error, so a resume, or a follower on another instance, ends with it
 * instead of waiting on a stream that will never answer.
 *
 * @example
 * ```ts ignore (internal: needs an in-flight handle)
 * const answer = keptAnswer(handle, response); // undefined when cancelled
 * ```
 */
export function keptAnswer(
  handle: InFlightHandle,
  response: JsonRpcResponse | undefined,
): JsonRpcResponse | undefined {
  if (response === undefined || !handle.aborted) return response;
  return handle.abortedBy === "abandoned"
    ? errorResponse(response.id, ErrorCode.InternalError, ABANDONED)
    : undefined;
}
