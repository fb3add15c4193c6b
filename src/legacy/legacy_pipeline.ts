/**
 * The sessionful pipeline (protocol revisions 2025-03-26 … 2025-11-25), for
 * POSTs the entry classified as legacy and for GET and DELETE:
 *
 *   POST: MCP-Protocol-Version → authenticate → initialize | session → dispatch
 *   GET:  Accept → MCP-Protocol-Version → authenticate → session → listening stream
 *   DELETE: MCP-Protocol-Version → authenticate → session → end it
 *
 * It owns everything that lives between requests: sessions (TTLs, cap,
 * owner binding), resumable SSE streams, in-flight work and server→client
 * requests. Each step answers a refusal value or goes on; the entry renders
 * refusals. The 2026-07-28 era never reaches this module.
 * @module
 */

import { jsonResponse } from "../http/error_response.ts";
import { checkGetAccept } from "../http/guards.ts";
import { busUnavailable, type Refusal, refuse } from "../http/refusal.ts";
import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type {
  ClassifiedMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
} from "../jsonrpc/messages.ts";
import type { ResolvedOptions } from "../options.ts";
import { ownerKeyOf, type Principal, type RequestContext } from "../protocol/context.ts";
import type { Dispatcher } from "../protocol/dispatcher.ts";
import type { ClientCapabilities, Implementation } from "../protocol/types.ts";
import { isSupportedProtocolVersion } from "../protocol/versions.ts";
import { AwaitedReplies } from "../session/awaited_replies.ts";
import { SessionManager } from "../session/session_manager.ts";
import type { SessionRecord, SessionStore } from "../session/session_store.ts";
import { SessionResources } from "../session/session_resources.ts";
import { StoreSessionState } from "../session/store_session_state.ts";
import type { EventLog } from "../streams/event_log.ts";
import { InFlightRegistry } from "../streams/in_flight.ts";
import { OrphanWatch } from "../streams/orphan_watch.ts";
import { PendingRequests } from "../streams/pending_requests.ts";
import { SlowCalls } from "../streams/slow_calls.ts";
import {
  answerRequests,
  type ExchangeDependencies,
  usesPriming,
} from "../streams/request_exchange.ts";
import { StreamHub } from "../streams/stream_hub.ts";
import { parseEventId } from "../streams/event_log.ts";
import type { Events, SessionEndReason } from "../events.ts";
import { type BusMessage, BusMessageTooLargeError } from "../bus/message_bus.ts";
import { utf8Length } from "../utf8_length.ts";

/** initialize cannot be cancelled: its context shares one signal that never aborts. */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;
const MAX_CLIENT_METADATA_BYTES = 8 * 1024;

/** A step's outcome: a response to send, or a refusal for the entry to render. */
export type Answer = Response | Refusal;

/** What the legacy pipeline is built from. */
export interface LegacyPipelineOptions {
  config: ResolvedOptions;
  dispatcher: Dispatcher;
  store: SessionStore;
  eventLog: EventLog;
  generateSessionId: () => string;
  /** The shared authentication step: a principal, or the response refusing the caller. */
  authenticate: (request: Request) => Promise<Principal | Response>;
  /** Where session, stream and client-request events go. */
  events: Events;
  /**
   * Sends a message to the other instances (a shared bus); absent when there
   * is none, and then nothing is published.
   */
  publish?: (message: BusMessage) => Promise<void>;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** Sessions, streams and in-flight work of the sessionful revisions. */
export class LegacyPipeline {
  readonly sessions: SessionManager;
  readonly hub: StreamHub;
  readonly inFlight: InFlightRegistry;
  readonly pending = new PendingRequests();
  /** Per-session resources of this process (`ctx.session.resource`), disposed on every path that ends a session. */
  readonly resources: SessionResources;
  readonly #store: SessionStore;
  readonly #config: ResolvedOptions;
  readonly #dispatcher: Dispatcher;
  readonly #authenticate: (request: Request) => Promise<Principal | Response>;
  readonly #exchange: ExchangeDependencies;
  readonly #events: Events;
  readonly #publish: ((message: BusMessage) => Promise<void>) | undefined;
  /** With a bus: the server→client requests some instance awaits, in the sessions' shared state. */
  readonly #awaited: AwaitedReplies | undefined;
  readonly #slowCalls = new SlowCalls();
  /** Sessions whose end was reported while something of theirs (a tool ignoring its signal) still runs here. */
  readonly #endReported = new Set<string>();

