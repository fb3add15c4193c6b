/**
 * The 2026-07-28 era (`ModernPipeline`, the face of src/era.ts) for one
 * POSTed message that claims it: its work in flight, listen streams and
 * requestState codec. The shared steps (Host/Origin, Accept, Content-Type,
 * body, JSON, JSON-RPC envelope, authentication) have run. It runs the
 * era's own checks in the spec's order (request_checks.ts), then answers
 * `server/discover` and `subscriptions/listen` itself and hands everything
 * else to the exchange, unless its principal has its share of requests in
 * flight already (429). No session is looked at or created:
 * `Mcp-Session-Id` and `Last-Event-ID` are ignored.
 * @module
 */

import { jsonResponse } from "../http/error_response.ts";
import { shareFull } from "../limits/principal_shares.ts";
import { accepted } from "../http/responses.ts";
import { busUnavailable, type Refusal, refuse } from "../http/refusal.ts";
import type { Delivery } from "../bus/delivery.ts";
import type {
  ClassifiedMessage,
  JsonRpcNotification,
  JsonRpcRequest,
} from "../jsonrpc/messages.ts";
import { ownerKeyOf, type Principal } from "../protocol/context/request_context.ts";
import {
  FIRST_MODERN_PROTOCOL_VERSION,
  SUPPORTED_MODERN_PROTOCOL_VERSIONS,
} from "../protocol/eras.ts";
import { withoutEnvelope } from "./requests/envelope.ts";
import { checkModernRequest } from "./requests/request_checks.ts";
import { ListenStreams } from "./listen/listen_streams.ts";
import { listenHooks } from "./listen/listen_hooks.ts";
import { ModernInFlight } from "./in_flight.ts";
import type { ModernSettings } from "./settings.ts";
import { RequestStateCodec, type RequestStateRefusalReason } from "./rounds/request_state.ts";
import type { BusMessage } from "../bus/message_bus.ts";
import type { Era, EraStats, RoutedPost } from "../era.ts";
import { drained } from "../http/drained.ts";
import type { KeepAlive } from "../http/sse/keep_alive.ts";
import type { Dispatcher } from "../protocol/dispatch/dispatcher.ts";
import type { Implementation } from "../protocol/types.ts";
import type { Telemetry } from "../observe/telemetry/telemetry.ts";
import { answerModernRequest, cacheHintOf, type ModernExchangeDependencies } from "./exchange.ts";
import { encodeCompleteResult } from "./result_encoding.ts";
import type { MaybePromise } from "../protocol/maybe_async.ts";

/** What the modern pipeline needs beyond the exchange's dependencies. */
interface ModernPipelineDependencies extends ModernExchangeDependencies {
  listen: ListenStreams;
  /** Where a cancellation goes: to the work here, or through the bus to another instance. */
  delivery: Pick<Delivery, "deliver">;
}

/** What the 2026-07-28 era is built from. */
export interface ModernPipelineOptions {
  settings: ModernSettings;
  dispatcher: Dispatcher;
  serverInfo: Implementation;
  /** The handler's heartbeat timer, shared with the sessionful streams. */
  keepAlive: KeepAlive;
  /**
   * Where a cancellation goes: to the work here, or through the bus to
   * another instance; and where long requests are recorded for it.
   */
  delivery: Pick<Delivery, "deliver" | "requests">;
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
    const { streams, stateless } = settings;
    const onError = settings.observe.onError;
    this.#settings = settings;
    this.#work = new ModernInFlight(
      stateless.maxRequestsPerPrincipal,
      options.delivery.requests,
      onError,
      settings.scheduler,
    );
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
      responseMode: streams.responseMode,
      maxBufferedBytes: streams.maxStreamBufferBytes,
      keepAlive,
      requestState: () => this.#codec ??= RequestStateCodec.create(stateless.requestState),
      cacheHints: stateless.cacheHints,
      work: this.#work,
      onError,
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
  serve(post: RoutedPost): MaybePromise<Response | Refusal> {
    // In json mode no stream can tell that a client left: the request's signal does.
    const connection = this.#settings.streams.responseMode === "json"
      ? post.request.signal
      : undefined;
    return serveModernMessage(
      this.#deps,
      post.headers,
      post.messages[0],
      post.principal,
      post.versionHeader,
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
    if (graceMs > 0) await drained(graceMs, () => this.#work.size, this.#settings.scheduler);
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
    maxStreams: settings.stateless.maxListenStreams,
    maxStreamsPerPrincipal: settings.stateless.maxListenStreamsPerPrincipal,
    maxResourceSubscriptions: settings.stateless.maxListenSubscriptions,
    maxResourceSubscriptionBytes: settings.stateless.maxListenSubscriptionBytes,
    maxUriBytes: settings.limits.maxUriBytes,
    maxBufferedBytes: settings.streams.maxStreamBufferBytes,
    keepAlive,
    serverInfo,
    onDropped,
    onError: settings.observe.onError,
    support: {
      toolsListChanged: capabilities.tools?.listChanged === true,
      promptsListChanged: capabilities.prompts?.listChanged === true,
      resourcesListChanged: capabilities.resources?.listChanged === true,
      resourceSubscriptions: capabilities.resources?.subscribe === true,
    },
  });
}

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
  const checked = checkModernRequest(deps.dispatcher, headers, request, versionHeader, principal);
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
        const viewed = deps.dispatcher.viewed;
        return deps.listen.open(
          request.id,
          params,
          ownerKeyOf(principal),
          viewed === undefined ? undefined : (uri) => viewed.unseenResource(principal, uri),
          listenHooks(deps.dispatcher.resources, {
            id: request.id,
            envelope: checked.envelope,
            principal,
          }),
        );
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
