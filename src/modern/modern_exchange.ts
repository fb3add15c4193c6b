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
 * @module
 */

import { jsonResponse } from "../http/error_response.ts";
import { SSE_HEADERS } from "../http/sse.ts";
import { workGoesOn } from "../http/work_after_response.ts";
import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import {
  errorResponse,
  type JsonRpcErrorObject,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
  serializeMessage,
} from "../jsonrpc/messages.ts";
import type { ResponseMode } from "../options.ts";
import { ownerKeyOf, type Principal, type RequestContext } from "../protocol/context.ts";
import type { Dispatcher } from "../protocol/dispatcher.ts";
import type { Implementation } from "../protocol/types.ts";
import type { KeepAlive } from "../http/keep_alive.ts";
import { SseConnection } from "../http/sse_connection.ts";
import type { ModernEnvelope } from "./envelope.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import type { RequestTelemetry } from "../telemetry/request_telemetry.ts";
import { type CarriedInputs, collectAnswers, InputRound } from "./input_requests.ts";
import type { ResolvedOptions } from "../options.ts";
import type { ModernWork, RunningRequest } from "./modern_work.ts";
import { ModernRequestContext } from "./modern_request_context.ts";
import { NAMED_BY } from "./param_headers.ts";
import { urlElicitationsOf } from "../protocol/url_elicitation.ts";
import {
  type RequestStateBinding,
  type RequestStateCodec,
  type RequestStateRefusalReason,
  RequestStateTooLargeError,
} from "./request_state.ts";
import {
  type CacheHint,
  encodeCompleteResult,
  encodeError,
  SERVER_INFO_META_KEY,
} from "./result_encoding.ts";

/** What every modern exchange shares. */
export interface ModernExchangeDependencies {
  dispatcher: Dispatcher;
  serverInfo: Implementation;
  responseMode: ResponseMode;
  maxBufferedBytes: number;
  keepAlive: KeepAlive;
  /** The requestState codec (created once, on first use). */
  requestState: () => Promise<RequestStateCodec>;
  /** The `cacheHints` option: the hint of each cacheable method (a resource's own hint comes first). */
  cacheHints: ResolvedOptions["cacheHints"];
  /** In-flight modern work, so `close()` can abort it, `stats()` count it and a cancellation reach it. */
  work: ModernWork;
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

/** The cache hint of a cacheable result: a read resource's own hint, else the option's for `method`. */
export function cacheHintOf(
  deps: Pick<ModernExchangeDependencies, "dispatcher" | "cacheHints">,
  method: string,
  params: Record<string, unknown>,
): CacheHint | undefined {
  return method === "resources/read" && typeof params.uri === "string"
    ? deps.dispatcher.resources.cacheHint(params.uri) ?? deps.cacheHints["resources/read"]
    : deps.cacheHints[method as keyof ResolvedOptions["cacheHints"]];
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
): Promise<Response> {
  const observed = deps.telemetry?.begin(headers)?.start(
    request,
    envelope.protocolVersion,
    undefined,
    true,
  );
  return new ModernExchange(deps, request, envelope, principal, observed).answer(hangUp);
}

class ModernExchange implements RunningRequest {
  readonly deps: ModernExchangeDependencies;
  readonly request: JsonRpcRequest;
  readonly envelope: ModernEnvelope;
  readonly principal: Principal;
  /** Its place in the slow-call watch (slow_calls.ts, through ModernWork). */
  slowWatch: unknown = undefined;
  /** Created when the signal is first read or the call aborted: most calls never need one. */
  #controller: AbortController | undefined;
  readonly ownerKey: string;
  #connection: SseConnection | undefined;
  /** The run's final response, once started. */
  #finished: Promise<JsonRpcResponse> | undefined;
  /** Settles `answer()`: with the JSON answer or the stream, whichever comes first. */
  #decide: ((response: Response) => void) | undefined;
  /** The param naming the target, for the methods that may answer `input_required`. */
  readonly #inputTarget: string | undefined;
  #round: InputRound | undefined;
  /** The request's span and timing; undefined while no OpenTelemetry provider is registered. */
  readonly #observed: RequestTelemetry | undefined;

