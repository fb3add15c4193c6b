/**
 * The answer loop of a sessionful POST whose requests may still be running:
 * it waits until every handler has finished, the answer became a stream, or
 * the client left; then answers JSON (or an empty stream when nothing is
 * left to answer), or sends each response on the stream as its handler
 * finishes. It runs no request and opens no stream itself (request_exchange.ts).
 * @module
 */

import { httpError, jsonAnswer, jsonResponse } from "../../http/error_response.ts";
import type { SlowCall, SlowCalls } from "../../http/slow_calls.ts";
import { SSE_HEADERS } from "../../http/sse/sse.ts";
import { type PendingWork, workGoesOn } from "../../http/work_after_response.ts";
import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import type { JsonRpcRequest, JsonRpcResponse } from "../../jsonrpc/messages.ts";
import type { ResponseMode } from "../../http/response_mode.ts";
import { nextTask } from "../../runtime.ts";
import type { AbortCause } from "./in_flight.ts";
import type { SessionRecord } from "../../storage/sessions/session_store.ts";
import type { LogicalStream, StreamHub } from "../streams/stream_hub.ts";
import { RESOLVED, withoutGaps } from "./stream_writes.ts";
import { closedAnswers } from "./unfinished_answers.ts";

/** Answered, with no body, to a POST whose client left before its answer was known; no one reads it. */
const CLIENT_GONE_STATUS = 499;

/** `early` while nothing is held: shared, never written (the first held message replaces it). */
export const NOTHING_HELD: string[] = [];

/** The exchange as its answer loop reads and settles it (request_exchange.ts's LegacyExchange). */
export interface LoopExchange extends SlowCall {
  readonly deps: { hub: StreamHub; slowCalls: SlowCalls };
  readonly session: SessionRecord;
  readonly mode: ResponseMode;
  readonly prime: boolean;
  /** Set once the answer was built from finished results. */
  answered: boolean;
  /** Requests whose handlers have not returned. */
  readonly remaining: number;
  /** Settles the wait for the answer's form (all finished, a stream, or the client gone). */
  decide: (() => void) | undefined;
  requests: readonly JsonRpcRequest[];
  runs: readonly Promise<JsonRpcResponse | undefined>[];
  clientGone: boolean;
  readonly opening: Promise<LogicalStream> | undefined;
  /** Notifications held until the answer's form is known, as their JSON. */
  early: string[];
  readonly closedByServer: boolean;
  /** The stream's Response until the answer loop takes it (nothing keeps it after). */
  sse: Response | undefined;
  startStream(): void;
  abandon(reason: AbortCause): void;
  answerStillRunning(live: LogicalStream): Promise<void>;
  failClosed(runs: Promise<unknown>[]): Response;
  /** The work of its one request answered on `live`: the response sent, then the end. */
  finishOn(live: LogicalStream): Promise<unknown> | PendingWork;
}

/**
 * The answer of `exchange`'s `runs` that may still be going: JSON once all
 * are done (or an empty stream when none has a response left), or the
 * stream the first emit or a slow call opened, each response sent as its
 * handler finishes.
 */
export async function answerAll(
  exchange: LoopExchange,
  runs: Promise<JsonRpcResponse | undefined>[],
  isBatch: boolean,
  connection?: AbortSignal,
): Promise<Response> {
  // Resolved when every handler has finished, the answer became a stream, or the client left.
  const decided = exchange.remaining === 0
    ? RESOLVED
    : new Promise<void>((resolve) => (exchange.decide = resolve));
  exchange.runs = runs;
  if (exchange.mode === "sse") {
    // Handlers that finish within the task are answered in one body; slower
    // ones get their stream (and its priming event id) then, so a silent
    // long-running call stays resumable.
    nextTask(() => {
      if (!exchange.answered && !exchange.clientGone) exchange.startStream();
    });
  } else if (exchange.mode === "auto" && exchange.remaining > 0) {
    exchange.deps.slowCalls.add(exchange);
  }
  if (connection === undefined) await decided;
  else {
    const onGone = () => {
      exchange.clientGone = true;
      exchange.decide?.();
    };
    if (connection.aborted) onGone();
    else connection.addEventListener("abort", onGone, { once: true });
    await decided;
    connection.removeEventListener("abort", onGone);
  }
  exchange.deps.slowCalls.delete(exchange);
  exchange.decide = undefined; // decided: a later call has nothing to settle (and holds nothing)

  if (exchange.opening === undefined) {
    exchange.answered = true;
    if (exchange.clientGone && exchange.remaining > 0) {
      // No one can receive this answer: return now, and let the work run for the orphan timeout.
      const adopt = exchange.deps.hub.orphans.watch(() => exchange.abandon("abandoned"));
      const work = Promise.all(runs);
      void work.then(adopt);
      return workGoesOn(new Response(null, { status: CLIENT_GONE_STATUS }), work);
    }
    // Every handler finished without emitting (or close() answers for the ones still running):
    // the whole answer is known.
    const responses = withoutGaps(
      exchange.closedByServer && exchange.remaining > 0
        ? await closedAnswers(exchange.runs, exchange.requests)
        : runs.length === 1
        ? [await runs[0]]
        : await Promise.all(runs),
    );
    // Nothing left to answer (every request was cancelled or its session ended): a stream
    // without events. No priming event: it would invite a resume with nothing to replay
    // (the official client reconnects after a primed stream that ends without a response).
    if (responses.length === 0) return new Response(null, { status: 200, headers: SSE_HEADERS });
    const early = exchange.early;
    if (exchange.mode === "sse" || early.length > 0) {
      // Notifications emitted on the way, then the responses: one body, logged in one call.
      exchange.early = NOTHING_HELD;
      return await exchange.deps.hub.completeRequestStream(
        exchange.session.id,
        exchange.prime,
        responses,
        early,
      );
    }
    return isBatch ? jsonResponse(JSON.stringify(responses)) : jsonAnswer(responses[0]);
  }
  let live: LogicalStream;
  try {
    live = await exchange.opening;
  } catch {
    return exchange.failClosed(runs);
  }
  live.guardWork(exchange);
  if (exchange.closedByServer) void exchange.answerStillRunning(live);
  // Each response is queued as its handler finishes; the end is queued right after the last,
  // so it joins that message's log write when it can.
  // One request (nearly every POST): its run's own continuation ends the stream; nothing of the
  // loop is held for as long as it runs.
  const work = runs.length === 1 ? exchange.finishOn(live) : allSent(live, runs);
  // The client may drop the stream, or a tool close it (closeStream): the work still runs.
  // Taken, not kept: the running call holds the exchange for the stream's whole life, and a kept
  // Response (its Headers, on Bun its native state) cost ~0.7 KB of heap per held call on Node.
  const sse = exchange.sse;
  exchange.sse = undefined;
  return sse === undefined
    ? httpError(500, "Internal error", { code: ErrorCode.InternalError })
    : workGoesOn(sse, work);
}

/** Queues each response on `live` as its handler finishes, then the end: a batch's work. */
function allSent(
  live: LogicalStream,
  runs: Promise<JsonRpcResponse | undefined>[],
): Promise<unknown> {
  const sent: Promise<void>[] = [];
  return Promise.all(runs.map((run) =>
    run.then((response) => {
      if (response !== undefined) sent.push(live.send(response));
    })
  )).then(() => {
    const finished = live.finish();
    return Promise.all([...sent, finished]);
  });
}
