/**
 * `createMcpHandler()`: MCP Streamable HTTP (sessionful revisions 2025-03-26
 * to 2025-11-25) as one web-standard `(Request) => Promise<Response>`.
 * Each request goes through the steps below in order; the first step that
 * refuses it answers with an HTTP status and a JSON-RPC error body.
 *
 *   health → path → Host/Origin → method → Accept → Content-Type → body size →
 *   JSON (depth) → envelope → MCP-Protocol-Version → authenticate → session →
 *   dispatch
 * @module
 */

import { AuthenticationError } from "./http/authentication_error.ts";
import { httpError, jsonResponse } from "./http/error_response.ts";
import {
  checkContentType,
  checkGetAccept,
  checkHostAndOrigin,
  checkPostAccept,
  compileOriginPolicy,
} from "./http/guards.ts";
import { parseJsonWithDepthLimit } from "./http/parse_json.ts";
import { readBodyText } from "./http/read_body.ts";
import { ErrorCode, McpError } from "./jsonrpc/error_codes.ts";
import {
  type ClassifiedMessage,
  classifyMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from "./jsonrpc/messages.ts";
import { type McpHandlerOptions, resolveOptions } from "./options.ts";
import { ANONYMOUS_PRINCIPAL, type Principal, type RequestContext } from "./protocol/context.ts";
import { Dispatcher } from "./protocol/dispatcher.ts";
import type { PromptRegistry } from "./protocol/prompts.ts";
import type { ResourceRegistry } from "./protocol/resources.ts";
import type { ToolRegistry } from "./protocol/tools.ts";
import type { ClientCapabilities, Implementation } from "./protocol/types.ts";
import { isSupportedProtocolVersion } from "./protocol/versions.ts";
import { MemorySessionStore } from "./session/memory_session_store.ts";
import { generateSessionId } from "./session/session_id.ts";
import { SessionManager } from "./session/session_manager.ts";
import { StoreSessionState } from "./session/store_session_state.ts";
import type { SessionRecord } from "./session/session_store.ts";
import { MemoryEventLog } from "./streams/event_log.ts";
import { InFlightRegistry } from "./streams/in_flight.ts";
import { PendingRequests } from "./streams/pending_requests.ts";
import { answerRequests, type ExchangeDependencies, usesPriming } from "./streams/request_exchange.ts";
import { StreamHub, unrefTimer } from "./streams/stream_hub.ts";

/** Counters describing the handler's current load. */
export interface HandlerStats {
  /** Sessions held by the store (expired ones awaiting the sweep included). */
  sessions: number;
  /** Requests being handled right now. */
  inFlight: number;
  /** Open SSE connections in this process. */
  openStreams: number;
  /** Server→client requests waiting for the client. */
  pendingClientRequests: number;
}

/** The function returned by {@linkcode createMcpHandler}, plus its controls. */
export interface McpHandler {
  /** Serves one HTTP request. */
  (request: Request): Promise<Response>;
  /** Stops the timers, aborts in-flight work, ends every stream; later requests get 503. */
  close(): Promise<void>;
  /** Current load. */
  stats(): Promise<HandlerStats>;
  /**
   * Sends a notification on a session's listening (GET) stream. Resolves
   * false when the session has no listening stream in this process; true
   * when it was sent, or logged for the client to get on resume while its
   * connection is briefly gone.
   */
  notify(sessionId: string, notification: Omit<JsonRpcNotification, "jsonrpc">): Promise<boolean>;
  /** Sends a notification on every listening stream; resolves with how many got it. */
  broadcast(notification: Omit<JsonRpcNotification, "jsonrpc">): Promise<number>;
  /** Tells subscribers of `uri` that it changed (`notifications/resources/updated`). */
  resourceUpdated(uri: string): Promise<number>;
  /** The tools; `add`/`remove` at runtime broadcast `notifications/tools/list_changed`. */
  readonly tools: ToolRegistry;
  /** The resources and templates; changes broadcast `notifications/resources/list_changed`. */
  readonly resources: ResourceRegistry;
  /** The prompts; changes broadcast `notifications/prompts/list_changed`. */
  readonly prompts: PromptRegistry;
}

const ALLOW = "GET, POST, DELETE";
/** initialize cannot be cancelled: its context shares one signal that never aborts. */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;
const MAX_CLIENT_METADATA_BYTES = 8 * 1024;
/** A 2025-03-26 batch runs its requests concurrently: bound it so one body cannot start thousands of calls. */
const MAX_BATCH_MESSAGES = 100;

/** The path of a request URL, without parsing the whole URL. */
function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = url.indexOf("/", scheme === -1 ? 0 : scheme + 3);
  if (start === -1) return "/";
  let end = url.length;
  const query = url.indexOf("?", start);
  if (query !== -1) end = query;
  const hash = url.indexOf("#", start);
  if (hash !== -1 && hash < end) end = hash;
  return url.slice(start, end);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/**
 * Creates an MCP request handler. Serve it with `Deno.serve(handler)`,
 * `Bun.serve({ fetch: handler })`, or `serve(handler)` from `@tether/mcp/node`.
 * Definitions are validated here: a bad tool name or schema throws now, not
 * at the first call.
 *
 * @example
 * ```ts
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import * as z from "zod";
 *
 * const handler = createMcpHandler({
 *   name: "hello",
 *   version: "1.0.0",
 *   tools: [defineTool({
 *     name: "greet",
 *     description: "Greets someone",
 *     input: z.object({ name: z.string() }),
 *     handler: ({ name }) => `Hello, ${name}!`,
 *   })],
 * });
 * Deno.serve({ hostname: "127.0.0.1", port: 8787 }, handler);
 * ```
 */
export function createMcpHandler(options: McpHandlerOptions): McpHandler {
  const config = resolveOptions(options);
  const dispatcher = new Dispatcher({
    info: {
      name: options.name,
      version: options.version,
      ...(options.title === undefined ? {} : { title: options.title }),
    },
    instructions: options.instructions,
    tools: options.tools,
    resources: options.resources,
    resourceTemplates: options.resourceTemplates,
    prompts: options.prompts,
    pageSize: config.pageSize,
    onError: config.onError,
  });
  const ownsStore = options.sessions?.store === undefined;
  const store = options.sessions?.store ?? new MemorySessionStore();
  const sessions = new SessionManager(store, {
    idleTtlMs: config.idleTtlMs,
    absoluteTtlMs: config.absoluteTtlMs,
    maxSessions: config.maxSessions,
    retryAfterSeconds: config.retryAfterSeconds,
    now: config.now,
    generateId: options.generateSessionId ?? generateSessionId,
    sweepWhenFull: () => sweep(),
  });
  const originPolicy = compileOriginPolicy(options.allowedHosts, options.allowedOrigins);
  const inFlight = new InFlightRegistry();
  const pending = new PendingRequests();
  const hub = new StreamHub({
    eventLog: options.eventLog ?? new MemoryEventLog(),
    heartbeatMs: config.heartbeatMs,
    maxBufferedBytes: config.maxStreamBufferBytes,
    retryMs: config.retryMs,
    onHeartbeat: (ids) => {
      for (const id of ids) sessions.keepAlive(id).catch(config.onError);
    },
    onError: config.onError,
  });
  const exchange: ExchangeDependencies = {
    dispatcher,
    hub,
    inFlight,
    pending,
    responseMode: config.responseMode,
    clientRequestTimeoutMs: config.clientRequestTimeoutMs,
    sessions: {
      state: (id) => new StoreSessionState(store, id, config.maxStateBytes),
      setLogLevel: (id, level) => store.update(id, { logLevel: level }),
      subscribe: async (id, uri) => {
        if (!dispatcher.resources.has(uri)) throw new McpError(ErrorCode.ResourceNotFound, "Resource not found", { uri });
        const current = await store.get(id, config.now());
        if ((current?.subscriptions?.length ?? 0) >= config.maxSubscriptions && !current?.subscriptions?.includes(uri)) {
          throw new McpError(ErrorCode.InvalidParams, `Too many subscriptions (limit ${config.maxSubscriptions})`);
        }
        await store.update(id, { subscribe: uri });
      },
      unsubscribe: (id, uri) => store.update(id, { unsubscribe: uri }),
    },
  };
  let closed = false;

  const sweepTimer = setInterval(() => void sweep().catch(config.onError), config.sweepIntervalMs);
  unrefTimer(sweepTimer);

  dispatcher.tools.onChange(() => void broadcast({ method: "notifications/tools/list_changed" }));
  dispatcher.resources.onChange(() => void broadcast({ method: "notifications/resources/list_changed" }));
  dispatcher.prompts.onChange(() => void broadcast({ method: "notifications/prompts/list_changed" }));

  async function handle(request: Request): Promise<Response> {
    try {
      return await route(request);
    } catch (error) {
      config.onError(error);
      return httpError(500, "Internal error", { code: ErrorCode.InternalError });
    }
  }

  async function route(request: Request): Promise<Response> {
    const path = pathOf(request.url);
    if (config.healthPath !== undefined && path === config.healthPath && request.method === "GET") {
      // A closed handler reports itself unhealthy so load balancers stop sending traffic.
      return closed ? httpError(503, "Service Unavailable: server is shutting down") : jsonResponse('{"status":"ok"}');
    }
    if (config.path !== null && path !== config.path) return httpError(404, "Not Found");
    const forbidden = checkHostAndOrigin(request, originPolicy);
    if (forbidden !== undefined) return forbidden;
    if (closed) return httpError(503, "Service Unavailable: server is shutting down");
    switch (request.method) {
      case "POST":
        return await handlePost(request);
      case "GET":
        return await handleGet(request);
      case "DELETE":
        return await handleDelete(request);
      default:
        return httpError(405, "Method Not Allowed", { headers: { allow: ALLOW } });
    }
  }

  async function handlePost(request: Request): Promise<Response> {
    const refused = checkPostAccept(request, config.strictAccept) ?? checkContentType(request);
    if (refused !== undefined) return refused;

    const body = await readBodyText(request, config.maxBodyBytes);
    if (!body.ok) {
      if (body.failure === "too-large") return httpError(413, `Payload Too Large: the limit is ${config.maxBodyBytes} bytes`);
      if (body.failure === "invalid-utf8") return httpError(400, "Parse error: body is not valid UTF-8", { code: ErrorCode.ParseError });
      return httpError(400, "Bad Request: body could not be read");
    }
    const parsed = parseJsonWithDepthLimit(body.text, config.maxJsonDepth);
    if (!parsed.ok) {
      const message = parsed.reason === "too-deep"
        ? `Parse error: JSON nested deeper than ${config.maxJsonDepth} levels`
        : "Parse error: body is not valid JSON";
      return httpError(400, message, { code: ErrorCode.ParseError });
    }

    const isBatch = Array.isArray(parsed.value);
    const values: unknown[] = isBatch ? parsed.value as unknown[] : [parsed.value];
    if (values.length === 0) return httpError(400, "Invalid Request: empty batch");
    if (values.length > MAX_BATCH_MESSAGES) {
      return httpError(400, `Invalid Request: a batch may hold at most ${MAX_BATCH_MESSAGES} messages`);
    }
    const messages: ClassifiedMessage[] = [];
    for (const value of values) {
      const classified = classifyMessage(value);
      if (classified === undefined) {
        const id = asObject(value)?.id;
        const knownId = typeof id === "string" || typeof id === "number" ? id as RequestId : null;
        return httpError(400, "Invalid Request: not a JSON-RPC 2.0 message", { id: knownId });
      }
      messages.push(classified);
    }

    const badVersion = checkProtocolVersion(request);
    if (badVersion !== undefined) return badVersion;

    const principal = await authenticate(request);
    if (principal instanceof Response) return principal;

    const initialize = messages.find((m) => m.kind === "request" && m.message.method === "initialize");
    if (initialize !== undefined) {
      if (isBatch) return httpError(400, "Invalid Request: initialize must not be part of a batch");
      return await handleInitialize(initialize.message as JsonRpcRequest, principal);
    }

    const resolved = await resolveSession(request, principal);
    if (!resolved.ok) return resolved.response;
    const session = resolved.session;
    if (isBatch && session.protocolVersion !== "2025-03-26") {
      return httpError(400, "Invalid Request: batches are only allowed for protocol version 2025-03-26");
    }

    const requests: JsonRpcRequest[] = [];
    for (const classified of messages) {
      if (classified.kind === "request") requests.push(classified.message);
      else if (classified.kind === "notification") onClientNotification(session, classified.message);
      else pending.deliver(session.id, principal.id, classified.message as JsonRpcResponse);
    }
    if (requests.length === 0) return new Response(null, { status: 202 });
    return await answerRequests(exchange, requests, isBatch, session, principal);
  }

  async function handleInitialize(request: JsonRpcRequest, principal: Principal): Promise<Response> {
    const params = request.params ?? {};
    const capabilities = (asObject(params.capabilities) ?? {}) as ClientCapabilities;
    const clientInfo = asObject(params.clientInfo) as Implementation | undefined;
    if (JSON.stringify([capabilities, clientInfo ?? null]).length > MAX_CLIENT_METADATA_BYTES) {
      return httpError(400, "Invalid params: client capabilities and info are too large", {
        id: request.id,
        code: ErrorCode.InvalidParams,
      });
    }
    const response = await dispatcher.handle(request, initializeContext(principal));
    if ("error" in response) {
      return new Response(JSON.stringify(response), { status: 400, headers: { "content-type": "application/json" } });
    }
    const version = response.result.protocolVersion as string;
    const session = await sessions.create(principal, version, capabilities, clientInfo);
    if (session === undefined) return sessions.fullResponse();
    return jsonResponse(JSON.stringify(response), { "mcp-session-id": session.id });
  }

  async function handleGet(request: Request): Promise<Response> {
    if (!config.listeningStream) return httpError(405, "Method Not Allowed", { headers: { allow: "POST, DELETE" } });
    const refused = checkGetAccept(request) ?? checkProtocolVersion(request);
    if (refused !== undefined) return refused;
    const principal = await authenticate(request);
    if (principal instanceof Response) return principal;
    const resolved = await resolveSession(request, principal);
    if (!resolved.ok) return resolved.response;
    const session = resolved.session;

    const lastEventId = request.headers.get("last-event-id");
    if (lastEventId !== null) {
      const resumed = await hub.resume(session.id, lastEventId);
      if (resumed === "busy") return conflict();
      if (resumed !== undefined) return resumed;
      // An id that names nothing of this session replays nothing: serve a fresh listening stream.
    }
    return await hub.openListening(session.id, usesPriming(session.protocolVersion)) ?? conflict();
  }

  async function handleDelete(request: Request): Promise<Response> {
    const badVersion = checkProtocolVersion(request);
    if (badVersion !== undefined) return badVersion;
    const principal = await authenticate(request);
    if (principal instanceof Response) return principal;
    const resolved = await resolveSession(request, principal);
    if (!resolved.ok) return resolved.response;
    await store.delete(resolved.session.id);
    await endSession(resolved.session.id);
    return new Response(null, { status: 204 });
  }

  /** A present but unsupported MCP-Protocol-Version → 400, on every method (absent: assume 2025-03-26). */
  function checkProtocolVersion(request: Request): Response | undefined {
    const versionHeader = request.headers.get("mcp-protocol-version");
    if (versionHeader !== null && !isSupportedProtocolVersion(versionHeader)) {
      return httpError(400, "Bad Request: unsupported MCP-Protocol-Version");
    }
    return undefined;
  }

  function conflict(): Response {
    return httpError(409, "Conflict: this session already has an open listening stream");
  }

  async function authenticate(request: Request): Promise<Principal | Response> {
    if (options.authenticate === undefined) return ANONYMOUS_PRINCIPAL;
    try {
      const principal = await options.authenticate(request);
      if (principal === undefined) return ANONYMOUS_PRINCIPAL;
      if (typeof principal.id !== "string" || principal.id === "") {
        throw new TypeError("authenticate returned a principal without a string id");
      }
      return principal;
    } catch (error) {
      if (error instanceof AuthenticationError) return error.response;
      const carried = (error as { response?: unknown } | null)?.response;
      if (carried instanceof Response) return carried;
      config.onError(error);
      return httpError(500, "Internal error: authentication failed", { code: ErrorCode.InternalError });
    }
  }

  async function resolveSession(request: Request, principal: Principal) {
    const resolved = await sessions.resolve(request, principal);
    if (!resolved.ok && resolved.response.status === 404) {
      // A session that expired lazily may still have work or streams here: end them now.
      const id = request.headers.get("mcp-session-id");
      if (id !== null && hasLocalState(id)) await endSession(id);
    }
    return resolved;
  }

  function onClientNotification(session: SessionRecord, notification: JsonRpcNotification): void {
    if (notification.method === "notifications/cancelled") {
      const requestId = notification.params?.requestId;
      // Only this session's requests can be reached: the caller owns the session (checked above).
      if (typeof requestId === "string" || typeof requestId === "number") inFlight.cancel(session.id, requestId);
    }
    // notifications/initialized, roots/list_changed and unknown notifications need no action.
  }

  function initializeContext(principal: Principal): RequestContext {
    const refuse = () => Promise.reject(new McpError(ErrorCode.InvalidRequest, "Not available during initialize"));
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

  function hasLocalState(id: string): boolean {
    return inFlight.has(id) || hub.holds(id);
  }

  async function endSession(id: string): Promise<void> {
    inFlight.cancelSession(id);
    pending.rejectSession(id, "The session ended");
    hub.endSession(id);
    await hub.eventLog.deleteSession(id);
  }

  async function sweep(): Promise<void> {
    for (const id of await sessions.sweep()) await endSession(id);
    // Stores that expire records themselves (a TTL in Redis) report nothing:
    // end the work and streams this process holds for sessions that are gone.
    for (const id of new Set([...inFlight.sessionKeys(), ...hub.sessionIds()])) {
      if (!await sessions.exists(id)) await endSession(id);
    }
  }

  async function broadcast(notification: Omit<JsonRpcNotification, "jsonrpc">): Promise<number> {
    let sent = 0;
    for (const id of hub.listeningSessions()) {
      if (await notify(id, notification)) sent++;
    }
    return sent;
  }

  async function notify(sessionId: string, notification: Omit<JsonRpcNotification, "jsonrpc">): Promise<boolean> {
    const stream = hub.listening(sessionId);
    if (stream === undefined || stream.finished) return false;
    await stream.send({ jsonrpc: "2.0", ...notification });
    return true;
  }

  async function resourceUpdated(uri: string): Promise<number> {
    let sent = 0;
    for (const id of hub.listeningSessions()) {
      const session = await store.get(id, config.now());
      if (session?.subscriptions?.includes(uri) && await notify(id, { method: "notifications/resources/updated", params: { uri } })) {
        sent++;
      }
    }
    return sent;
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    clearInterval(sweepTimer);
    inFlight.cancelAll("server-closed");
    pending.rejectAll("The server is closing");
    hub.closeAll();
    if (ownsStore) await store.close();
  }

  async function stats(): Promise<HandlerStats> {
    return {
      sessions: await store.size(),
      inFlight: inFlight.size,
      openStreams: hub.connectionCount,
      pendingClientRequests: pending.size,
    };
  }

  return Object.assign(handle, {
    close,
    stats,
    notify,
    broadcast,
    resourceUpdated,
    tools: dispatcher.tools,
    resources: dispatcher.resources,
    prompts: dispatcher.prompts,
  });
}