  constructor(
    deps: ModernExchangeDependencies,
    request: JsonRpcRequest,
    envelope: ModernEnvelope,
    principal: Principal,
    observed: RequestTelemetry | undefined,
  ) {
    this.#observed = observed;
    this.deps = deps;
    this.request = request;
    this.envelope = envelope;
    this.principal = principal;
    this.ownerKey = ownerKeyOf(principal);
    this.#inputTarget = NAMED_BY.get(request.method);
  }

  get id(): JsonRpcRequest["id"] {
    return this.request.id;
  }

  get method(): string {
    return this.request.method;
  }

  /** The call's signal (aborts on cancellation, a closed stream, or close()). */
  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  /** True once aborted (reading it creates nothing). */
  get aborted(): boolean {
    return this.#controller?.signal.aborted ?? false;
  }

  abort(reason: string): void {
    (this.#controller ??= new AbortController()).abort(reason);
  }

  /** Still running after a moment: answer on a stream, so a client that goes away is noticed (slow_calls.ts). */
  slow(): void {
    if (this.deps.responseMode === "auto") this.#openStream();
  }

  /** True while notifications can still reach the client. */
  get canEmit(): boolean {
    return this.deps.responseMode !== "json" && !this.aborted &&
      (this.#connection === undefined || !this.#connection.ended);
  }

  answer(hangUp?: AbortSignal): Promise<Response> {
    const { work } = this.deps;
    work.add(this);
    return new Promise<Response>((resolve, reject) => {
      // Set before the run starts: a handler that emits at once opens the stream, which decides.
      this.#decide = resolve;
      const finished = this.#finished = this.#run();
      // Only in json mode: no closure for the other calls.
      const onGone = hangUp === undefined
        ? undefined
        : this.#watchHangUp(hangUp, resolve, finished);
      if (this.deps.responseMode === "sse") this.#openStream();
      finished.then((response) => {
        // Here, not in a promise of its own: telemetry adds no turn before the work is done.
        this.#observed?.end(response);
        if (onGone !== undefined) hangUp!.removeEventListener("abort", onGone);
        work.delete(this);
        const connection = this.#connection;
        if (connection !== undefined) {
          connection.write({ data: JSON.stringify(response) });
          connection.close();
          return;
        }
        // The run finished first: its answer is one JSON body, and nothing opens a stream now.
        this.#decide = undefined;
        if (this.aborted) return resolve(new Response(null, { status: CLIENT_GONE_STATUS }));
        const status = "error" in response ? statusOf(response.error) : 200;
        resolve(jsonResponse(JSON.stringify(response), undefined, status));
      }, (error) => {
        this.#observed?.failed(error);
        if (onGone !== undefined) hangUp!.removeEventListener("abort", onGone);
        work.delete(this);
        this.#connection?.close();
        reject(error);
      });
    });
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
    const decide = this.#decide;
    if (decide === undefined) return undefined;
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
    this.#decide = undefined;
    // A client that closes the stream aborts the call; a tool that ignores its signal still runs.
    const response = new Response(connection.body, { status: 200, headers: SSE_HEADERS });
    if (this.#finished !== undefined) decide(workGoesOn(response, this.#finished));
    else {
      // A handler that emits before its first await: the run's promise exists once #run() returns.
      queueMicrotask(() => decide(workGoesOn(response, this.#finished!)));
    }
    return connection;
  }

  emit(message: JsonRpcMessage): Promise<void> {
    if (this.canEmit) this.#openStream()?.write({ data: serializeMessage(message) });
    return Promise.resolve();
  }

  /** The final JSON-RPC response of the request, encoded for the modern wire. */
  async #run(): Promise<JsonRpcResponse> {
    const { request } = this;
    const id = request.id;
    try {
      const params = request.params ?? {};
      if (
        this.#inputTarget !== undefined &&
        (params.requestState !== undefined || params.inputResponses !== undefined)
      ) {
        const carried = await this.#openState(params.requestState, this.#binding(params));
        if (carried === "invalid") return errorResponse(id, ErrorCode.InvalidParams, INVALID_STATE);
        if (typeof carried === "number") return stateTooLarge(id, carried);
        this.#round = new InputRound(
          collectAnswers(params.inputResponses, carried),
          this.envelope.clientCapabilities,
        );
      }
      const ctx: RequestContext = new ModernRequestContext(this);
      if (this.#observed !== undefined) ctx.trace = this.#observed;
      const response = await this.deps.dispatcher.handle(request, ctx);
      const refused = this.#askUrlElicitations(response);
      if (refused !== undefined) return refused;
      const round = this.#round;
      if (round?.missingCapabilities !== undefined) {
        return errorResponse(
          id,
          ErrorCode.MissingRequiredClientCapability,
          "The request needs a client capability it did not declare",
          { requiredCapabilities: round.missingCapabilities },
        );
      }
      if (round !== undefined && Object.keys(round.pending).length > 0) {
        const codec = await this.deps.requestState();
        let requestState: string;
        try {
          requestState = await codec.seal(round.carry(), this.#binding(params));
        } catch (error) {
          // The answers carried grew past the cap: the client's data, so a client error.
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
            _meta: { [SERVER_INFO_META_KEY]: this.deps.serverInfo },
          },
        };
      }
      if ("error" in response) return { jsonrpc: "2.0", id, error: encodeError(response.error) };
      const hint = cacheHintOf(this.deps, request.method, params);
      return {
        jsonrpc: "2.0",
        id,
        result: encodeCompleteResult(request.method, response.result, this.deps.serverInfo, hint),
      };
    } catch (error) {
      if (error instanceof McpError) {
        return errorResponse(id, error.code, error.message, error.data);
      }
      this.deps.onError(error);
      return errorResponse(id, ErrorCode.InternalError, "Internal error");
    }
  }

  /**
   * A handler's `-32042` (URL elicitation required, which 2026-07-28 does not
   * have) becomes this run's URL-mode input requests; the answer when the
   * client already declined or cancelled one of them.
   */
  #askUrlElicitations(response: JsonRpcResponse): JsonRpcResponse | undefined {
    if (!("error" in response) || response.error.code !== ErrorCode.UrlElicitationRequired) {
      return undefined;
    }
    const elicitations = urlElicitationsOf(response.error.data);
    const round = elicitations === undefined ? undefined : this.inputRound();
    if (round === undefined) return undefined;
    const refused = round.requireUrl(elicitations!);
    if (refused.length === 0) return undefined;
    return errorResponse(
      this.request.id,
      ErrorCode.RequestFailed,
      "The user did not complete a required URL elicitation",
      { elicitationIds: refused },
    );
  }

  /**
   * The input requests of this run, made on the handler's first ask (most
   * calls never ask); undefined for a method that cannot ask the client.
   */
  inputRound(): InputRound | undefined {
    if (this.#inputTarget === undefined) return undefined;
    return this.#round ??= new InputRound({}, this.envelope.clientCapabilities);
  }

  /** What a sealed `requestState` is bound to: the principal, the method and its target. */
  #binding(params: Record<string, unknown>): RequestStateBinding {
    return {
      ownerKey: this.ownerKey,
      method: this.request.method,
      target: String(params[this.#inputTarget!] ?? ""),
      params,
    };
  }

  /**
   * The inputs carried by `requestState`; undefined when there is none,
   * "invalid" when it does not open, the limit when it is over the size cap.
   */
  async #openState(
    token: unknown,
    binding: RequestStateBinding,
  ): Promise<CarriedInputs | undefined | "invalid" | number> {
    if (token === undefined) return undefined;
    const codec = await this.deps.requestState();
    const opened = await codec.open(token, binding);
    if (!opened.ok) {
      this.deps.onStateRefused?.(opened.reason);
      return opened.reason === "too-large" ? codec.maxBytes : "invalid";
    }
    const payload = opened.payload as CarriedInputs;
    if (typeof payload?.answers !== "object" || typeof payload?.asked !== "object") {
      return "invalid";
    }
    return payload;
  }
}
