/**
 * Answers the requests of one POST. In `auto` mode the answer is JSON when
 * every handler finishes without emitting; the first notification or
 * server→client request switches it to an SSE stream that carries the
 * emitted messages, then the responses, then ends. Every request is
 * registered in flight so it can be cancelled; a request whose id is in
 * flight already, or beyond the session's cap, is answered with an error and
 * does not run. A cancelled request gets no response: when no request of the
 * POST is left to answer, the answer is an SSE stream without events (a POST
 * that carries requests is never answered `202`).
 *
 * A call still running after a moment is answered on its stream even
 * before it emits (slow_calls.ts): it gets event ids the client can resume
 * from, and a client that left is noticed on every runtime (Deno holds a
 * socket until the handler returns). A dropped connection is not a
 * cancellation: the work goes on and its events wait in the event log for a
 * resume, for at most the orphan timeout without a connection; then its
 * signal aborts with `abandoned`.
 *
 * This is the hot path: one {@linkcode LegacyExchange} per POST and one
 * {@linkcode LegacyRequestContext} per request, with methods on their
 * prototypes rather than fresh closures per call.
 *
 * This module registers, runs and releases the POST's requests. What a
 * handler sees of its request (`ctx`: notifications, server→client requests,
 * session state) is request_context.ts; the POST's stream (its opening, the
 * notifications held before it, what is emitted on it), post_stream.ts; the
 * wait for the answer's form and the answer itself, answer_loop.ts.
 * @module
 */

import { jsonAnswer, jsonResponse } from "../../http/error_response.ts";
import { SSE_HEADERS } from "../../http/sse/sse.ts";
import type { JsonRpcRequest, JsonRpcResponse } from "../../jsonrpc/messages.ts";
import type { Principal, RequestContext } from "../../protocol/context/request_context.ts";
import type { PostTelemetry } from "../../observe/telemetry/telemetry.ts";
import type { RequestTelemetry } from "../../observe/telemetry/request_telemetry.ts";
import { isPromiseLike, type MaybePromise } from "../../protocol/maybe_async.ts";
import type { Dispatcher } from "../../protocol/dispatch/dispatcher.ts";
import type { RunEnd } from "../../protocol/run_end.ts";
import type { ResponseMode } from "../../http/response_mode.ts";
import type { SessionRecord } from "../../storage/sessions/session_store.ts";
import {
  type AbortCause,
  type InFlightHandle,
  inFlightRefusal,
  type InFlightRegistry,
} from "./in_flight.ts";
import { answerStillRunning, keptAnswer } from "./unfinished_answers.ts";
import { answerAll, type LoopExchange } from "./answer_loop.ts";
import type { SlowCalls } from "../../http/slow_calls.ts";
import type { LogicalStream, StreamHub } from "../streams/stream_hub.ts";
import {
  type ContextExchange,
  LegacyRequestContext,
  type RequestContextDependencies,
} from "./request_context.ts";
import { PostStream, usesPriming } from "./post_stream.ts";

/** What {@linkcode answerLegacyRequests} works with: what its requests' contexts use, and more. */
export interface LegacyExchangeDependencies extends RequestContextDependencies {
  dispatcher: Dispatcher;
  hub: StreamHub;
  inFlight: InFlightRegistry;
  responseMode: ResponseMode;
  /** Tells `auto`-mode answers that run longer than a moment to open their stream. */
  slowCalls: SlowCalls;
}

/**
 * Runs the requests of one POST and builds its HTTP response. `connection`
 * (`json` mode only, where no stream can tell) is the POST's
 * `request.signal`: when it aborts before the answer, the POST returns at
 * once and its work runs on as an orphan. `telemetry`: given when an
 * OpenTelemetry provider is registered.
 */
export function answerLegacyRequests(
  deps: LegacyExchangeDependencies,
  requests: readonly JsonRpcRequest[],
  isBatch: boolean,
  session: SessionRecord,
  principal: Principal,
  connection?: AbortSignal,
  telemetry?: PostTelemetry,
): MaybePromise<Response> {
  return new LegacyExchange(deps, session, principal, telemetry).answer(
    requests,
    isBatch,
    connection,
  );
}

