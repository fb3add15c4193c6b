/**
 * The 2026-07-28 (stateless) pipeline for one POSTed message that claims the
 * modern era. The shared steps (Host/Origin, Accept, Content-Type, body,
 * JSON, JSON-RPC envelope, authentication) have run. This module runs the
 * era's own checks in the spec's order, each returning a refusal:
 *
 *   `_meta` envelope (-32602) → MCP-Protocol-Version vs. claim (-32020) →
 *   Mcp-Method vs. body (-32020) → supported version (-32022) → required
 *   headers and Mcp-Name (-32020) → method exists (404, -32601) →
 *   Mcp-Param-* (-32020) → dispatch
 *
 * then answers `server/discover` and `subscriptions/listen` itself and hands
 * everything else to the exchange, unless its principal has its share of
 * requests in flight already (429). No session is looked at or created:
 * `Mcp-Session-Id` and `Last-Event-ID` are ignored.
 * @module
 */

import { jsonResponse } from "../http/error_response.ts";
import { shareFull } from "../http/principal_shares.ts";
import { accepted } from "../http/responses.ts";
import { busUnavailable, type Refusal, refuse } from "../http/refusal.ts";
import { echoInput } from "../jsonrpc/echo.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { Delivery } from "../bus/delivery.ts";
import type {
  ClassifiedMessage,
  JsonRpcNotification,
  JsonRpcRequest,
} from "../jsonrpc/messages.ts";
import { ownerKeyOf, type Principal } from "../protocol/context.ts";
import {
  FIRST_MODERN_PROTOCOL_VERSION,
  SUPPORTED_MODERN_PROTOCOL_VERSIONS,
} from "../protocol/eras.ts";
import { type ModernEnvelope, readEnvelope, withoutEnvelope } from "./envelope.ts";
import { ListenStreams } from "./listen_streams.ts";
import { ModernInFlight } from "./in_flight.ts";
import {
  RequestStateCodec,
  type RequestStateOptions,
  type RequestStateRefusalReason,
} from "./request_state.ts";
import type { BusMessage } from "../bus/message_bus.ts";
import type { Era, EraStats } from "../era.ts";
import { drained } from "../http/drained.ts";
import type { KeepAlive } from "../http/keep_alive.ts";
import type { ResolvedOptions } from "../options.ts";
import type { Dispatcher } from "../protocol/dispatcher.ts";
import type { Implementation } from "../protocol/types.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { answerModernRequest, cacheHintOf, type ModernExchangeDependencies } from "./exchange.ts";
import {
  checkNameHeader,
  checkParameterHeaders,
  methodHeaderMatches,
  NAMED_BY,
} from "./param_headers.ts";
import { encodeCompleteResult } from "./result_encoding.ts";
import type { MaybePromise } from "../protocol/maybe_async.ts";

/** What the modern pipeline needs beyond the exchange's dependencies. */
interface ModernPipelineDependencies extends ModernExchangeDependencies {
  listen: ListenStreams;
  /** Where a cancellation goes: to the work here, or through the bus to another instance. */
  delivery: Pick<Delivery, "deliver">;
}

/** The settings of the 2026-07-28 era, built by the handler from its resolved options. */
export type ModernSettings = Pick<
  ResolvedOptions,
  | "responseMode"
  | "maxStreamBufferBytes"
  | "cacheHints"
  | "maxRequestsPerPrincipal"
  | "onError"
  | "maxListenStreams"
  | "maxListenStreamsPerPrincipal"
  | "maxSubscriptions"
  | "maxListenSubscriptionBytes"
  | "maxUriBytes"
>;

/** What the 2026-07-28 era is built from. */
export interface ModernPipelineOptions {
  settings: ModernSettings;
  dispatcher: Dispatcher;
  serverInfo: Implementation;
  /** The handler's heartbeat timer, shared with the sessionful streams. */
  keepAlive: KeepAlive;
  /** Where a cancellation goes: to the work here, or through the bus to another instance. */
  delivery: Pick<Delivery, "deliver">;
  /** The `requestState` option: how input rounds' state is sealed (the codec is made on first use). */
  requestState: RequestStateOptions | undefined;
  /** Told when a presented requestState does not open. */
  onStateRefused: (reason: RequestStateRefusalReason) => void;
  /** Told when a stream ends because its client went away or stopped reading. */
  onDropped: (reason: "client-gone" | "overflow") => void;
  telemetry: Telemetry;
}