  /** Wires sessions, the stream hub and the exchange together. */
  constructor(options: LegacyPipelineOptions) {
    const { config, dispatcher, store } = options;
    this.#store = store;
    this.#config = config;
    this.#dispatcher = dispatcher;
    this.#authenticate = options.authenticate;
    this.#events = options.events;
    this.#publish = options.publish;
    this.#awaited = options.publish === undefined ? undefined : new AwaitedReplies(store, {
      maxPerSession: config.maxRequestsPerSession,
      maxStateBytes: config.maxStateBytes,
      now: config.now,
      onError: config.onError,
    });
    this.resources = new SessionResources(config.onError);
    this.inFlight = new InFlightRegistry({ maxPerSession: config.maxRequestsPerSession });
    this.sessions = new SessionManager(store, {
      idleTtlMs: config.idleTtlMs,
      absoluteTtlMs: config.absoluteTtlMs,
      maxSessions: config.maxSessions,
      retryAfterSeconds: config.retryAfterSeconds,
      now: config.now,
      generateId: options.generateSessionId,
      sweepWhenFull: () => this.sweep(),
    });
    this.hub = new StreamHub({
      eventLog: options.eventLog,
      heartbeatMs: config.heartbeatMs,
      maxBufferedBytes: config.maxStreamBufferBytes,
      retryMs: config.retryMs,
      orphans: new OrphanWatch(config.orphanTimeoutMs),
      onHeartbeat: (ids) => {
        for (const id of ids) this.sessions.keepAlive(id).catch(config.onError);
      },
      onError: config.onError,
      onDropped: (reason) => options.events.streamDropped(reason, "legacy"),
      onFollow: (sessionId, streamId) =>
        this.#tellOthers({ type: "stream-followed", sessionId, streamId }),
    });
    this.#exchange = {
      dispatcher,
      hub: this.hub,
      inFlight: this.inFlight,
      pending: this.pending,
      responseMode: config.responseMode,
      clientRequestTimeoutMs: config.clientRequestTimeoutMs,
      slowCalls: this.#slowCalls,
      onClientTimeout: (method) => options.events.clientRequestTimedOut(method),
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

