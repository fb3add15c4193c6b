/**
 * Answers the requests of one POST. In `auto` mode the answer is JSON when
 * every handler finishes without emitting; the first notification or
 * server→client request switches it to an SSE stream that carries the
 * emitted messages, then the responses, then ends. Every request is
 * registered in flight so it can be cancelled; a cancelled request gets no
 * response. A dropped connection is not a cancellation: the work goes on and
 * its events wait in the event log for a resume.
 * @module
 */

import { httpError, jsonResponse } from "../http/error_response.ts";
import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import type { OutboundRequestOptions, Principal, RequestContext } from "../protocol/context.ts";
import type { Dispatcher } from "../protocol/dispatcher.ts";
import type { ResponseMode } from "../options.ts";
import type { SessionRecord } from "../session/session_store.ts";
import type { InFlightRegistry } from "./in_flight.ts";
import type { PendingRequests } from "./pending_requests.ts";
import type { LogicalStream, StreamHub } from "./stream_hub.ts";

/** Session-bound parts of a request context, provided by the handler. */
export type SessionBindings = Pick<RequestContext, "session" | "setLogLevel" | "subscribe" | "unsubscribe">;

/** What {@linkcode answerRequests} works with. */
export interface ExchangeDependencies {
  dispatcher: Dispatcher;
  hub: StreamHub;
  inFlight: InFlightRegistry;
  pending: PendingRequests;
  responseMode: ResponseMode;
  clientRequestTimeoutMs: number;
  bindings: (session: SessionRecord) => SessionBindings;
}

/** True for sessions whose SSE streams start with a priming event (2025-11-25 and later). */
export function usesPriming(protocolVersion: string): boolean {
  return protocolVersion >= "2025-11-25";
}

/** Runs the requests of one POST and builds its HTTP response. */
export async function answerRequests(
  deps: ExchangeDependencies,
  requests: readonly JsonRpcRequest[],
  isBatch: boolean,
  session: SessionRecord,
  principal: Principal,
): Promise<Response> {
  const mode = deps.responseMode;
  const prime = usesPriming(session.protocolVersion);
  let sse: Response | undefined;
  let opening: Promise<LogicalStream> | undefined;
  // Set once the answer was built from finished results: later emits have nowhere to go.
  let answered = false;
  let onSwitch!: () => void;
  const switched = new Promise<void>((resolve) => (onSwitch = resolve));

  const openStream = (): Promise<LogicalStream> => {
    opening ??= deps.hub.openRequestStream(session.id, prime).then((opened) => {
      sse = opened.response;
      onSwitch();
      return opened.stream;
    });
    return opening;
  };
  const emit = async (message: JsonRpcMessage): Promise<void> => {
    // A JSON answer cannot carry it; nor can an exchange already answered.
    if (mode === "json" || answered) return;
    await (await openStream()).send(message);
  };
  const bindings = deps.bindings(session);

  const runOne = async (request: JsonRpcRequest): Promise<JsonRpcResponse | undefined> => {
    const handle = deps.inFlight.register(session.id, request.id);
    const ctx: RequestContext = {
      protocolVersion: session.protocolVersion,
      clientCapabilities: session.clientCapabilities,
      clientInfo: session.clientInfo,
      principal,
      get signal() {
        return handle.signal;
      },
      logLevel: session.logLevel,
      ...bindings,
      notify: emit,
      request: (method, params, options?: OutboundRequestOptions) => {
        if (mode === "json" || answered) {
          return Promise.reject(new McpError(ErrorCode.RequestFailed, "Server→client requests need an SSE response"));
        }
        const id = deps.pending.nextId();
        const signal = options?.signal === undefined ? handle.signal : AbortSignal.any([handle.signal, options.signal]);
        const reply = deps.pending.wait(session.id, id, principal.id, {
          timeoutMs: options?.timeoutMs ?? deps.clientRequestTimeoutMs,
          signal,
        });
        return emit({ jsonrpc: "2.0", id, method, params }).then(() => reply);
      },
      closeStream: () => {
        // Without an event id the client could not resume, so only primed streams close early.
        if (prime && mode !== "json" && !answered) void openStream().then((s) => s.closeConnection());
      },
    };
    try {
      const response = await deps.dispatcher.handle(request, ctx);
      return handle.aborted ? undefined : response;
    } finally {
      handle.release();
    }
  };

  const runs = requests.map(runOne);
  const all = Promise.all(runs);
  if (mode === "json") {
    await all;
  } else if (mode === "sse") {
    // Handlers that finish within a macrotask are answered in one body; slower
    // ones get their stream (and its priming event id) now, so a silent
    // long-running call stays resumable.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const slow = new Promise<void>((resolve) => (timer = setTimeout(resolve, 0)));
    if (await Promise.race([all.then(() => "done" as const), switched, slow]) !== "done" && opening === undefined) {
      void openStream();
      await switched;
    }
    clearTimeout(timer);
  } else {
    await Promise.race([all, switched]);
  }

  if (opening === undefined) {
    // Every handler finished without emitting: the whole answer is known.
    answered = true;
    const responses = (await all).filter((r): r is JsonRpcResponse => r !== undefined);
    if (responses.length === 0) return new Response(null, { status: 202 });
    if (mode === "sse") return await deps.hub.completeRequestStream(session.id, prime, responses);
    return jsonResponse(JSON.stringify(isBatch ? responses : responses[0]));
  }
  const live = await opening;
  void Promise.all(runs.map((run) => run.then((response) => response && live.send(response))))
    .then(() => live.finish());
  return sse ?? httpError(500, "Internal error", { code: ErrorCode.InternalError });
}