/**
 * The 2026-07-28 era: its work in flight, its listen streams and its
 * requestState codec, behind the face every era shows (src/era.ts).
 */
export class ModernPipeline implements Era {
  /** How close()'s report names this era's work. */
  readonly label = "in 2026-07-28";
  readonly #deps: ModernPipelineDependencies;
  readonly #work: ModernInFlight;
  readonly #listen: ListenStreams;
  readonly #settings: ModernSettings;
  #codec: Promise<RequestStateCodec> | undefined;

  /** The era over `options`; it sets no timer until a request needs one. */
  constructor(options: ModernPipelineOptions) {
    const { settings, dispatcher, serverInfo, keepAlive } = options;
    this.#settings = settings;
    this.#work = new ModernInFlight(settings.maxRequestsPerPrincipal);
    this.#listen = createListenStreams(
      settings,
      dispatcher,
      serverInfo,
      keepAlive,
      options.onDropped,
    );
    this.#deps = {
      delivery: options.delivery,
      dispatcher,
      serverInfo,
      responseMode: settings.responseMode,
      maxBufferedBytes: settings.maxStreamBufferBytes,
      keepAlive,
      requestState: () => this.#codec ??= RequestStateCodec.create(options.requestState),
      cacheHints: settings.cacheHints,
      work: this.#work,
      onError: settings.onError,
      onStateRefused: options.onStateRefused,
      onDropped: options.onDropped,
      listen: this.#listen,
      telemetry: options.telemetry,
    };
  }

  /**
   * Serves one POSTed 2026-07-28 message (the entry classified the POST as
   * this era: one message). Not an async function: a synchronous tool's
   * answer comes back at once (maybe_async.ts).
   */
  serve(
    request: Request,
    headers: Headers,
    messages: readonly ClassifiedMessage[],
    _isBatch: boolean,
    principal: Principal,
    versionHeader: string | null,
  ): MaybePromise<Response | Refusal> {
    // In json mode no stream can tell that a client left: the request's signal does.
    const connection = this.#settings.responseMode === "json" ? request.signal : undefined;
    return serveModernMessage(
      this.#deps,
      headers,
      messages[0],
      principal,
      versionHeader,
      connection,
    );
  }

  /** Acts on a bus message for the listen streams and work of this process. */
  receive(message: BusMessage): number {
    switch (message.type) {
      case "broadcast":
        return this.#listen.publish({ jsonrpc: "2.0", ...message.notification });
      case "resource-updated":
        return this.#listen.resourceUpdated(message.uri);
      case "stateless-cancel":
        return this.#work.cancel(message.ownerKey, message.requestId);
      default:
        return 0;
    }
  }

  /** Requests running and listen streams open (no sessions, no client requests in this era). */
  stats(): EraStats {
    return {
      sessions: 0,
      inFlight: this.#work.size,
      openStreams: this.#listen.size,
      pendingClientRequests: 0,
      refusedAtSessionCap: 0,
      abandoned: 0,
    };
  }

  /** Listen streams end now (with their result); then up to `graceMs` for the work running. */
  async drain(graceMs: number): Promise<void> {
    this.#listen.closeAll();
    if (graceMs > 0) await drained(graceMs, () => this.#work.size);
  }

  /** Aborts every request; the slow-call timer stops (no stream opens from now on). */
  abort(reason: "server-closed"): void {
    this.#work.abortAll(reason);
  }

  /** Nothing is left to end: each request's answer ends with its work. */
  close(_writesMs: number): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to dispose: the era keeps no resources between requests. */
  dispose(): Promise<void> {
    return Promise.resolve();
  }

  /** Requests running. */
  running(): number {
    return this.#work.size;
  }

  /** Each request still running, by method and id. */
  describeRunning(): string[] {
    return this.#work.describe().map(({ id, method }) =>
      `${method} id ${JSON.stringify(id)} (2026-07-28)`
    );
  }
}

/**
 * The 2026-07-28 listen streams, bounded by the settings and able to deliver
 * what `dispatcher` advertises.
 */
