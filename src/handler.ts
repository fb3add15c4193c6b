/**
 * `createMcpHandler()`: MCP Streamable HTTP as one web-standard
 * `(Request) => Promise<Response>`, for both protocol eras on one endpoint.
 * This module is the wiring: the steps every request shares, then one
 * pipeline per era (src/legacy/ for the sessionful 2025 revisions,
 * src/modern/ for the stateless 2026-07-28 revision).
 *
 *   health → path → Host/Origin → closing → requireHeader → rateLimit →
 *   concurrency cap (the operator guards, off by default) → method →
 *   POST: Accept → Content-Type → body size → JSON (depth) → JSON-RPC
 *         envelope → id sizes → era (from the body) → era pipeline
 *   GET, DELETE: legacy pipeline (405 for a modern MCP-Protocol-Version)
 *
 * A step that turns a request away returns a refusal value; it is rendered
 * here, with the request's id when the body had a valid one.
 * @module
 */

import { AuthenticationError } from "./http/authentication_error.ts";
import { httpError, jsonResponse } from "./http/error_response.ts";
import { ConcurrencyLimit } from "./http/concurrency_limit.ts";
import {
  checkContentType,
  checkHostAndOrigin,
  checkPostAccept,
  compileOriginPolicy,
} from "./http/guards.ts";
import { parseJsonWithDepthLimit } from "./http/parse_json.ts";
import { checkRateLimit } from "./http/rate_limit.ts";
import { BodyReads, readBodyText } from "./http/read_body.ts";
import {
  atStep,
  busUnavailable,
  isRefusal,
  type Refusal,
  type RefusalStep,
  refuse,
  renderRefusal,
} from "./http/refusal.ts";
import { checkRequiredHeader } from "./http/require_header.ts";
import { classifyPost, namesModernVersion } from "./entry/classify_era.ts";
import { echoInput } from "./jsonrpc/echo.ts";
import { ErrorCode } from "./jsonrpc/error_codes.ts";
import {
  type ClassifiedMessage,
  classifyMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from "./jsonrpc/messages.ts";
import { createDelivery } from "./bus/delivery.ts";
import { type BusTargets, notifySession, receiveBusMessage } from "./entry/bus_receiver.ts";
import { LegacyPipeline } from "./legacy/legacy_pipeline.ts";
import { ListenStreams } from "./modern/listen_streams.ts";
import { Events, type SessionEndReason } from "./events.ts";
import { type ModernPipelineDependencies, serveModernMessage } from "./modern/modern_pipeline.ts";
import { ModernWork } from "./modern/modern_work.ts";
import { RequestStateCodec } from "./modern/request_state.ts";
import { MAX_TIMER_MS, type McpHandlerOptions, resolveOptions } from "./options.ts";
import { SUPPORTED_MODERN_PROTOCOL_VERSIONS } from "./protocol/eras.ts";
import { ANONYMOUS_PRINCIPAL, ownerKeyOf, type Principal } from "./protocol/context.ts";
import { Dispatcher } from "./protocol/dispatcher.ts";
import type { PromptRegistry } from "./protocol/prompts.ts";
import type { ResourceRegistry } from "./protocol/resources.ts";
import type { ToolRegistry } from "./protocol/tools.ts";
import { MemorySessionStore } from "./legacy/sessions/memory_session_store.ts";
import { generateSessionId } from "./legacy/sessions/session_id.ts";
import { MemoryEventLog } from "./legacy/event_log.ts";
import { KeepAlive } from "./http/keep_alive.ts";
import { afterThisTask } from "./runtime.ts";
import { unrefTimer } from "./runtime.ts";
import { StorageUnavailableError } from "./storage_unavailable.ts";
import { utf8Length } from "./jsonrpc/utf8_length.ts";

/**
 * Counters describing the handler's current load.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type HandlerStats } from "@tether/mcp";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
 * const stats: HandlerStats = await handler.stats();
 * console.log(`${stats.sessions} sessions, ${stats.inFlight} requests in flight`);
 * ```
 */
export interface HandlerStats {
  /** Sessions held by the store (expired ones awaiting the sweep included). */
  sessions: number;
  /** Requests being handled right now (aborted ones included until their handler returns). */
  inFlight: number;
  /** Open SSE connections in this process. */
  openStreams: number;
  /** Server→client requests waiting for the client. */
  pendingClientRequests: number;
  /** Requests refused since start because their session had `sessions.maxRequestsPerSession` in flight. */
  refusedAtSessionCap: number;
  /** Requests aborted since start because their client was gone, and did not resume, for `orphanTimeoutMs`. */
  abandoned: number;
  /** Requests counted against `maxConcurrentRequests` now (0 when the option is off). */
  concurrentRequests: number;
  /** The `maxConcurrentRequests` cap, or undefined when off. */
  maxConcurrentRequests: number | undefined;
  /** Sessions created since start. */
  sessionsCreated: number;
  /** Sessions ended since start, by reason. */
  sessionsEnded: Record<SessionEndReason, number>;
  /** HTTP requests answered since start. */
  requests: number;
  /** Requests refused by a guard or pipeline step since start. */
  refusals: number;
  /** The same refusals, by the step that refused them (steps that never refused are absent). */
  refusalsByStep: Partial<Record<RefusalStep, number>>;
  /** SSE connections dropped since start (client gone, or not reading). */
  streamsDropped: number;
  /** Server→client requests that got no reply in time since start. */
  clientRequestTimeouts: number;
}

/**
 * Options of {@linkcode McpHandler.close}.
 *
 * @example
 * ```ts
 * import { type CloseOptions, createMcpHandler } from "@tether/mcp";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
 * const drain: CloseOptions = { graceMs: 10_000 };
 * await handler.close(drain);
 * ```
 */
export interface CloseOptions {
  /**
   * How long work in flight may go on finishing before it is aborted, ms.
   * Default 0: abort at once.
   */
  graceMs?: number;
}

/** How long aborted work may take to return before `close({ graceMs })` reports it and resolves anyway, ms. */
const AFTER_ABORT_MS = 1_000;
/** Requests named one by one in that report (the count covers the rest). */
const MAX_REPORTED_REQUESTS = 20;
/** `Retry-After` of a closing handler's 503: another instance (or this one, restarted) can take the request. */
const CLOSING_RETRY_AFTER_SECONDS = 1;

/**
 * The function returned by {@linkcode createMcpHandler}, plus its controls.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type McpHandler } from "@tether/mcp";
 * const handler: McpHandler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
 * const response = await handler(new Request("http://127.0.0.1:8787/mcp", { method: "GET" }));
 * await handler.close();
 * ```
 */
export interface McpHandler {
  /** Serves one HTTP request. */
  (request: Request): Promise<Response>;
  /**
   * Shuts down. New requests (and the health path) get `503` +
   * `Retry-After: 1` at once; listening streams (and 2026-07-28 listen
   * streams, with their result) end at once. With `graceMs`, work in flight
   * may finish for up to `graceMs`: its streams stay open, and POSTs that
   * carry only replies and notifications (an answer to `ctx.elicit`, a
   * cancellation) are still taken. Then everything still running is aborted
   * (`ctx.signal` reason `"server-closed"`; a sessionful call is answered at
   * once with a -32603 error before its stream ends), given at most 1 s more to
   * return, and what still runs then is reported to `onError` (how many,
   * and each one's method and request id). Resolves within `graceMs` + 1 s,
   * even when a tool ignores its signal. Without options (or `graceMs: 0`):
   * aborts everything at once and does not wait.
   *
   * @example
   * ```ts
   * import { createMcpHandler } from "@tether/mcp";
   * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
   * await handler.close({ graceMs: 10_000 }); // e.g. on SIGTERM
   * ```
   */
  close(options?: CloseOptions): Promise<void>;
  /** Current load. */
  stats(): Promise<HandlerStats>;
  /**
   * Sends a notification on a session's listening (GET) stream. Resolves
   * true when it was sent, or logged for the client to get on resume while
   * its connection is briefly gone; with a shared `bus`, also when the
   * stream is not in this process and the message was handed to the other
   * instances (the one holding the stream sends it). Resolves false when no
   * listening stream of the session is here and there is no bus.
   */
  notify(sessionId: string, notification: Omit<JsonRpcNotification, "jsonrpc">): Promise<boolean>;
  /**
   * Sends a notification on every listening stream (both eras); resolves
   * with how many streams of this process got it. With a shared `bus`, the
   * other instances send it on theirs.
   */
  broadcast(notification: Omit<JsonRpcNotification, "jsonrpc">): Promise<number>;
  /**
   * Tells subscribers of `uri` that it changed (`notifications/resources/updated`);
   * resolves with how many streams of this process got it. With a shared
   * `bus`, the other instances tell theirs.
   */
  resourceUpdated(uri: string): Promise<number>;
  /** The tools; `add`/`remove` at runtime broadcast `notifications/tools/list_changed`. */
  readonly tools: ToolRegistry;
  /** The resources and templates; changes broadcast `notifications/resources/list_changed`. */
  readonly resources: ResourceRegistry;
  /** The prompts; changes broadcast `notifications/prompts/list_changed`. */
  readonly prompts: PromptRegistry;
}

const ALLOW = "GET, POST, DELETE";
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

/** True when `text` takes more than `limit` UTF-8 bytes (the UTF-16 length is a lower bound). */
function exceedsBytes(text: string, limit: number): boolean {
  return text.length > limit || utf8Length(text) > limit;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/**
 * Creates an MCP request handler. Serve it with `Deno.serve(handler)`,
 * `Bun.serve({ fetch: handler })`, or `serve(handler)` from `@tether/mcp/node`.
 * It speaks the sessionful revisions (2025-03-26 … 2025-11-25) and the
 * stateless 2026-07-28 revision on the same endpoint, from the same
 * definitions. Definitions are validated here: a bad tool name or schema
 * throws now, not at the first call.
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
  const serverInfo = {
    name: options.name,
    version: options.version,
    ...(options.title === undefined ? {} : { title: options.title }),
  };
  const dispatcher = new Dispatcher({
    info: serverInfo,
    instructions: options.instructions,
    tools: options.tools,
    resources: options.resources,
    resourceTemplates: options.resourceTemplates,
    prompts: options.prompts,
    pageSize: config.pageSize,
    maxUriBytes: config.maxUriBytes,
    onError: config.onError,
  });
  const ownsStore = options.sessions?.store === undefined;
  const store = options.sessions?.store ?? new MemorySessionStore();
  const originPolicy = compileOriginPolicy(options.allowedHosts, options.allowedOrigins);
  const events = new Events(options.onEvent, config.onError);
  /** Method and era of a request in progress, kept only while a listener wants request events. */
  const described = new WeakMap<Request, { method: string; era: "legacy" | "modern" }>();
  // One path for every bus message: this instance receives its own as the others do (entry/bus_receiver.ts).
  const delivery = createDelivery(
    options.bus,
    (message) => receiveBusMessage(targets, message),
    config.onError,
  );
  const legacy = new LegacyPipeline({
    delivery,
    events,
    config,
    dispatcher,
    store,
    eventLog: options.eventLog ?? new MemoryEventLog(),
    generateSessionId: options.generateSessionId ?? generateSessionId,
    authenticate,
  });
  const keepAlive = new KeepAlive(config.heartbeatMs);
  const capabilities = dispatcher.capabilities as Record<
    string,
    { listChanged?: boolean; subscribe?: boolean } | undefined
  >;
  const listen = new ListenStreams({
    maxStreams: config.maxListenStreams,
    maxStreamsPerPrincipal: config.maxListenStreamsPerPrincipal,
    maxResourceSubscriptions: config.maxSubscriptions,
    maxResourceSubscriptionBytes: config.maxListenSubscriptionBytes,
    maxUriBytes: config.maxUriBytes,
    maxBufferedBytes: config.maxStreamBufferBytes,
    keepAlive,
    serverInfo,
    onDropped: (reason) => events.streamDropped(reason, "modern"),
    support: {
      toolsListChanged: capabilities.tools?.listChanged === true,
      promptsListChanged: capabilities.prompts?.listChanged === true,
      resourcesListChanged: capabilities.resources?.listChanged === true,
      resourceSubscriptions: capabilities.resources?.subscribe === true,
    },
  });
  let codec: Promise<RequestStateCodec> | undefined;
  const modernWork = new ModernWork(config.maxRequestsPerPrincipal);
  const targets: BusTargets = { legacy, listen, modernWork };
  const modern: ModernPipelineDependencies = {
    delivery,
    dispatcher,
    serverInfo,
    responseMode: config.responseMode,
    maxBufferedBytes: config.maxStreamBufferBytes,
    keepAlive,
    requestState: () => codec ??= RequestStateCodec.create(options.requestState),
    cacheHint: (method, params) =>
      method === "resources/read" && typeof params.uri === "string"
        ? dispatcher.resources.cacheHint(params.uri) ?? config.cacheHints["resources/read"]
        : config.cacheHints[method as keyof typeof config.cacheHints],
    work: modernWork,
    onError: config.onError,
    onStateRefused: (reason) => events.requestStateRefused(reason),
    onDropped: (reason) => events.streamDropped(reason, "modern"),
    listen,
    discover: () => dispatcher.discover(SUPPORTED_MODERN_PROTOCOL_VERSIONS),
    serves: (method) => dispatcher.serves(method),
    headerParameters: (name) => dispatcher.tools.headerParameters(name),
  };
  let closed = false;
  /** True during close({ graceMs })'s grace: POSTs that carry no request (replies, cancellations) still serve work in flight. */
  let draining = false;
  const concurrency = config.maxConcurrentRequests === undefined
    ? undefined
    // A share protects principals from each other: without authenticate there is only one.
    : new ConcurrencyLimit(
      config.maxConcurrentRequests,
      options.authenticate === undefined ? undefined : config.maxConcurrentRequestsPerPrincipal,
    );
  /** POSTs that carry a request: they count against their principal's share of the pool once authenticated. */
  const sharedRequests = new WeakSet<Request>();
  /** Body reads in progress: one timer for their deadline; `close()` ends them (503) so no shutdown waits on a slow sender. */
  const bodyReads = new BodyReads(config.bodyTimeoutMs);

  const sweepTimer = setInterval(
    () => void legacy.sweep().catch(config.onError),
    config.sweepIntervalMs,
  );
  unrefTimer(sweepTimer);

  // Definitions are per instance: a runtime change here tells this instance's clients only.
  dispatcher.tools.onChange(() =>
    void delivery.here({
      type: "broadcast",
      notification: { method: "notifications/tools/list_changed" },
    }).catch(config.onError)
  );
  dispatcher.resources.onChange(() =>
    void delivery.here({
      type: "broadcast",
      notification: { method: "notifications/resources/list_changed" },
    }).catch(config.onError)
  );
  dispatcher.prompts.onChange(() =>
    void delivery.here({
      type: "broadcast",
      notification: { method: "notifications/prompts/list_changed" },
    }).catch(config.onError)
  );
  delivery.ready()?.catch(config.onError);

  async function handle(request: Request): Promise<Response> {
    try {
      events.counters.requests++;
      if (events.listener === undefined) return await route(request);
      const started = performance.now();
      const response = await route(request);
      const what = described.get(request);
      events.emit({
        type: "request",
        method: what?.method ?? request.method,
        ...(what === undefined ? {} : { era: what.era }),
        status: response.status,
        durationMs: performance.now() - started,
      });
      return response;
    } catch (error) {
      config.onError(error);
      if (error instanceof StorageUnavailableError) {
        // Fail closed, and say so in a way clients and load balancers retry.
        events.refused("storage", 503);
        return httpError(503, "Service Unavailable: session storage is unreachable", {
          code: ErrorCode.InternalError,
          headers: { "retry-after": String(error.retryAfterSeconds) },
        });
      }
      return httpError(500, "Internal error", { code: ErrorCode.InternalError });
    }
  }

  /**
   * The entry's guards, then the era's pipeline. Not an async function: a
   * request that waits for nothing (no rate limit, no bus to join) goes
   * straight to {@linkcode admit}, without a layer of its own.
   */
  function route(request: Request): Response | Promise<Response> {
    const path = pathOf(request.url);
    if (config.healthPath !== undefined && path === config.healthPath && request.method === "GET") {
      // A closed handler reports itself unhealthy so load balancers stop sending traffic.
      return closed ? render(shuttingDown()) : jsonResponse('{"status":"ok"}');
    }
    if (config.path !== null && path !== config.path) {
      return deny(404, "Not Found", undefined, "path");
    }
    // Read once: on Deno.serve every `request.headers` read goes through the runtime's accessor.
    const headers = request.headers;
    const forbidden = checkHostAndOrigin(request, originPolicy, headers);
    if (forbidden !== undefined) return render(forbidden);
    // While draining, a POST may still carry replies or a cancellation for work in flight (handlePost checks).
    if (closed && !(draining && request.method === "POST")) return render(shuttingDown());
    // Operator guards, all off by default, before anything reads the body or asks authenticate.
    if (config.requireHeader !== undefined) {
      const missing = checkRequiredHeader(request, config.requireHeader);
      if (missing !== undefined) return render(atStep(missing, "require-header"));
    }
    if (options.rateLimit !== undefined || delivery.ready() !== undefined) {
      return routeAfterWaits(request, headers);
    }
    return admit(request, headers);
  }

  /** The rate limit, then the bus subscription, either of which may be waited for; then {@linkcode admit}. */
  async function routeAfterWaits(request: Request, headers: Headers): Promise<Response> {
    if (options.rateLimit !== undefined) {
      const limited = await checkRateLimit(options.rateLimit, request, config.onError);
      if (limited !== undefined) return render(atStep(limited, "rate-limit"));
    }
    // A refused request above never starts a subscription attempt.
    const subscribing = delivery.ready();
    if (subscribing !== undefined) {
      // Until this instance hears the others, it could miss a cancellation meant for its work.
      try {
        await subscribing;
      } catch (error) {
        config.onError(error);
        return render(busUnavailable());
      }
    }
    return await admit(request, headers);
  }

  /** Dispatches within the concurrency limit, when there is one. */
  function admit(request: Request, headers: Headers): Promise<Response> {
    if (concurrency === undefined) return dispatch(request, headers);
    if (!concurrency.enter()) {
      return Promise.resolve(render(atStep(concurrency.full(), "concurrency-limit")));
    }
    return dispatch(request, headers).then(
      // Streamed work keeps its place until it is done.
      (response) => concurrency.release(request, response),
      (error) => {
        concurrency.leave(request);
        throw error;
      },
    );
  }

  async function dispatch(request: Request, headers: Headers): Promise<Response> {
    switch (request.method) {
      case "POST":
        return render(await handlePost(request, headers));
      case "GET":
      case "DELETE": {
        // Neither exists in 2026-07-28; a modern-only handler has no sessions to serve.
        if (namesModernVersion(headers) || !config.eras.legacy) {
          return deny(405, "Method Not Allowed", { allow: "POST" }, "method");
        }
        if (events.listener !== undefined) {
          described.set(request, { method: request.method, era: "legacy" });
        }
        return render(
          request.method === "GET" ? await legacy.get(request) : await legacy.delete(request),
        );
      }
      default:
        return deny(405, "Method Not Allowed", { allow: ALLOW }, "method");
    }
  }

  function render(answer: Response | Refusal, id?: RequestId): Response {
    if (!isRefusal(answer)) return answer as Response;
    events.refused(answer.step ?? "other", answer.status, answer.code, answer.message);
    return renderRefusal(answer.id === undefined && id !== undefined ? { ...answer, id } : answer);
  }

  /** A refusal answered straight from the entry's guards. */
  function deny(
    status: number,
    message: string,
    headers?: Record<string, string>,
    step?: RefusalStep,
  ): Response {
    return render(refuse(status, message, headers === undefined ? { step } : { headers, step }));
  }

  /** The 503 of a closing handler. */
  function shuttingDown(): Refusal {
    return refuse(503, "Service Unavailable: server is shutting down", {
      headers: { "retry-after": String(CLOSING_RETRY_AFTER_SECONDS) },
      step: "closing",
    });
  }

  async function handlePost(request: Request, headers: Headers): Promise<Response | Refusal> {
    const refused = checkPostAccept(request, config.strictAccept, headers) ??
      checkContentType(request, headers);
    if (refused !== undefined) return refused;

    const body = await readBodyText(request, config.maxBodyBytes, { reads: bodyReads }, headers);
    if (!body.ok) {
      if (body.failure === "too-large") {
        return refuse(413, `Payload Too Large: the limit is ${config.maxBodyBytes} bytes`, {
          step: "body",
        });
      }
      if (body.failure === "timeout") {
        return refuse(
          408,
          `Request Timeout: the body did not arrive within ${config.bodyTimeoutMs} ms`,
          { step: "body" },
        );
      }
      if (body.failure === "cancelled") return shuttingDown();
      if (body.failure === "invalid-utf8") {
        return refuse(400, "Parse error: body is not valid UTF-8", {
          code: ErrorCode.ParseError,
          step: "body",
        });
      }
      return refuse(400, "Bad Request: body could not be read", { step: "body" });
    }
    const parsed = parseJsonWithDepthLimit(body.text, config.maxJsonDepth);
    if (!parsed.ok) {
      const message = parsed.reason === "too-deep"
        ? `Parse error: JSON nested deeper than ${config.maxJsonDepth} levels`
        : "Parse error: body is not valid JSON";
      return refuse(400, message, { code: ErrorCode.ParseError, step: "json" });
    }

    const isBatch = Array.isArray(parsed.value);
    const values: unknown[] = isBatch ? parsed.value as unknown[] : [parsed.value];
    if (values.length === 0) {
      return refuse(400, "Invalid Request: empty batch", { step: "jsonrpc" });
    }
    if (values.length > MAX_BATCH_MESSAGES) {
      return refuse(
        400,
        `Invalid Request: a batch may hold at most ${MAX_BATCH_MESSAGES} messages`,
        { step: "jsonrpc" },
      );
    }
    const messages: ClassifiedMessage[] = [];
    for (const value of values) {
      const classified = classifyMessage(value);
      if (classified === undefined) {
        const id = asObject(value)?.id;
        // Only a valid id is echoed (a string within the size limit, or an integer a number holds
        // exactly): never 1.5, {}, megabytes or a rounded 2^53 + 1.
        const knownId = (typeof id === "string" && !exceedsBytes(id, config.maxIdBytes)) ||
            Number.isSafeInteger(id)
          ? id as RequestId
          : null;
        return refuse(400, "Invalid Request: not a JSON-RPC 2.0 message", {
          id: knownId,
          step: "jsonrpc",
        });
      }
      messages.push(classified);
    }
    const oversized = checkIdSizes(messages);
    if (oversized !== undefined) return oversized;
    const startsWork = messages.some((message) => message.kind === "request");
    // A closing handler starts nothing new; replies and notifications still reach the work in flight.
    if (closed && startsWork) return shuttingDown();
    // Only requests count against a principal's share: a reply or a cancellation must reach its work.
    if (startsWork && concurrency !== undefined) sharedRequests.add(request);
    // From here on, errors about a single request carry its id.
    const id = !isBatch && messages[0].kind === "request"
      ? (messages[0].message as JsonRpcRequest).id
      : undefined;

    // Read once: the era's classification and both pipelines' version checks use it.
    const versionHeader = headers.get("mcp-protocol-version");
    const era = classifyPost(versionHeader, values, messages, isBatch);
    if (isRefusal(era)) return era;
    if (events.listener !== undefined) {
      const first = messages[0];
      const method = isBatch
        ? "batch"
        : first.kind === "response"
        ? "response"
        : (first.message as JsonRpcRequest).method;
      described.set(request, { method, era });
    }
    if (era === "modern") {
      if (!config.eras.modern) return withId(legacyOnly(), id);
      // Without an authenticate option there is nothing to wait for.
      const principal = options.authenticate === undefined
        ? ANONYMOUS_PRINCIPAL
        : await authenticate(request, id);
      if (principal instanceof Response) return principal;
      // In json mode no stream can tell that a client left: the request's signal does.
      const connection = config.responseMode === "json" ? request.signal : undefined;
      return withId(
        await serveModernMessage(
          modern,
          headers,
          messages[0],
          principal,
          versionHeader,
          connection,
        ),
        id,
      );
    }
    if (!config.eras.legacy) return withId(modernOnly(request, messages, isBatch), id);
    return withId(await legacy.post(request, messages, isBatch, versionHeader), id);
  }

  function withId(answer: Response | Refusal, id: RequestId | undefined): Response | Refusal {
    return isRefusal(answer) && answer.id === undefined && id !== undefined
      ? { ...answer, id }
      : answer;
  }

  /** A legacy-only handler answers modern requests so that dual-era clients fall back to `initialize`. */
  function legacyOnly(): Refusal {
    return refuse(404, "Method not found: this server speaks the 2025 revisions; use initialize", {
      code: ErrorCode.MethodNotFound,
      step: "era",
    });
  }

  /** A modern-only handler answers legacy traffic as a 2026-07-28 server must. */
  function modernOnly(
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
  ): Response | Refusal {
    if (isBatch) {
      return refuse(400, "Invalid Request: JSON-RPC batches are not supported by this endpoint", {
        step: "era",
      });
    }
    const only = messages[0];
    if (only.kind === "notification") return new Response(null, { status: 202 });
    if (only.kind === "response") {
      return refuse(400, "Invalid Request: JSON-RPC responses cannot be posted to this endpoint", {
        step: "era",
      });
    }
    const params = (only.message as JsonRpcRequest).params ?? {};
    const requested =
      only.message.method === "initialize" && typeof params.protocolVersion === "string"
        ? params.protocolVersion
        : request.headers.get("mcp-protocol-version") ?? undefined;
    return refuse(400, "Unsupported protocol version: this server speaks 2026-07-28", {
      code: ErrorCode.UnsupportedProtocolVersion,
      step: "era",
      data: requested === undefined
        ? { supported: [...SUPPORTED_MODERN_PROTOCOL_VERSIONS] }
        : { supported: [...SUPPORTED_MODERN_PROTOCOL_VERSIONS], requested: echoInput(requested) },
    });
  }

  /**
   * Request ids and progress tokens are echoed in every response and progress
   * event, kept while the request runs, and carried by the bus to the other
   * instances: bound them wherever they enter (requests, a client's replies,
   * the `requestId` of a cancellation, in both eras) so a client cannot make
   * each event of a stream, or each bus entry, carry megabytes. No id this
   * server holds or issued is longer, so nothing legitimate is refused.
   * The oversized id is not echoed.
   * An integer beyond ±(2^53 − 1) was rounded by JSON.parse: echoing it would
   * answer another id, and reading the exact digits costs every request (V8's
   * reviver `context.source` is not on every runtime), so it is refused.
   */
  function checkIdSizes(messages: readonly ClassifiedMessage[]): Refusal | undefined {
    for (const { kind, message } of messages) {
      if (kind === "notification") {
        const { method, params } = message as JsonRpcNotification;
        const target = method === "notifications/cancelled" ? params?.requestId : undefined;
        if (typeof target === "string" && exceedsBytes(target, config.maxIdBytes)) {
          return refuse(
            400,
            `Invalid params: requestId longer than ${config.maxIdBytes} bytes`,
            { id: null, code: ErrorCode.InvalidParams, step: "jsonrpc" },
          );
        }
        continue;
      }
      if (kind === "response") {
        const { id } = message as JsonRpcResponse;
        if (typeof id === "string" && exceedsBytes(id, config.maxIdBytes)) {
          return refuse(
            400,
            `Invalid Request: response id longer than ${config.maxIdBytes} bytes`,
            {
              id: null,
              step: "jsonrpc",
            },
          );
        }
        continue;
      }
      const { id } = message as JsonRpcRequest;
      if (typeof id === "string" && exceedsBytes(id, config.maxIdBytes)) {
        return refuse(400, `Invalid Request: request id longer than ${config.maxIdBytes} bytes`, {
          id: null,
          step: "jsonrpc",
        });
      }
      if (typeof id === "number" && !Number.isSafeInteger(id)) {
        return refuse(
          400,
          "Invalid Request: a numeric request id must be an integer from -(2^53 - 1) to 2^53 - 1",
          { id: null, step: "jsonrpc" },
        );
      }
      const token = asObject((message as JsonRpcRequest).params?._meta)?.progressToken;
      if (typeof token === "string" && exceedsBytes(token, config.maxIdBytes)) {
        return refuse(
          400,
          `Invalid params: progress token longer than ${config.maxIdBytes} bytes`,
          {
            id,
            code: ErrorCode.InvalidParams,
            step: "jsonrpc",
          },
        );
      }
    }
    return undefined;
  }

  /** The caller, or the response refusing it; `id` names the request a refusal answers, when known. */
  async function authenticate(request: Request, id?: RequestId): Promise<Principal | Response> {
    if (options.authenticate === undefined) return ANONYMOUS_PRINCIPAL;
    try {
      const principal = await options.authenticate(request);
      const known = principal ?? ANONYMOUS_PRINCIPAL;
      if (typeof known.id !== "string" || known.id === "") {
        throw new TypeError("authenticate returned a principal without a string id");
      }
      // Its place in the pool now counts against its share (all anonymous callers share one).
      const overShare = sharedRequests.has(request)
        ? concurrency?.claim(request, ownerKeyOf(known))
        : undefined;
      return overShare === undefined ? known : render(overShare, id);
    } catch (error) {
      if (error instanceof AuthenticationError) {
        events.refused(
          "authenticate",
          error.response.status,
          ErrorCode.InvalidRequest,
          error.message,
        );
        return error.response;
      }
      const carried = (error as { response?: unknown } | null)?.response;
      if (carried instanceof Response) {
        events.refused("authenticate", carried.status); // a response of your own: its body is yours
        return carried;
      }
      config.onError(error);
      return httpError(500, "Internal error: authentication failed", {
        code: ErrorCode.InternalError,
      });
    }
  }

  let closing: Promise<void> | undefined;

  function close(options: CloseOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? 0;
    if (!(graceMs >= 0) || graceMs > MAX_TIMER_MS) {
      return Promise.reject(
        new RangeError(`close(): graceMs must be a number from 0 to ${MAX_TIMER_MS}`),
      );
    }
    return closing ??= shutDown(graceMs, options.graceMs !== undefined);
  }

  /** Work still running in either era. */
  function running(): number {
    return legacy.inFlight.size + modernWork.size;
  }

  /** Resolves when `promise` settles or after `ms`, whichever comes first (it never rejects). */
  async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([promise.then(() => {}, () => {}), late]);
    clearTimeout(timer);
  }

  /** Running work, and the answers of finished work still being logged and written to streams. */
  function unsettled(): number {
    return running() + legacy.hub.pendingWrites;
  }

  /**
   * Resolves once `count` is 0 (by default, once nothing runs), or after `ms`
   * (polling: shutdown only, never the hot path).
   */
  async function drained(ms: number, count: () => number = running): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (count() > 0 && performance.now() < deadline) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(10, Math.max(1, deadline - performance.now())))
      );
    }
    return count() === 0;
  }

  /**
   * `graceful`: close({ graceMs }) was asked for, so aborted work is waited
   * for (at most AFTER_ABORT_MS, resource disposal included) and reported.
   */
  async function shutDown(graceMs: number, graceful: boolean): Promise<void> {
    closed = true; // from now on: 503 for new requests, health 503
    delivery.close();
    draining = graceMs > 0;
    clearInterval(sweepTimer);
    const heldAtStart = legacy.heldSessions();
    // Subscriptions hold no work: they end now (2026 listen streams get their result frame).
    listen.closeAll();
    legacy.hub.closeListening();
    // The grace ends early only when every answer is out: a finished call's last batch may still be
    // waiting for the event log (a Redis round trip), and ending its stream now would lose it.
    if (draining) await drained(graceMs, unsettled);
    draining = false;
    // Bodies still arriving (a reply the grace did not need after all) are answered 503.
    bodyReads.cancelAll();
    const abortedAt = performance.now();
    // Sessionful calls still running are answered now with an error (the server is shutting
    // down); a graceful close lets those answers be logged and written before the streams end.
    legacy.inFlight.cancelAll("server-closed");
    modernWork.abortAll("server-closed");
    if (graceful) {
      await afterThisTask();
      await drained(AFTER_ABORT_MS, () => legacy.hub.pendingWrites);
    }
    legacy.close(heldAtStart);
    keepAlive.stop();
    const disposed = legacy.resources.disposeAll(); // bounded per resource; failures go to onError
    if (!graceful) {
      await disposed;
    } else {
      const left = Math.max(0, AFTER_ABORT_MS - (performance.now() - abortedAt));
      const [, done] = await Promise.all([settledWithin(disposed, left), drained(left)]);
      if (!done) config.onError(stillRunning());
    }
    if (ownsStore) await store.close();
  }

  /** What close() reports when aborted work has not returned: how many, and each one's method and id. */
  function stillRunning(): Error {
    const inSessions = legacy.inFlight.describe();
    const stateless = modernWork.describe();
    const named = [
      ...inSessions.map(({ id, method }) => `${method ?? "request"} id ${JSON.stringify(id)}`),
      ...stateless.map(({ id, method }) => `${method} id ${JSON.stringify(id)} (2026-07-28)`),
    ];
    const listed = named.slice(0, MAX_REPORTED_REQUESTS).join(", ");
    const more = named.length > MAX_REPORTED_REQUESTS
      ? `, and ${named.length - MAX_REPORTED_REQUESTS} more`
      : "";
    return new Error(
      `close(): ${named.length} request(s) still running ${AFTER_ABORT_MS} ms after they were ` +
        `aborted (${inSessions.length} in sessions, ${stateless.length} in 2026-07-28; their ` +
        `tools ignore ctx.signal): ${listed}${more}`,
    );
  }

  async function stats(): Promise<HandlerStats> {
    return {
      sessions: await store.size(),
      inFlight: legacy.inFlight.size + modernWork.size,
      openStreams: legacy.hub.connectionCount + listen.size,
      pendingClientRequests: legacy.pending.size,
      refusedAtSessionCap: legacy.inFlight.refusedAtCap,
      abandoned: legacy.inFlight.abandoned,
      concurrentRequests: concurrency?.active ?? 0,
      maxConcurrentRequests: concurrency?.max,
      sessionsCreated: events.counters.sessionsCreated,
      sessionsEnded: { ...events.counters.sessionsEnded },
      requests: events.counters.requests,
      refusals: events.counters.refusals,
      refusalsByStep: { ...events.counters.refusalsByStep },
      streamsDropped: events.counters.streamsDropped,
      clientRequestTimeouts: events.counters.clientRequestTimeouts,
    };
  }

  return Object.assign(handle, {
    close,
    stats,
    notify: (sessionId: string, notification: Omit<JsonRpcNotification, "jsonrpc">) =>
      notifySession(delivery, sessionId, notification),
    broadcast: (notification: Omit<JsonRpcNotification, "jsonrpc">) =>
      delivery.deliver({ type: "broadcast", notification }),
    resourceUpdated: (uri: string) => delivery.deliver({ type: "resource-updated", uri }),
    tools: dispatcher.tools,
    resources: dispatcher.resources,
    prompts: dispatcher.prompts,
  });
}
