/**
 * The sessionful pipeline (protocol revisions 2025-03-26 … 2025-11-25), for
 * POSTs the entry classified as legacy and for GET and DELETE:
 *
 *   POST: MCP-Protocol-Version → (entry: authenticate) → initialize | session → dispatch
 *   GET:  Accept → MCP-Protocol-Version → (entry: authenticate) → session → listening stream
 *   DELETE: MCP-Protocol-Version → (entry: authenticate) → session → end it
 *
 * It owns everything that lives between requests: sessions (TTLs, cap,
 * owner binding), resumable SSE streams, in-flight work and server→client
 * requests. Each step answers a refusal value or goes on; the entry renders
 * refusals. The 2026-07-28 era never reaches this module.
 * @module
 */

import { jsonResponse } from "../http/error_response.ts";
import { checkGetAccept } from "../http/guards.ts";
import { accepted, noContent } from "../http/responses.ts";
import { type Refusal, refuse } from "../http/refusal.ts";
import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type { ClassifiedMessage, JsonRpcRequest } from "../jsonrpc/messages.ts";
import { asPlainObject } from "../jsonrpc/messages.ts";
import type { ResolvedOptions } from "../options.ts";
import type { Principal } from "../protocol/context.ts";
import { initializeContext, oversizedClientMetadata } from "./initialize_context.ts";
import { batchRefusal, findInitialize, initializeInBatch } from "./post_shape.ts";
import type { Dispatcher } from "../protocol/dispatcher.ts";
import type { ClientCapabilities, Implementation } from "../protocol/types.ts";
import { isSupportedProtocolVersion } from "../protocol/versions.ts";
import { AwaitedReplies } from "./sessions/awaited_replies.ts";
import { SessionManager, type SessionResolution } from "./sessions/session_manager.ts";
import type { SessionRecord, SessionStore } from "./sessions/session_store.ts";
import { isPromiseLike, type MaybePromise } from "../protocol/maybe_async.ts";
import { SessionResources } from "./sessions/session_resources.ts";
import { StoreSessionState } from "./sessions/store_session_state.ts";
import type { EventLog } from "./event_log.ts";
import { InFlightRegistry } from "./in_flight.ts";
import { OrphanWatch } from "./orphan_watch.ts";
import { PendingRequests } from "./pending_requests.ts";
import { SlowCalls } from "../http/slow_calls.ts";
import type { KeepAlive } from "../http/keep_alive.ts";
import { answerLegacyRequests, type LegacyExchangeDependencies, usesPriming } from "./exchange.ts";
import { StreamHub } from "./stream_hub.ts";
import { parseEventId } from "./event_log.ts";
import type { Events } from "../events.ts";
import type { Delivery } from "../bus/delivery.ts";
import { type ClientMessageDependencies, deliverClientMessages } from "./client_messages.ts";
import { ListeningNotifications } from "./listening_notifications.ts";
import { SessionEndReports } from "./session_end_reports.ts";
import { utf8Length } from "../jsonrpc/utf8_length.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";

/** A step's outcome: a response to send, or a refusal for the entry to render. */
export type Answer = Response | Refusal;

/** What the legacy pipeline is built from. */
export interface LegacyPipelineOptions {
  config: ResolvedOptions;
  dispatcher: Dispatcher;
  store: SessionStore;
  eventLog: EventLog;
  /** The handler's heartbeat timer, shared with the 2026-07-28 streams. */
  keepAlive: KeepAlive;
  generateSessionId: () => string;
  /** Where session, stream and client-request events go. */
  events: Events;
  /** Where cancellations and client replies go (here, or another instance), and announcements to the others. */
  delivery: Pick<Delivery, "deliver" | "tellOthers" | "shared">;
  /** Traces and measures requests when an OpenTelemetry provider is registered. */
  telemetry: Telemetry;
}