/** Before `answer` sets it: shared, never written. */
const NO_REQUESTS: readonly JsonRpcRequest[] = [];

/** `#handles` before the first registration, shared (`[]` then `push` allocates room for 17). */
const NO_HANDLES: InFlightHandle[] = [];

/** The state of one POST's answer: JSON until something is emitted, then a stream. */
class LegacyExchange extends PostStream
  implements ContextExchange, LoopExchange, RunEnd<JsonRpcResponse | undefined> {
  readonly deps: LegacyExchangeDependencies;
  readonly session: SessionRecord;
  readonly principal: Principal;
  readonly mode: ResponseMode;
  readonly prime: boolean;
  /** The registrations of this POST's requests, to abort them when abandoned. */
  #handles: InFlightHandle[] = NO_HANDLES;
  clientGone = false;
  /** This POST's requests (and `runs`), for answering what still runs when `close()` aborts it. */
  requests: readonly JsonRpcRequest[] = NO_REQUESTS;
  /** True once `close()` aborted this POST's work: what still runs is answered with an error now. */
  closedByServer = false;
  /** The shutdown errors' sending and the stream's end, once `close()` took it over. */
  #closing: Promise<void> | undefined = undefined;
  /** Starts each request's span and timing; undefined while no OpenTelemetry provider is registered. */
  readonly telemetry: PostTelemetry | undefined;
  /** The one request's telemetry, for `responded`. */
  #observed: RequestTelemetry | undefined = undefined;

  constructor(
    deps: LegacyExchangeDependencies,
    session: SessionRecord,
    principal: Principal,
    telemetry: PostTelemetry | undefined,
  ) {
    super();
    this.deps = deps;
    this.session = session;
    this.principal = principal;
    this.telemetry = telemetry;
    this.mode = deps.responseMode;
    // Without sessions nothing is resumed: no priming event, so no early close either.
    this.prime = deps.stateless === undefined && usesPriming(session.protocolVersion);
  }

  /**
   * The POST's HTTP answer. One request in `auto` mode whose handler returns
   * at once without emitting (a synchronous tool) is answered at once, with
   * no promise and no turn between the tool and the response; anything else
   * goes on in {@linkcode #answerAll}.
   */
  answer(
    requests: readonly JsonRpcRequest[],
    isBatch: boolean,
    connection?: AbortSignal,
  ): MaybePromise<Response> {
    this.remaining = requests.length;
    // Every request is known before the first handler runs: one may open the stream at once.
    this.requests = requests;
    if (requests.length !== 1 || this.mode !== "auto" || connection !== undefined) {
      const handles = requests.map((request) => this.#register(request));
      return answerAll(
        this,
        // Promise.resolve hands a promise back as it is.
        requests.map((request, i) => Promise.resolve(this.#run(request, handles[i]))),
        isBatch,
        connection,
      );
    }
    const ran = this.#run(requests[0], this.#register(requests[0]));
    if (isPromiseLike(ran) || this.opening !== undefined || this.early.length > 0) {
      return answerAll(this, [Promise.resolve(ran)], isBatch);
    }
    this.answered = true;
    // Cancelled while it ran, or its session ended: nothing to answer (see #answerAll).
    if (ran === undefined) return new Response(null, { status: 200, headers: SSE_HEADERS });
    return isBatch ? jsonResponse(JSON.stringify([ran])) : jsonAnswer(ran);
  }

  /**
   * The client is gone and did not come back within the orphan timeout, or
   * the stream's event log failed: abort what still runs.
   */
  abandon(reason: AbortCause = "abandoned"): void {
    for (const handle of this.#handles) handle.abort(reason);
  }

  /**
   * `close()` aborted this POST's work (see {@linkcode InFlightHandle.owner}):
   * a request still running is answered now with an error, in the JSON
   * answer or on the open stream, so no client is left without a response;
   * its handler keeps its in-flight place until it returns.
   */
  serverClosed(): void {
    if (this.closedByServer) return;
    this.closedByServer = true;
    const live = this.stream;
    if (live !== undefined) void this.answerStillRunning(live);
    else this.decide?.(); // a JSON answer waiting for its handlers is decided now
  }

  /** Sends the shutdown error for each request still running on `live` (once), then ends it. */
  answerStillRunning(live: LogicalStream): Promise<void> {
    return this.#closing ??= answerStillRunning(live, this.runs, this.requests);
  }

  /**
   * Takes `request`'s place in flight: its handle, or the error that answers
   * it when the registry refuses (a duplicate id, a full session). A batch
   * takes every place before any of its requests runs, so the cap bounds the
   * batch whether its handlers return at once or not.
   */
  #register(request: JsonRpcRequest): InFlightHandle | JsonRpcResponse {
    const { inFlight } = this.deps;
    const handle = inFlight.register(this.session.id, request.id, request.method);
    if (typeof handle === "string") {
      if (--this.remaining === 0) this.decide?.();
      return inFlightRefusal(request, handle, inFlight.maxPerSession);
    }
    if (this.#handles === NO_HANDLES) this.#handles = [handle];
    else this.#handles.push(handle);
    handle.owner = this;
    return handle;
  }

  /**
   * Runs one registered request (or answers it with its refusal): its
   * response, at once when the dispatcher answers at once (undefined when it
   * was cancelled, abandoned or its session ended). No closure or promise of
   * its own: this is every sessionful call's path (a promise-and-closure
   * version cost ~70k instructions per call on Deno).
   */
  #run(
    request: JsonRpcRequest,
    handle: InFlightHandle | JsonRpcResponse,
  ): MaybePromise<JsonRpcResponse | undefined> {
    if ("jsonrpc" in handle) return handle;
    const ctx: RequestContext = new LegacyRequestContext(this, handle);
    const observed = this.telemetry?.start(
      request,
      this.session.protocolVersion,
      this.session.id,
      false,
    );
    if (observed !== undefined) ctx.trace = observed;
    // One request (nearly every POST): the dispatcher's own `then` ends its run (`responded`).
    const end = this.requests.length === 1 ? this : undefined;
    if (end !== undefined) this.#observed = observed;
    let response: MaybePromise<JsonRpcResponse | undefined>;
    try {
      response = this.deps.dispatcher.handle(request, ctx, end);
    } catch (error) {
      this.#ran(handle); // the dispatcher answers its failures; this is only for safety's sake
      throw error;
    }
    if (!isPromiseLike(response)) return this.#ran(handle, response, observed);
    return end !== undefined ? response : this.#runOn(response, handle, observed);
  }

  /** The one request's handler returned: its response (none when answering failed), see {@linkcode RunEnd}. */
  responded(response: JsonRpcResponse | undefined): JsonRpcResponse | undefined {
    return this.#ran(this.#handles[0], response, this.#observed);
  }

  /** {@linkcode #run} for a batch's handler still running: its response once it returns. */
  #runOn(
    response: Promise<JsonRpcResponse | undefined>,
    handle: InFlightHandle,
    observed: RequestTelemetry | undefined,
  ): Promise<JsonRpcResponse | undefined> {
    return response.then(
      (answered) => this.#ran(handle, answered, observed),
      (error) => {
        this.#ran(handle);
        throw error;
      },
    );
  }

  /** A run is over: its place is released, and its answer kept (see `keptAnswer`). */
  #ran(
    handle: InFlightHandle,
    response?: JsonRpcResponse,
    observed?: RequestTelemetry,
  ): JsonRpcResponse | undefined {
    const answer = keptAnswer(handle, response);
    if (response !== undefined) observed?.end(answer);
    handle.release();
    if (--this.remaining === 0) this.decide?.();
    if (this.requests.length === 1) this.ranOne(answer, this.#closing);
    return answer;
  }
}
