/**
 * `createMcpHandler()`: MCP Streamable HTTP as one web-standard
 * `(Request) => Promise<Response>`, for both protocol eras on one endpoint.
 * This module is the wiring only: it builds the shared parts (dispatcher,
 * events, the bus delivery, the heartbeat), one line per era (src/legacy/era.ts,
 * src/modern/era.ts: each fills its own defaults and owns its timers), the
 * door (src/entry/), and returns the handler. None of its functions runs on
 * a request: what it hands down are values and the lower rooms' methods.
 * The request path is src/entry/route.ts; shutdown and stats are
 * src/entry/shutdown.ts and src/observe/stats.ts.
 * @module
 */

import { BodyReads } from "./http/body/read_body.ts";
import type { JsonRpcNotification } from "./jsonrpc/messages.ts";
import { createDelivery } from "./bus/delivery.ts";
import { EraReceiver, notifySession } from "./entry/bus_receiver.ts";
import type { Era } from "./era.ts";
import { legacyEra } from "./legacy/era.ts";
import { modernEra } from "./modern/era.ts";
import { Authentication } from "./auth/authenticate.ts";
import { createRoute } from "./entry/route.ts";
import {
  announceListChanges,
  createConcurrencyLimit,
  createOriginRules,
  describeServer,
} from "./entry/handler_parts.ts";
import { ProtectedResource } from "./auth/protected_resource.ts";
import { ScopeCheck } from "./auth/scope_check.ts";
import { createRateLimits } from "./limits/rate_limits.ts";
import { type CloseOptions, Shutdown } from "./entry/shutdown.ts";
import { collectStats, type HandlerStats } from "./observe/stats.ts";
import { Events } from "./observe/events.ts";
import { knownNamesOf } from "./observe/telemetry/known_names.ts";
import { Telemetry } from "./observe/telemetry/telemetry.ts";
import { Auditor } from "./observe/audit/auditor.ts";
import type { McpHandlerOptions } from "./config/options.ts";
import { resolveOptions } from "./config/resolve.ts";
import { withStorage } from "./config/apply_storage.ts";
import { Dispatcher } from "./protocol/dispatch/dispatcher.ts";
import type { PromptRegistry } from "./protocol/registries/prompts.ts";
import type { ResourceRegistry } from "./protocol/registries/resources.ts";
import type { ToolRegistry } from "./protocol/registries/tools.ts";
import { KeepAlive } from "./http/sse/keep_alive.ts";
import { MemoryBus } from "./bus/message_bus.ts";
import { MemorySessionStore } from "./storage/sessions/memory_session_store.ts";
import { MemoryEventLog } from "./storage/event_log/memory_event_log.ts";

export type { CloseOptions, HandlerStats };

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
export function createMcpHandler(given: McpHandlerOptions): McpHandler {
  const options = withStorage(given);
  const config = resolveOptions(options);
  const { onError } = config.observe;
  checkReplayStoreShared(options);
  const { auth = {}, limits = {} } = options;
  const resource = auth.oauth === undefined
    ? undefined
    : new ProtectedResource(auth.oauth, onError);
  const serverInfo = describeServer(options);
  // Built only while a listener or an OpenTelemetry logger provider takes them.
  const audit = new Auditor({
    listener: options.observe?.onEvent,
    redact: options.observe?.audit?.redact,
    digestKey: options.observe?.audit?.digestKey,
    onError,
  });
  const dispatcher = new Dispatcher({
    info: serverInfo,
    instructions: options.instructions,
    tools: options.tools,
    jsonSchemaValidator: config.jsonSchemaValidator,
    resources: options.resources,
    resourceTemplates: options.resourceTemplates,
    prompts: options.prompts,
    view: options.view,
    extensions: options.extensions,
    pageSize: config.limits.pageSize,
    maxUriBytes: config.limits.maxUriBytes,
    onError,
    audit,
  });
  // OpenTelemetry through the API only: a no-op until the application registers a provider.
  // Its names are the dispatcher's: what a client sends is recorded only when the server defines it.
  const telemetry = new Telemetry(knownNamesOf(dispatcher, config.limits.maxUriBytes));
  const events = new Events(options.observe?.onEvent, onError, telemetry);
  // One path for every bus message: this instance receives its own as the others do (entry/bus_receiver.ts).
  const receiver = new EraReceiver();
  const { receive, holds } = receiver;
  const delivery = createDelivery(options.bus, receive, onError, holds, config.scheduler);
  const keepAlive = new KeepAlive(config.streams.heartbeatMs);
  // What both eras share; each era makes its own defaults and timers from the settings.
  const shared = { dispatcher, serverInfo, keepAlive, delivery, events, telemetry };
  const legacy = legacyEra(config, shared, options);
  const modern = modernEra(config, shared);
  const eras: readonly Era[] = [legacy, modern];
  receiver.attach(legacy, eras);
  const concurrency = createConcurrencyLimit(options, config);
  const scopes = new ScopeCheck(dispatcher, resource);
  const bodyReads = new BodyReads(config.http.bodyTimeoutMs, config.scheduler);
  const shutdown = new Shutdown({
    eras,
    keepAlive,
    bodyReads,
    closeExtensions: () => dispatcher.closeExtensions(onError),
    onError,
    onClosing: () => delivery.close(),
    scheduler: config.scheduler,
  });
  const handle = createRoute({
    config,
    rateLimit: limits.rateLimit,
    rateLimits: createRateLimits(
      limits.rateLimits,
      dispatcher.tools,
      { now: config.now, onError },
      dispatcher.viewed?.toolKey,
    ),
    ...createOriginRules(options, config),
    events,
    legacy,
    modern,
    definitions: dispatcher,
    scopes,
    audit,
    authentication: new Authentication({
      authenticate: auth.authenticate,
      resource,
      concurrency,
      events,
      onError,
    }),
    resource,
    concurrency,
    bodyReadControl: { reads: bodyReads },
    shutdown,
    delivery,
  });
  announceListChanges(dispatcher, delivery, onError, scopes);

  return Object.assign(handle, {
    close: (options?: CloseOptions) => shutdown.close(options),
    stats: () => collectStats({ eras, concurrency, events }),
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

/**
 * Sessions, streams or the bus in a shared store mean several instances; a
 * DPoP replay store left to its per-instance default would then accept each
 * proof once on every instance. Refused at startup, naming the option (an
 * explicit `MemoryDpopReplayStore` says per instance is meant).
 */
function checkReplayStoreShared(options: McpHandlerOptions): void {
  const dpop = options.auth?.oauth?.dpop;
  if (dpop === undefined || dpop.replayStore !== undefined) return;
  const store = options.sessions?.store;
  const eventLog = options.streams?.eventLog;
  const shared = [
    store !== undefined && !(store instanceof MemorySessionStore) ? "sessions.store" : "",
    eventLog !== undefined && !(eventLog instanceof MemoryEventLog) ? "streams.eventLog" : "",
    options.bus !== undefined && !(options.bus instanceof MemoryBus) ? "bus" : "",
  ].filter((name) => name !== "");
  if (shared.length === 0) return;
  throw new TypeError(
    `Option auth.oauth.dpop.replayStore must be set when ${shared.join(", ")} ` +
      "is shared between instances (the default holds used proofs per instance, so each would " +
      "be accepted once on every instance): pass the backend's dpopReplayStore",
  );
}