/** The `initialize` request among `messages`, if any. */
/** Sessions, streams and in-flight work of the sessionful revisions. */
export class LegacyPipeline {
  readonly sessions: SessionManager;
  readonly hub: StreamHub;
  readonly inFlight: InFlightRegistry;
  readonly pending = new PendingRequests();
  /** Per-session resources of this process (`ctx.session.resource`), disposed on every path that ends a session. */
  readonly resources: SessionResources;
  /** Notifications for the listening streams of this process. */
  readonly notifications: ListeningNotifications;
  readonly #store: SessionStore;
  readonly #config: ResolvedOptions;
  readonly #dispatcher: Dispatcher;
  readonly #exchange: LegacyExchangeDependencies;
  readonly #clientMessages: ClientMessageDependencies;
  readonly #events: Events;
  readonly #delivery: Pick<Delivery, "deliver" | "tellOthers" | "shared">;
  /** With a bus: the server→client requests some instance awaits, in the sessions' shared state. */
  readonly #awaited: AwaitedReplies | undefined;
  readonly #slowCalls = new SlowCalls();
  readonly #endReports: SessionEndReports;
  readonly #telemetry: Telemetry;

  /** Wires sessions, the stream hub and the exchange together. */
  constructor(options: LegacyPipelineOptions) {
    const { config, dispatcher, store } = options;
    this.#store = store;
    this.#config = config;
    this.#dispatcher = dispatcher;
    this.#events = options.events;
    this.#delivery = options.delivery;
    this.#telemetry = options.telemetry;
    this.#endReports = new SessionEndReports(options.events, (id) => this.#holds(id));
    this.#awaited = options.delivery.shared
      ? new AwaitedReplies(store, {
        maxPerSession: config.maxRequestsPerSession,
        maxStateBytes: config.maxStateBytes,
        now: config.now,
        onError: config.onError,
      })
      : undefined;
    this.resources = new SessionResources(config.onError);
    this.inFlight = new InFlightRegistry({ maxPerSession: config.maxRequestsPerSession });
    this.sessions = new SessionManager(store, {
      idleTtlMs: config.idleTtlMs,
      absoluteTtlMs: config.absoluteTtlMs,
      maxSessions: config.maxSessions,
      maxSessionsPerPrincipal: config.maxSessionsPerPrincipal,
      maxAnonymousSessions: config.maxAnonymousSessions,
      retryAfterSeconds: config.retryAfterSeconds,
      now: config.now,
      generateId: options.generateSessionId,
      sweepWhenFull: () => this.sweep(),
    });
    this.hub = new StreamHub({
      eventLog: options.eventLog,
      keepAlive: options.keepAlive,
      maxBufferedBytes: config.maxStreamBufferBytes,
      retryMs: config.retryMs,
      orphans: new OrphanWatch(config.orphanTimeoutMs),
      onHeartbeat: (ids) => {
        for (const id of ids) this.sessions.keepAlive(id).catch(config.onError);
      },
      onError: config.onError,
      onDropped: (reason) => options.events.streamDropped(reason, "legacy"),
      onFollow: (sessionId, streamId) =>
        this.#delivery.tellOthers({ type: "stream-followed", sessionId, streamId }),
    });
    this.notifications = new ListeningNotifications(this.hub, store, config.now);
    this.#clientMessages = {
      dispatcher,
      pending: this.pending,
      delivery: options.delivery,
      awaited: this.#awaited,
      onError: config.onError,
    };
    this.#exchange = {
      dispatcher,
      hub: this.hub,
      inFlight: this.inFlight,
      pending: this.pending,
      responseMode: config.responseMode,
      clientRequestTimeoutMs: config.clientRequestTimeoutMs,
      slowCalls: this.#slowCalls,
      onClientTimeout: (method, id) => options.events.clientRequestTimedOut(method, id),
      awaited: this.#awaited,
      sessions: {
        state: (id) =>
          new StoreSessionState(store, id, config.maxStateBytes, this.resources, config.now),
        setLogLevel: (id, level) => store.update(id, { logLevel: level }),
        subscribe: (id, uri) => this.#subscribe(id, uri),
        unsubscribe: (id, uri) => store.update(id, { unsubscribe: uri }),
      },
    };
  }

  /** A legacy POST's checks before the entry authenticates it: its MCP-Protocol-Version header. */
  checkPost(messages: readonly ClassifiedMessage[], isBatch: boolean, version: string | null) {
    // initialize negotiates the version in its body: a header (a client that probed 2026 first) does not refuse it.
    return isBatch || !findInitialize(messages) ? checkProtocolVersion(version) : undefined;
  }

  /**
   * A POST classified as legacy, past {@linkcode checkPost}: its messages,
   * already checked as JSON-RPC, and its caller. Not an async function: a
   * POST of requests in a session the store resolves at once goes straight to
   * its exchange, and a synchronous tool's answer comes back in the same turn.
   */
  post(
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    principal: Principal,
    headers: Headers = request.headers,
  ): MaybePromise<Answer> {
    const initialize = findInitialize(messages);
    if (initialize !== undefined) {
      if (isBatch) return initializeInBatch();
      return this.#initialize(initialize.message as JsonRpcRequest, principal, request);
    }
    const resolved = this.sessions.resolve(request, principal, headers);
    return isPromiseLike(resolved)
      ? this.#postResolving(resolved, request, messages, isBatch, principal)
      : this.#postIn(resolved, request, messages, isBatch, principal);
  }

  /** {@linkcode post} once a store that answers with a promise has resolved the session. */
  async #postResolving(
    resolving: PromiseLike<SessionResolution>,
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    principal: Principal,
  ): Promise<Answer> {
    return await this.#postIn(await resolving, request, messages, isBatch, principal);
  }

  /** {@linkcode post} in its resolved session: requests alone are answered now, anything else is delivered first. */
  #postIn(
    resolved: SessionResolution,
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    principal: Principal,
  ): MaybePromise<Answer> {
    if (!resolved.ok) return this.#unresolved(request, resolved.refusal);
    const session = resolved.session;
    const batchRefused = isBatch ? batchRefusal(session.protocolVersion) : undefined;
    if (batchRefused !== undefined) return batchRefused;
    if (messages.length === 1 && messages[0].kind === "request") {
      return this.#answer(request, [messages[0].message], isBatch, session, principal);
    }
    return this.#deliverThenAnswer(request, messages, isBatch, session, principal);
  }

  /** A POST's notifications and replies, delivered in order (client_messages.ts); then its requests, answered. */
  async #deliverThenAnswer(
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    session: SessionRecord,
    principal: Principal,
  ): Promise<Answer> {
    const delivered = await deliverClientMessages(
      this.#clientMessages,
      session,
      principal,
      messages,
      this.#telemetry.begin(request),
    );
    if (!Array.isArray(delivered)) return delivered;
    if (delivered.length === 0) return accepted();
    return await this.#answer(request, delivered, isBatch, session, principal);
  }

  /** The POST's requests, run in its session. */
  #answer(
    request: Request,
    requests: readonly JsonRpcRequest[],
    isBatch: boolean,
    session: SessionRecord,
    principal: Principal,
  ): MaybePromise<Response> {
    // In json mode no stream can tell that a client left: the request's signal does (it costs a little on Deno).
    const connection = this.#config.responseMode === "json" ? request.signal : undefined;
    return answerLegacyRequests(
      this.#exchange,
      requests,
      isBatch,
      session,
      principal,
      connection,
      this.#telemetry.begin(request),
    );
  }

  /** A GET's checks before the entry authenticates it: the stream is offered, Accept, MCP-Protocol-Version. */
  checkGet(request: Request): Refusal | undefined {
    if (!this.#config.listeningStream) {
      return refuse(405, "Method Not Allowed", {
        headers: { allow: "POST, DELETE" },
        step: "method",
      });
    }
    return checkGetAccept(request) ??
      checkProtocolVersion(request.headers.get("mcp-protocol-version"));
  }

  /** GET, past {@linkcode checkGet}: the session's listening stream, or a resume with Last-Event-ID. */
  async get(request: Request, principal: Principal): Promise<Answer> {
    const resolved = await this.sessions.resolve(request, principal);
    if (!resolved.ok) return await this.#unresolved(request, resolved.refusal);
    const session = resolved.session;

    const lastEventId = request.headers.get("last-event-id");
    if (lastEventId !== null) {
      const resumed = await this.hub.resume(session.id, lastEventId);
      if (resumed !== undefined) {
        // The listening stream moved here: another instance holding it closes its connection.
        const streamId = parseEventId(lastEventId)?.streamId;
        if (streamId !== undefined && this.hub.listening(session.id)?.streamId === streamId) {
          this.#delivery.tellOthers({ type: "listening-taken", sessionId: session.id, streamId });
        }
        return resumed;
      }
      // An id that names nothing of this session replays nothing: serve a fresh listening stream.
    }
    // A new listening GET of the owner replaces the old stream (never 409): a half-open connection
    // would otherwise lock the client out until a heartbeat write fails.
    const opened = await this.hub.openListening(session.id, usesPriming(session.protocolVersion));
    // Across instances too: one that holds this session's listening stream ends it.
    const streamId = this.hub.listening(session.id)?.streamId;
    this.#delivery.tellOthers({ type: "listening-taken", sessionId: session.id, streamId });
    return opened;
  }

  /** A DELETE's check before the entry authenticates it: MCP-Protocol-Version. */
  checkDelete = (request: Request): Refusal | undefined =>
    checkProtocolVersion(request.headers.get("mcp-protocol-version"));

  /** DELETE, past {@linkcode checkDelete}: ends the session and everything it has running. */
  async delete(request: Request, principal: Principal): Promise<Answer> {
    const resolved = await this.sessions.resolve(request, principal);
    if (!resolved.ok) return await this.#unresolved(request, resolved.refusal);
    const existed = await this.#store.delete(resolved.session.id);
    await this.endSession(resolved.session.id);
    // Streams, work and resources the other instances hold end too (their sweeps would, later).
    if (existed) {
      this.#delivery.tellOthers({ type: "session-ended", sessionId: resolved.session.id });
    }
    // Two DELETEs racing both get 204; the one that removed the record reports the end.
    if (existed) this.#endReports.report(resolved.session.id, "delete");
    return noContent();
  }

  /** Another instance ended the session (and reported it): end what this process holds of it. */
  async endedElsewhere(id: string): Promise<void> {
    if (!this.#holds(id)) return;
    await this.endSession(id);
    this.#endReports.reportedElsewhere(id);
  }

  /** Removes expired sessions and ends what they had running here. */
  async sweep(): Promise<void> {
    for (const { id, reason } of await this.sessions.sweep()) {
      await this.endSession(id);
      this.#endReports.report(id, reason);
      this.#delivery.tellOthers({ type: "session-ended", sessionId: id });
    }
    // Stores that expire records themselves (a TTL in Redis) report nothing:
    // end the work and streams this process holds for sessions that are gone.
    for (const id of this.heldSessions()) {
      if (this.#endReports.has(id)) {
        // Ended already: only a tool ignoring its signal is left, and any resource it opened
        // while the session was ending (nothing else would dispose that one).
        if (this.resources.holds(id)) void this.resources.disposeSession(id);
        continue;
      }
      if (!await this.sessions.exists(id)) {
        await this.endSession(id);
        this.#endReports.report(id, "gone");
      }
    }
    this.#endReports.forgetReleased();
  }

  /** Sessions with work, streams or resources in this process. */
  heldSessions(): Set<string> {
    return new Set([
      ...this.inFlight.sessionKeys(),
      ...this.hub.sessionIds(),
      ...this.resources.sessionIds(),
    ]);
  }

  #holds(id: string): boolean {
    return this.inFlight.has(id) || this.hub.holds(id) || this.resources.holds(id);
  }

  /** Ends a session's work, replies, streams and events in this process. */
  async endSession(id: string): Promise<void> {
    this.inFlight.cancelSession(id);
    this.pending.rejectSession(id, "The session ended");
    this.hub.endSession(id);
    // Never waits on a resource: disposal is bounded and reports its own failures.
    void this.resources.disposeSession(id);
    await this.hub.eventLog.deleteSession(id);
  }

  /**
   * Aborts in-flight work, rejects pending client requests and ends every
   * stream. `heldAtStart`: the sessions held when a graceful close began
   * (their listening streams and finished work are gone by now).
   */
  close(heldAtStart: Iterable<string> = []): void {
    // Sessions with work or streams here end with the process (their records stay in the store).
    this.#endReports.reportClose(new Set([...heldAtStart, ...this.heldSessions()]));
    this.inFlight.cancelAll("server-closed");
    this.pending.rejectAll("The server is closing");
    this.hub.closeAll();
    this.hub.orphans.close();
    this.#slowCalls.stop();
  }

  async #initialize(
    request: JsonRpcRequest,
    principal: Principal,
    post: Request,
  ): Promise<Answer> {
    const params = request.params ?? {};
    const capabilities = (asPlainObject(params.capabilities) ?? {}) as ClientCapabilities;
    const clientInfo = asPlainObject(params.clientInfo) as Implementation | undefined;
    const oversized = oversizedClientMetadata(request, capabilities, clientInfo ?? null);
    if (oversized !== undefined) return oversized;
    const observed = this.#telemetry.begin(post)?.start(request, "", undefined, false);
    const response = await this.#dispatcher.handle(request, initializeContext(principal));
    if ("error" in response) {
      observed?.end(response);
      return jsonResponse(JSON.stringify(response), undefined, 400);
    }
    const version = response.result.protocolVersion as string;
    const created = await this.sessions.create(principal, version, capabilities, clientInfo)
      .catch((error) => {
        observed?.failed(error);
        throw error;
      });
    observed?.end(response, created.ok ? created.session.id : undefined, version);
    if (!created.ok) return created.refusal;
    const session = created.session;
    this.#events.sessionCreated(session.id, version);
    return jsonResponse(JSON.stringify(response), { "mcp-session-id": session.id });
  }

  async #subscribe(id: string, uri: string): Promise<void> {
    const config = this.#config;
    if (!this.#dispatcher.resources.has(uri)) {
      throw new McpError(ErrorCode.ResourceNotFound, "Resource not found", { uri });
    }
    const current = await this.#store.get(id, config.now());
    const subscriptions = current?.subscriptions ?? [];
    if (subscriptions.includes(uri)) return;
    if (subscriptions.length >= config.maxSubscriptions) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Too many subscriptions (limit ${config.maxSubscriptions})`,
      );
    }
    let bytes = utf8Length(uri);
    for (const held of subscriptions) bytes += utf8Length(held);
    if (bytes > config.maxSubscriptionBytes) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Subscriptions would exceed ${config.maxSubscriptionBytes} bytes`,
      );
    }
    await this.#store.update(id, { subscribe: uri });
  }

  /**
   * A request whose session did not resolve gets `refusal`; a session that
   * expired lazily (404) may still have work or streams here, ended now.
   * (Not a layer around every resolve: an async step per request costs.)
   */
  async #unresolved(request: Request, refusal: Refusal): Promise<Refusal> {
    if (refusal.status === 404) {
      const id = request.headers.get("mcp-session-id");
      if (
        id !== null && (this.inFlight.has(id) || this.hub.holds(id) || this.resources.holds(id))
      ) await this.endSession(id);
    }
    return refusal;
  }
}

/** A present but unsupported MCP-Protocol-Version → 400, on every method (absent: assume 2025-03-26). */
function checkProtocolVersion(versionHeader: string | null): Refusal | undefined {
  if (versionHeader !== null && !isSupportedProtocolVersion(versionHeader)) {
    return refuse(400, "Bad Request: unsupported MCP-Protocol-Version", {
      step: "protocol-version",
    });
  }
  return undefined;
}