  /** A POST classified as legacy: its messages, already checked as JSON-RPC, and its MCP-Protocol-Version header. */
  async post(
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    versionHeader: string | null,
  ): Promise<Answer> {
    const initialize = messages.find((m) =>
      m.kind === "request" && m.message.method === "initialize"
    );
    // initialize negotiates the version in its body: a header (a client that probed 2026 first) does not refuse it.
    const badVersion = initialize === undefined || isBatch
      ? checkProtocolVersion(versionHeader)
      : undefined;
    if (badVersion !== undefined) return badVersion;

    const principal = await this.#authenticate(request);
    if (principal instanceof Response) return principal;

    if (initialize !== undefined) {
      if (isBatch) {
        return refuse(400, "Invalid Request: initialize must not be part of a batch", {
          step: "jsonrpc",
        });
      }
      return await this.#initialize(initialize.message as JsonRpcRequest, principal);
    }

    const resolved = await this.#resolveSession(request, principal);
    if (!resolved.ok) return resolved.refusal;
    const session = resolved.session;
    if (isBatch && session.protocolVersion !== "2025-03-26") {
      return refuse(
        400,
        "Invalid Request: batches are only allowed for protocol version 2025-03-26",
        { step: "jsonrpc" },
      );
    }

    const requests: JsonRpcRequest[] = [];
    /** Cancellations and replies for work another instance holds. */
    const forward: BusMessage[] = [];
    for (const classified of messages) {
      if (classified.kind === "request") requests.push(classified.message);
      else if (classified.kind === "notification") {
        const elsewhere = this.#onClientNotification(session, classified.message);
        if (elsewhere !== undefined) forward.push(elsewhere);
      } else {
        const response = classified.message as JsonRpcResponse;
        const ownerKey = ownerKeyOf(principal);
        // Only a reply another instance awaits crosses the bus; the rest is dropped (202). A store
        // that cannot tell throws, and the POST answers 503 + Retry-After.
        if (
          !this.pending.deliver(session.id, ownerKey, response) && this.#awaited !== undefined &&
          this.pending.issuedElsewhere(response.id) &&
          await this.#awaited.has(session.id, response.id as string)
        ) {
          forward.push({ type: "reply", sessionId: session.id, ownerKey, response });
        }
      }
    }
    if (forward.length > 0) {
      const failed = await this.#forward(forward);
      if (failed !== undefined) return failed;
    }
    if (requests.length === 0) return new Response(null, { status: 202 });
    // In json mode no stream can tell that a client left: the request's signal does (it costs a little on Deno).
    const connection = this.#config.responseMode === "json" ? request.signal : undefined;
    return await answerRequests(this.#exchange, requests, isBatch, session, principal, connection);
  }

  /** GET: the session's listening stream, or a resume with Last-Event-ID. */
  async get(request: Request): Promise<Answer> {
    if (!this.#config.listeningStream) {
      return refuse(405, "Method Not Allowed", {
        headers: { allow: "POST, DELETE" },
        step: "method",
      });
    }
    const refused = checkGetAccept(request) ??
      checkProtocolVersion(request.headers.get("mcp-protocol-version"));
    if (refused !== undefined) return refused;
    const principal = await this.#authenticate(request);
    if (principal instanceof Response) return principal;
    const resolved = await this.#resolveSession(request, principal);
    if (!resolved.ok) return resolved.refusal;
    const session = resolved.session;

    const lastEventId = request.headers.get("last-event-id");
    if (lastEventId !== null) {
      const resumed = await this.hub.resume(session.id, lastEventId);
      if (resumed !== undefined) {
        // The listening stream moved here: another instance holding it closes its connection.
        const streamId = parseEventId(lastEventId)?.streamId;
        if (streamId !== undefined && this.hub.listening(session.id)?.streamId === streamId) {
          this.#tellOthers({ type: "listening-taken", sessionId: session.id, streamId });
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
    this.#tellOthers({ type: "listening-taken", sessionId: session.id, streamId });
    return opened;
  }

  /** DELETE: ends the session and everything it has running. */
  async delete(request: Request): Promise<Answer> {
    const badVersion = checkProtocolVersion(request.headers.get("mcp-protocol-version"));
    if (badVersion !== undefined) return badVersion;
    const principal = await this.#authenticate(request);
    if (principal instanceof Response) return principal;
    const resolved = await this.#resolveSession(request, principal);
    if (!resolved.ok) return resolved.refusal;
    const existed = await this.#store.delete(resolved.session.id);
    await this.endSession(resolved.session.id);
    // Streams, work and resources the other instances hold end too (their sweeps would, later).
    if (existed) this.#tellOthers({ type: "session-ended", sessionId: resolved.session.id });
    // Two DELETEs racing both get 204; the one that removed the record reports the end.
    if (existed) this.#reportEnd(resolved.session.id, "delete");
    return new Response(null, { status: 204 });
  }

  /** Sends a notification on a session's listening stream (see `McpHandler.notify`). */
  async notify(
    sessionId: string,
    notification: Omit<JsonRpcNotification, "jsonrpc">,
  ): Promise<boolean> {
    if (await this.#notifyHere(sessionId, notification)) return true;
    if (this.#publish === undefined) return false;
    // Another instance may hold the listening stream: handed to the bus, it is as good as sent.
    await this.#publish({ type: "notify", sessionId, notification });
    return true;
  }

  async #notifyHere(
    sessionId: string,
    notification: Omit<JsonRpcNotification, "jsonrpc">,
  ): Promise<boolean> {
    const stream = this.hub.listening(sessionId);
    if (stream === undefined || stream.finished) return false;
    await stream.send({ jsonrpc: "2.0", ...notification });
    return true;
  }

  /**
   * Acts on another instance's message, for what this process holds of the
   * session (anything else is not ours and is ignored). `broadcast` and
   * `resource-updated` reach this pipeline through {@linkcode broadcast} and
   * {@linkcode resourceUpdated}.
   */
  async receive(message: BusMessage): Promise<void> {
    switch (message.type) {
      case "cancel":
        this.inFlight.cancel(message.sessionId, message.requestId);
        return;
      case "reply":
        this.pending.deliver(message.sessionId, message.ownerKey, message.response);
        return;
      case "session-ended": {
        const id = message.sessionId;
        if (!this.#holds(id)) return;
        await this.endSession(id);
        // Reported by the instance that ended it: here it only must not turn up later as "gone".
        if (this.#holds(id)) this.#endReported.add(id);
        return;
      }
      case "notify":
        await this.#notifyHere(message.sessionId, message.notification);
        return;
      case "listening-taken": {
        const stream = this.hub.listening(message.sessionId);
        // The same stream resumed elsewhere moves (it goes on there); another one replaces it.
        if (message.streamId === undefined || message.streamId === stream?.streamId) {
          stream?.abort();
        } else void stream?.supersede();
        return;
      }
      case "stream-followed":
        this.hub.followed(message.sessionId, message.streamId);
        return;
    }
  }

  /** Publishes `messages` in order; a refusal (503) when the bus cannot take them. */
  async #forward(messages: BusMessage[]): Promise<Refusal | undefined> {
    if (this.#publish === undefined) return undefined;
    try {
      for (const message of messages) await this.#publish(message);
      return undefined;
    } catch (error) {
      if (error instanceof BusMessageTooLargeError) {
        // A reply too large for the bus would be refused again on a retry: not a 503.
        return refuse(413, "Payload Too Large: the reply exceeds the bus's message size limit", {
          step: "bus",
        });
      }
      this.#config.onError(error);
      return busUnavailable();
    }
  }

  /** Publishes what the other instances should know but need not confirm (failures go to onError). */
  #tellOthers(message: BusMessage): void {
    this.#publish?.(message).catch(this.#config.onError);
  }

  /** Sends a notification on every listening stream of this process; resolves with how many got it. */
  async broadcast(notification: Omit<JsonRpcNotification, "jsonrpc">): Promise<number> {
    let sent = 0;
    for (const id of this.hub.listeningSessions()) {
      if (await this.#notifyHere(id, notification)) sent++;
    }
    return sent;
  }

  /** Tells the sessions subscribed to `uri` whose listening streams are here that it changed. */
  async resourceUpdated(uri: string): Promise<number> {
    let sent = 0;
    for (const id of this.hub.listeningSessions()) {
      const session = await this.#store.get(id, this.#config.now());
      if (
        session?.subscriptions?.includes(uri) &&
        await this.#notifyHere(id, { method: "notifications/resources/updated", params: { uri } })
      ) {
        sent++;
      }
    }
    return sent;
  }

  /** Removes expired sessions and ends what they had running here. */
  async sweep(): Promise<void> {
    for (const { id, reason } of await this.sessions.sweep()) {
      await this.endSession(id);
      this.#reportEnd(id, reason);
      this.#tellOthers({ type: "session-ended", sessionId: id });
    }
    // Stores that expire records themselves (a TTL in Redis) report nothing:
    // end the work and streams this process holds for sessions that are gone.
    for (const id of this.heldSessions()) {
      if (this.#endReported.has(id)) {
        // Ended already: only a tool ignoring its signal is left, and any resource it opened
        // while the session was ending (nothing else would dispose that one).
        if (this.resources.holds(id)) void this.resources.disposeSession(id);
        continue;
      }
      if (!await this.sessions.exists(id)) {
        await this.endSession(id);
        this.#reportEnd(id, "gone");
      }
    }
    for (const id of this.#endReported) if (!this.#holds(id)) this.#endReported.delete(id);
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

  /** Reports a session's end once, however many paths reach it while its work winds down. */
  #reportEnd(id: string, reason: SessionEndReason): void {
    if (this.#endReported.has(id)) return;
    this.#events.sessionEnded(id, reason);
    if (this.#holds(id)) this.#endReported.add(id);
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
    for (const id of new Set([...heldAtStart, ...this.heldSessions()])) {
      if (!this.#endReported.has(id)) this.#events.sessionEnded(id, "close");
    }
    this.#endReported.clear();
    this.inFlight.cancelAll("server-closed");
    this.pending.rejectAll("The server is closing");
    this.hub.closeAll();
    this.hub.orphans.close();
    this.#slowCalls.stop();
  }

  async #initialize(request: JsonRpcRequest, principal: Principal): Promise<Answer> {
    const params = request.params ?? {};
    const capabilities = (asObject(params.capabilities) ?? {}) as ClientCapabilities;
    const clientInfo = asObject(params.clientInfo) as Implementation | undefined;
    if (JSON.stringify([capabilities, clientInfo ?? null]).length > MAX_CLIENT_METADATA_BYTES) {
      return refuse(400, "Invalid params: client capabilities and info are too large", {
        id: request.id,
        code: ErrorCode.InvalidParams,
        step: "jsonrpc",
      });
    }
    const response = await this.#dispatcher.handle(request, initializeContext(principal));
    if ("error" in response) {
      return new Response(JSON.stringify(response), {
        status: 400,
        headers: { "content-type": "application/json" },
      });
    }
    const version = response.result.protocolVersion as string;
    const session = await this.sessions.create(principal, version, capabilities, clientInfo);
    if (session === undefined) return this.sessions.full();
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

  async #resolveSession(request: Request, principal: Principal) {
    const resolved = await this.sessions.resolve(request, principal);
    if (!resolved.ok && resolved.refusal.status === 404) {
      // A session that expired lazily may still have work or streams here: end them now.
      const id = request.headers.get("mcp-session-id");
      if (
        id !== null && (this.inFlight.has(id) || this.hub.holds(id) || this.resources.holds(id))
      ) await this.endSession(id);
    }
    return resolved;
  }

  /** Acts on a client notification; the message for the other instances when the work is not here. */
  #onClientNotification(
    session: SessionRecord,
    notification: JsonRpcNotification,
  ): BusMessage | undefined {
    if (notification.method === "notifications/cancelled") {
      const requestId = notification.params?.requestId;
      // Only this session's requests can be reached: the caller owns the session (checked above).
      if (typeof requestId === "string" || typeof requestId === "number") {
        if (!this.inFlight.cancel(session.id, requestId) && this.#publish !== undefined) {
          return { type: "cancel", sessionId: session.id, requestId };
        }
      }
    }
    // notifications/initialized, roots/list_changed and unknown notifications need no action.
    return undefined;
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

function initializeContext(principal: Principal): RequestContext {
  const refuse = () =>
    Promise.reject(new McpError(ErrorCode.InvalidRequest, "Not available during initialize"));
  return {
    protocolVersion: "",
    clientCapabilities: {},
    principal,
    signal: NEVER_ABORTED,
    notify: () => Promise.resolve(),
    setLogLevel: refuse,
    subscribe: refuse,
    unsubscribe: refuse,
  };
}