function createListenStreams(
  settings: ModernSettings,
  dispatcher: Dispatcher,
  serverInfo: Implementation,
  keepAlive: KeepAlive,
  onDropped: (reason: "client-gone" | "overflow") => void,
): ListenStreams {
  const capabilities = dispatcher.capabilities as Record<
    string,
    { listChanged?: boolean; subscribe?: boolean } | undefined
  >;
  return new ListenStreams({
    maxStreams: settings.maxListenStreams,
    maxStreamsPerPrincipal: settings.maxListenStreamsPerPrincipal,
    maxResourceSubscriptions: settings.maxSubscriptions,
    maxResourceSubscriptionBytes: settings.maxListenSubscriptionBytes,
    maxUriBytes: settings.maxUriBytes,
    maxBufferedBytes: settings.maxStreamBufferBytes,
    keepAlive,
    serverInfo,
    onDropped,
    support: {
      toolsListChanged: capabilities.tools?.listChanged === true,
      promptsListChanged: capabilities.prompts?.listChanged === true,
      resourcesListChanged: capabilities.resources?.listChanged === true,
      resourceSubscriptions: capabilities.resources?.subscribe === true,
    },
  });
}

/** Methods of the sessionful revisions that do not exist in 2026-07-28. */
const REMOVED_METHODS = new Set([
  "initialize",
  "ping",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe",
]);

/**
 * Serves one modern message (a request or a notification) posted with
 * `headers`; `versionHeader` is their MCP-Protocol-Version, already read. Not
 * an async function: a request's answer is the exchange's own, with no layer
 * around it, and a synchronous tool's comes back at once (maybe_async.ts).
 */
function serveModernMessage(
  deps: ModernPipelineDependencies,
  headers: Headers,
  message: ClassifiedMessage,
  principal: Principal,
  versionHeader: string | null,
  connection?: AbortSignal,
): MaybePromise<Response | Refusal> {
  if (message.kind === "response") {
    return refuse(
      400,
      "Invalid Request: JSON-RPC responses cannot be posted in this protocol version",
      { step: "modern" },
    );
  }
  if (message.kind === "notification") {
    return receiveNotification(deps, message.message, principal, headers, versionHeader);
  }
  const request = message.message;
  const checked = checkModernRequest(deps, headers, request, versionHeader);
  if ("status" in checked) return checked;
  // The request as the code that serves it sees it.
  const seen = needsNoCopy(deps, request) ? request : withoutEnvelope(request);
  const params = seen.params ?? {};
  switch (request.method) {
    case "server/discover": {
      const observed = deps.telemetry?.begin(headers)?.start(
        seen,
        checked.envelope.protocolVersion,
        undefined,
        true,
      );
      const result = encodeCompleteResult(
        "server/discover",
        deps.dispatcher.discover(SUPPORTED_MODERN_PROTOCOL_VERSIONS),
        deps.serverInfo,
        cacheHintOf(deps, "server/discover", params),
      );
      observed?.end({ jsonrpc: "2.0", id: request.id, result });
      return jsonResponse(JSON.stringify({ jsonrpc: "2.0", id: request.id, result }));
    }
    case "subscriptions/listen": {
      try {
        return deps.listen.open(request.id, params, ownerKeyOf(principal));
      } catch (error) {
        const { code, message } = error as { code: number; message: string };
        return jsonResponse(
          JSON.stringify({ jsonrpc: "2.0", id: request.id, error: { code, message } }),
        );
      }
    }
  }
  const ownerKey = ownerKeyOf(principal);
  if (deps.work.atShare(ownerKey)) {
    return {
      ...shareFull("2026-07-28 requests in flight", deps.work.maxPerPrincipal, 1),
      id: request.id,
    };
  }
  return answerModernRequest(deps, seen, checked.envelope, principal, connection, headers);
}

/**
 * True when no code but the core's will read the request, so the envelope
 * keys need not be copied out of its `_meta` (about 4% of a served call's
 * instructions on Deno): a `tools/call` with no extension step around it,
 * of which the core reads the `name`, the `arguments`, the progress token
 * and the input round's fields (a `requestState` binding leaves `_meta` out).
 * Everything else an extension, a resource or a prompt handler may read gets
 * the copy without them.
 */
function needsNoCopy(deps: ModernPipelineDependencies, request: JsonRpcRequest): boolean {
  return request.method === "tools/call" && !deps.dispatcher.wrapsToolCalls;
}

