/**
 * Answers one 2026-07-28 request whose envelope and headers were checked.
 * The answer is JSON until the handler emits a notification (progress, or a
 * log message the request asked for) or runs longer than a moment, then an
 * SSE stream of this request's own notifications and its response. Nothing is logged for resumption and
 * nothing is kept after the answer: closing the connection IS cancellation
 * (the handler's signal aborts, late writes are dropped), in `json` mode too
 * (the POST's `request.signal` tells). Server→client
 * requests are never sent; they become `input_required` results (see
 * input_requests.ts) with a sealed `requestState`.
 *
 * This module chooses the answer's form and writes it; the run it answers
 * for (its signal, its `requestState`, its dispatch) is request_run.ts.
 * @module
 */

import { jsonAnswer } from "../http/error_response.ts";
import { SSE_HEADERS } from "../http/sse/sse.ts";
import { workGoesOn } from "../http/work_after_response.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import {
  type JsonRpcErrorObject,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
  serializeMessage,
} from "../jsonrpc/messages.ts";
import type { ResponseMode } from "../http/response_mode.ts";
import type { CacheHints } from "../protocol/definitions/cache_hint.ts";
import type { Principal } from "../protocol/context/request_context.ts";
import type { Dispatcher } from "../protocol/dispatch/dispatcher.ts";
import type { Implementation } from "../protocol/types.ts";
import type { KeepAlive } from "../http/sse/keep_alive.ts";
import { SseConnection } from "../http/sse/sse_connection.ts";
import type { ModernEnvelope } from "./requests/envelope.ts";
import type { Telemetry } from "../observe/telemetry/telemetry.ts";
import type { ModernInFlight, RunningRequest } from "./in_flight.ts";
import { isPromiseLike, type MaybePromise } from "../protocol/maybe_async.ts";
import type { RequestStateCodec, RequestStateRefusalReason } from "./rounds/request_state.ts";
import type { WireDependencies } from "./wire_answer.ts";
import { ModernRun } from "./request_run.ts";

export { cacheHintOf } from "./wire_answer.ts";

/** What every modern exchange shares. */
export interface ModernExchangeDependencies extends WireDependencies {
  dispatcher: Dispatcher;
  serverInfo: Implementation;
  responseMode: ResponseMode;
  maxBufferedBytes: number;
  keepAlive: KeepAlive;
  /** The requestState codec (created once, on first use). */
  requestState: () => Promise<RequestStateCodec>;
  /** The `cacheHints` option: the hint of each cacheable method (a resource's own hint comes first). */
  cacheHints: CacheHints;
  /** In-flight modern work, so `close()` can abort it, `stats()` count it and a cancellation reach it. */
  work: ModernInFlight;
  onError: (error: unknown) => void;
  /**
   * Told when a presented requestState does not open (a client's doing, not a
   * server error: an event, so no client can fill the error log with traces).
   */
  onStateRefused?: (reason: RequestStateRefusalReason) => void;
  /** Told when a call's stream ends because its client went away or stopped reading. */
  onDropped?: (reason: "client-gone" | "overflow") => void;
  /** Traces and measures requests when an OpenTelemetry provider is registered. */
  telemetry?: Telemetry;
}

/** Why a modern request's answer is an HTTP error status rather than 200. */
function statusOf(error: JsonRpcErrorObject): number {
  return error.code === ErrorCode.MissingRequiredClientCapability ? 400 : 200;
}

/** What a call whose client hung up before its JSON answer returns (no one reads it). */
const CLIENT_GONE_STATUS = 499;

/**
 * Runs one modern request and builds its HTTP response. `hangUp`
 * (`json` mode only, where no stream can tell) is the POST's
 * `request.signal`: when it aborts before the answer, the call is cancelled.
 * `headers`: the POST's, for the trace context it carries.
 */
export function answerModernRequest(
  deps: ModernExchangeDependencies,
  request: JsonRpcRequest,
  envelope: ModernEnvelope,
  principal: Principal,
  hangUp?: AbortSignal,
  headers?: Headers,
): MaybePromise<Response> {
  const observed = deps.telemetry?.begin(headers)?.start(
    request,
    envelope.protocolVersion,
    undefined,
    true,
  );
  return new ModernExchange(deps, request, envelope, principal, observed).answer(hangUp);
}

/** One modern request's answer: JSON until something is emitted or the run is slow, then its stream. */
class ModernExchange extends ModernRun<ModernExchangeDependencies> implements RunningRequest {
  /** Its place in the slow-call watch (slow_calls.ts, through ModernInFlight). */
  slowWatch: unknown = undefined;
  #connection: SseConnection | undefined;
  /** The run's final response, once started. */
  #finished: Promise<JsonRpcResponse> | undefined;
  /** True until `answer()`'s response is chosen: the JSON answer or the stream, whichever comes first. */
  #undecided = false;
  /** Settles `answer()`'s promise, once there is one (a run that answers at once needs none). */
  #resolve: ((response: Response) => void) | undefined;

  /** Still running after a moment: a stream (slow_calls.ts), and findable by cancellations from elsewhere. */
  slow(): void {
    if (this.deps.responseMode === "auto") this.#openStream();
    this.deps.work.outlived(this);
  }

  /** True while notifications can still reach the client. */
  get canEmit(): boolean {
    return this.deps.responseMode !== "json" && !this.aborted &&
      (this.#connection === undefined || !this.#connection.ended);
  }

  /**
   * The call's HTTP answer. A run that finishes in this turn (a synchronous
   * tool) with nothing streamed is answered at once, with no promise and no
   * turn of the microtask queue between the tool and the response.
   */
  answer(hangUp?: AbortSignal): MaybePromise<Response> {
    // A json-mode call watches its connection, and an sse-mode one always streams.
    if (hangUp !== undefined || this.deps.responseMode === "sse") {
      this.deps.work.add(this);
      return this.#answerLater(hangUp);
    }
    // Set before the run starts: a handler that emits at once opens the stream, which decides
    // from a microtask, once the answer's promise exists (#openStream). No closure here: one per
    // call made V8 tenure the call's allocations (+20% instructions per call on Node and Deno).
    this.#undecided = true;
    const ran = this.run();
    if (!isPromiseLike(ran) && this.#connection === undefined) {
      // Done within the turn it started in: nothing (a cancellation, close(), the slow-call
      // timer, another request's share check) could have looked for it, so it was never watched.
      this.observed?.end(ran);
      this.#undecided = false;
      return this.#jsonAnswer(ran);
    }
    // Still running, or streaming: watched from now on, before anything else can run.
    this.deps.work.add(this);
    return new Promise<Response>((resolve, reject) => {
      this.#resolve = resolve;
      this.#settle(this.#finished = Promise.resolve(ran), resolve, reject, undefined);
    });
  }

  /** {@linkcode answer} for the calls whose response may be decided before the run ends. */
  #answerLater(hangUp: AbortSignal | undefined): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      // Set before the run starts: a handler that emits at once opens the stream, which decides.
      this.#resolve = resolve;
      this.#undecided = true;
      const finished = this.#finished = Promise.resolve(this.run());
      // Only in json mode: no closure for the other calls.
      const onGone = hangUp === undefined
        ? undefined
        : this.#watchHangUp(hangUp, resolve, finished);
      if (this.deps.responseMode === "sse") this.#openStream();
      const unwatch = onGone === undefined
        ? undefined
        : () => hangUp!.removeEventListener("abort", onGone);
      this.#settle(finished, resolve, reject, unwatch);
    });
  }

  /** Once the run is done: its answer on the stream, or as one JSON body when none opened. */
  #settle(
    finished: Promise<JsonRpcResponse>,
    resolve: (response: Response) => void,
    reject: (error: unknown) => void,
    unwatch: (() => void) | undefined,
  ): void {
    finished.then((response) => {
      // Here, not in a promise of its own: telemetry adds no turn before the work is done.
      this.observed?.end(response);
      unwatch?.();
      this.deps.work.delete(this);
      const connection = this.#connection;
      if (connection !== undefined) {
        connection.write({ data: JSON.stringify(response) });
        connection.close();
        return;
      }
      // The run finished first: its answer is one JSON body, and nothing opens a stream now.
      this.#undecided = false;
      resolve(this.#jsonAnswer(response));
    }, (error) => {
      this.observed?.failed(error);
      unwatch?.();
      this.deps.work.delete(this);
      this.#connection?.close();
      reject(error);
    });
  }

  /** The run's answer as one JSON body (no one reads it when the call was aborted). */
  #jsonAnswer(response: JsonRpcResponse): Response {
    if (this.aborted) return new Response(null, { status: CLIENT_GONE_STATUS });
    return jsonAnswer(response, "error" in response ? statusOf(response.error) : 200);
  }

  /**
   * A dropped connection is a cancellation in this era: the call's signal
   * aborts, and the answer keeps the work's place (maxConcurrentRequests)
   * until a tool that ignores its signal returns. Returns the listener, to
   * remove once the run is done.
   */
  #watchHangUp(
    hangUp: AbortSignal,
    resolve: (response: Response) => void,
    finished: Promise<unknown>,
  ): () => void {
    const onGone = () => {
      this.deps.onDropped?.("client-gone");
      this.abort("client-gone");
      resolve(workGoesOn(new Response(null, { status: CLIENT_GONE_STATUS }), finished));
    };
    if (hangUp.aborted) onGone();
    else hangUp.addEventListener("abort", onGone, { once: true });
    return onGone;
  }

  /** The call's stream, opened on first need; undefined once the call has answered JSON. */
  #openStream(): SseConnection | undefined {
    if (this.#connection !== undefined) return this.#connection;
    if (!this.#undecided) return undefined;
    const connection = new SseConnection({
      maxBufferedBytes: this.deps.maxBufferedBytes,
      onEnd: (reason) => {
        this.deps.keepAlive.remove(connection);
        // The client closed the stream or stopped reading: that is cancellation in this era.
        if (reason !== "closed") {
          this.deps.onDropped?.(reason);
          this.abort("client-gone");
        }
      },
    });
    this.#connection = connection;
    // A comment first: the headers go out now on every runtime, and a client that is gone is noticed.
    connection.writeRaw(": open\n\n");
    this.deps.keepAlive.add(connection);
    this.#undecided = false;
    // A client that closes the stream aborts the call; a tool that ignores its signal still runs.
    const response = new Response(connection.body, { status: 200, headers: SSE_HEADERS });
    if (this.#finished !== undefined) this.#resolve!(workGoesOn(response, this.#finished));
    else {
      // A handler that emits before its first await: the run's promise, and the answer's, exist
      // once run() returns.
      queueMicrotask(() => this.#resolve!(workGoesOn(response, this.#finished!)));
    }
    return connection;
  }

  /** Sends `message` on the call's stream, opened on first need; dropped once nothing reaches the client. */
  emit(message: JsonRpcMessage): Promise<void> {
    if (this.canEmit) this.#openStream()?.write({ data: serializeMessage(message) });
    return Promise.resolve();
  }
}