/** A posted notification: a cancellation reaches only the same principal's requests; others change nothing here. */
async function receiveNotification(
  deps: ModernPipelineDependencies,
  notification: JsonRpcNotification,
  principal: Principal,
  headers: Headers,
  versionHeader: string | null,
): Promise<Response | Refusal> {
  const { method, params } = notification;
  const requestId = params?.requestId;
  // Its span names the version only when the header names one this era serves.
  const version = versionHeader?.trim() ?? "";
  const span = deps.telemetry?.begin(headers)?.notification(
    notification,
    SUPPORTED_MODERN_PROTOCOL_VERSIONS.includes(version) ? version : "",
    undefined,
  );
  if (
    method === "notifications/cancelled" &&
    (typeof requestId === "string" || typeof requestId === "number")
  ) {
    // The work here first; not running here, maybe on another instance.
    try {
      await deps.delivery.deliver({
        type: "stateless-cancel",
        ownerKey: ownerKeyOf(principal),
        requestId,
      });
    } catch (error) {
      deps.onError(error);
      const refusal = busUnavailable();
      span?.end(String(refusal.code));
      return refusal;
    }
  } else {
    // An extension's notification, if one handles it (never fails the POST), without the envelope.
    const stripped = withoutEnvelope(notification);
    await deps.dispatcher.receiveNotification(method, stripped.params, {
      principal,
      protocolVersion: FIRST_MODERN_PROTOCOL_VERSION,
    });
  }
  span?.end();
  return accepted();
}

/** The era's checks, in the spec's order; the envelope when every one passes. */
function checkModernRequest(
  deps: ModernPipelineDependencies,
  headers: Headers,
  request: JsonRpcRequest,
  versionHeader: string | null,
): { envelope: ModernEnvelope } | Refusal {
  const id = request.id;
  const read = readEnvelope(request);
  if (!read.ok) {
    return refuse(400, read.message, { code: ErrorCode.InvalidParams, id, step: "modern" });
  }
  const { envelope } = read;
  const headerVersion = versionHeader?.trim();
  if (headerVersion !== undefined && headerVersion !== envelope.protocolVersion) {
    return mismatch("MCP-Protocol-Version does not match _meta", id);
  }
  const methodHeader = headers.get("mcp-method");
  if (methodHeader !== null && !methodHeaderMatches(methodHeader, request.method)) {
    return mismatch("Mcp-Method does not match the body", id);
  }
  if (!SUPPORTED_MODERN_PROTOCOL_VERSIONS.includes(envelope.protocolVersion)) {
    return refuse(400, "Unsupported protocol version", {
      code: ErrorCode.UnsupportedProtocolVersion,
      id,
      step: "modern",
      data: {
        supported: [...SUPPORTED_MODERN_PROTOCOL_VERSIONS],
        requested: echoInput(envelope.protocolVersion),
      },
    });
  }
  if (headerVersion === undefined) return mismatch("MCP-Protocol-Version header is required", id);
  if (methodHeader === null) return mismatch("Mcp-Method header is required", id);
  const params = request.params ?? {};
  const nameKey = NAMED_BY.get(request.method) ?? deps.dispatcher.nameParamOf(request.method);
  if (
    nameKey !== undefined && typeof params[nameKey] === "string" &&
    !checkNameHeader(headers, params[nameKey] as string).ok
  ) {
    return mismatch("Mcp-Name does not match the body", id);
  }
  const known = request.method === "server/discover" || request.method === "subscriptions/listen" ||
    (!REMOVED_METHODS.has(request.method) &&
      deps.dispatcher.serves(request.method, envelope.protocolVersion));
  if (!known) {
    return refuse(404, "Method not found", { code: ErrorCode.MethodNotFound, id, step: "modern" });
  }
  if (request.method === "tools/call" && typeof params.name === "string") {
    const parameters = deps.dispatcher.tools.headerParameters(params.name);
    const args = params.arguments;
    if (
      parameters !== undefined && parameters.length > 0 && typeof args === "object" &&
      args !== null && !Array.isArray(args)
    ) {
      const result = checkParameterHeaders(
        headers,
        parameters,
        args as Record<string, unknown>,
      );
      if (!result.ok) return mismatch(result.message, id);
    }
  }
  return { envelope };
}

function mismatch(message: string, id: JsonRpcRequest["id"]): Refusal {
  return refuse(400, `Header mismatch: ${message}`, {
    code: ErrorCode.HeaderMismatch,
    id,
    step: "modern",
  });
}
