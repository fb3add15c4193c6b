/**
 * The per-request context. The transport builds a {@linkcode RequestContext}
 * for each JSON-RPC request (the dispatcher never sees session ids or HTTP);
 * the dispatcher turns it into the {@linkcode HandlerContext} that tools,
 * resource readers and prompts receive as `ctx`. Who is calling lives in
 * `principal.ts`, re-exported here.
 * @module
 */

import type { JsonRpcNotification, RequestId } from "../../jsonrpc/messages.ts";
import type { LoggingLevel } from "./logging.ts";
import type { Principal } from "./principal.ts";
import type { ListenTarget } from "./listen_target.ts";
import type { ClientCapabilities, Implementation } from "../types.ts";
import type { StandardOutput, StandardSchemaV1 } from "../schema/standard_schema.ts";

export { ANONYMOUS_PRINCIPAL, isAnonymous, ownerKeyOf, type Principal } from "./principal.ts";
export type { ListenTarget } from "./listen_target.ts";

/**
 * Session-scoped state, stored in the session store. It survives across
 * requests of one session and is isolated between sessions, even two of the
 * same principal. Values must be JSON-serialisable; reads return copies.
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * export const increment = defineTool({
 *   name: "increment",
 *   description: "Counts calls in this session",
 *   handler: async (_input, ctx) => String(await ctx.session!.update<number>("count", (n) => (n ?? 0) + 1)),
 * });
 * ```
 */
export interface SessionState {
  /** The session id (for logs and correlation; not a secret to hand to others). */
  readonly id: string;
  /** Reads a value; undefined when absent. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Writes a value (`undefined` deletes). Rejects when the session's state would exceed its size limit. */
  set(key: string, value: unknown): Promise<void>;
  /** Deletes a value. */
  delete(key: string): Promise<void>;
  /** Atomically replaces a value with `fn(current)` and returns the new value. */
  update<T>(key: string, fn: (current: T | undefined) => T): Promise<T>;
  /**
   * A non-JSON resource for the life of the session in this process (an
   * upstream client, a browser, a transaction): one per (session, key),
   * opened by `open` on first use; concurrent first uses share one creation,
   * and a failed one is not kept (the next use opens again). It is disposed
   * when the session ends by any path (`DELETE`, idle or absolute expiry,
   * `handler.close()`): with `options.dispose` when given, else its
   * `Symbol.asyncDispose`, `Symbol.dispose` or `close()`. A disposal that
   * fails or hangs is reported to `onError` and never holds up the teardown.
   * Per process: under a shared session store, another instance serving the
   * same session opens its own. Rejects when the session has ended.
   *
   * @example
   * ```ts
   * import { defineTool } from "@tether/mcp";
   * export const query = defineTool({
   *   name: "query",
   *   handler: async (_input, ctx) => {
   *     const connection = await ctx.session!.resource("db", () => ({ rows: 0, close() {} }));
   *     return String(connection.rows);
   *   },
   * });
   * ```
   */
  resource<T>(
    key: string,
    open: () => T | Promise<T>,
    options?: { dispose?: (resource: T) => unknown },
  ): Promise<T>;
}

/**
 * Options for a server→client request sent with {@linkcode RequestContext.request}.
 *
 * @example
 * ```ts
 * import { defineTool, type OutboundRequestOptions } from "@tether/mcp";
 * const wait: OutboundRequestOptions = { timeoutMs: 60_000, key: "confirm" };
 * export const confirm = defineTool({
 *   name: "confirm",
 *   handler: async (_input, ctx) => (await ctx.elicit({ message: "Go on?", requestedSchema: { type: "object", properties: {} } }, wait)).action,
 * });
 * ```
 */
export interface OutboundRequestOptions {
  /** Aborts the wait (the request's own signal is always honoured too). */
  signal?: AbortSignal;
  /** How long to wait for the client's reply, ms. */
  timeoutMs?: number;
  /**
   * The input-request key under which a 2026-07-28 client answers this
   * request (`inputRequests`/`inputResponses`). Default: the kind and its
   * ordinal in the handler run, e.g. `elicitation-1`. Ignored by the
   * sessionful revisions, where the request goes to the client directly.
   */
  key?: string;
}

/**
 * An OpenTelemetry context: the shape of `Context` in `@opentelemetry/api`,
 * so a `ctx.traceContext` goes to `propagation.inject`, `context.with` or
 * `tracer.startSpan` as it is (tether itself declares no dependency here).
 *
 * @example
 * ```ts
 * import type { TraceContext } from "@tether/mcp/types";
 * const traced = (context: TraceContext | undefined): boolean => context !== undefined;
 * ```
 */
export interface TraceContext {
  /** The value stored under `key`, if any. */
  getValue(key: symbol): unknown;
  /** A new context with `value` under `key`. */
  setValue(key: symbol, value: unknown): TraceContext;
  /** A new context without `key`. */
  deleteValue(key: symbol): TraceContext;
}

/**
 * The tracing of one request, given by the transport when an OpenTelemetry
 * tracer or meter provider is registered (src/observe/telemetry/); absent otherwise,
 * so the dispatcher does nothing for it.
 *
 * @example
 * ```ts
 * import type { RequestTrace } from "@tether/mcp/types";
 * const run = (trace: RequestTrace) => trace.run("tool", "echo", () => Promise.resolve("done"));
 * ```
 */
export interface RequestTrace {
  /** The context of the request's SERVER span. */
  readonly context: TraceContext;
  /**
   * Runs a tool, prompt or resource handler in a child span of the request's
   * span, active while it runs; `run` receives that span's context (for `ctx.traceContext`).
   */
  run<T>(
    kind: "tool" | "prompt" | "resource",
    name: string,
    run: (context: TraceContext) => Promise<T>,
  ): Promise<T>;
  /**
   * Observes a server→client request (`ctx.elicit`, `ctx.sample`, `ctx.listRoots`)
   * made within `parent`; `send` calls `identify` with the JSON-RPC id it sends under.
   */
  outbound<T>(
    method: string,
    parent: TraceContext,
    send: (identify: (id: RequestId) => void) => Promise<T>,
  ): Promise<T>;
}

/**
 * What the transport provides for one inbound JSON-RPC request. Built by the
 * sessionful HTTP transport today and by the stateless path later; the
 * dispatcher depends only on this.
 *
 * @example
 * ```ts
 * import type { RequestContext } from "@tether/mcp/types";
 * const era = (ctx: RequestContext): string => ctx.protocolVersion >= "2026-07-28" ? "stateless" : "session";
 * ```
 */
export interface RequestContext {
  /** The negotiated protocol version. */
  readonly protocolVersion: string;
  /**
   * Capabilities the client declared: read them, never change them (a 2025
   * session held in memory shares one frozen copy with every session whose
   * client declared the same).
   */
  readonly clientCapabilities: ClientCapabilities;
  /** The client's implementation info, when known (shared and frozen likewise). */
  readonly clientInfo?: Implementation;
  /** The authenticated caller. */
  readonly principal: Principal;
  /** Aborts when the request is cancelled or abandoned, its session ends, or the handler closes. */
  readonly signal: AbortSignal;
  /** Session-scoped state; undefined where there is no session (stateless requests). */
  readonly session?: SessionState;
  /**
   * Narrows who owns what outlives this request (tasks) below the
   * principal: set by the sessionful transport for the anonymous principal,
   * one per session, so anonymous callers never share what they own.
   * Opaque, and a secret (keep a digest, never the value); undefined for
   * authenticated callers and where there is no session.
   */
  readonly ownerScope?: string;
  /** The minimum level for log notifications; undefined means send all. */
  readonly logLevel?: LoggingLevel;
  /** Sends a notification on this request's stream. */
  notify(notification: JsonRpcNotification): Promise<void>;
  /**
   * Sends a server→client request on this request's stream and resolves with
   * the client's result. Undefined where the transport cannot carry them.
   * `identify` is told the JSON-RPC id once one is chosen (for telemetry).
   */
  request?(
    method: string,
    params: Record<string, unknown>,
    options?: OutboundRequestOptions,
    identify?: (id: RequestId) => void,
  ): Promise<Record<string, unknown>>;
  /** Closes this request's SSE connection early; the client resumes with Last-Event-ID. */
  closeStream?(): void;
  /** Persists the session's logging level (`logging/setLevel`). */
  setLogLevel(level: LoggingLevel): Promise<void>;
  /** Records a resource subscription for the session. */
  subscribe(uri: string): Promise<void>;
  /** Removes a resource subscription. */
  unsubscribe(uri: string): Promise<void>;
  /** The 2026-07-28 listen stream a resource hook is called for; undefined elsewhere. */
  readonly listen?: ListenTarget;
  /** The request's tracing; set by the transport only when telemetry is on. */
  trace?: RequestTrace;
  /**
   * True when this 2026-07-28 run asked the client for input it has not
   * given yet: its answer will be `input_required` (read by the audit record).
   */
  readonly inputPending?: boolean;
}

/**
 * The `ctx` argument of tool handlers, resource readers, prompt handlers and
 * completers.
 *
 * @example
 * ```ts
 * import { defineTool, type HandlerContext } from "@tether/mcp";
 * async function work(ctx: HandlerContext): Promise<string> {
 *   await ctx.progress(1, 2, "halfway");
 *   return ctx.principal.id;
 * }
 * export const whoami = defineTool({ name: "whoami", handler: (_input, ctx) => work(ctx) });
 * ```
 */
export interface HandlerContext {
  /**
   * Aborts when the client cancels, the session ends, the server closes,
   * the client's connection has been gone for `orphanTimeoutMs` without a
   * resume (reason `"abandoned"`), or the event log fails under the call's
   * stream (reason `"storage-unavailable"`). Pass it to fetch, timers, DB calls.
   */
  readonly signal: AbortSignal;
  /** The authenticated caller. */
  readonly principal: Principal;
  /** Session-scoped state; undefined for stateless requests. */
  readonly session?: SessionState;
  /** The 2026-07-28 listen stream a resource's subscribe hook is for (tell it alone of updates). */
  readonly listen?: ListenTarget;
  /** The JSON-RPC id of the request being handled. */
  readonly requestId: RequestId;
  /**
   * The OpenTelemetry context this handler runs in (its span is a child of
   * the request's SERVER span): pass it on to outgoing calls, e.g.
   * `propagation.inject(ctx.traceContext, headers)`, or
   * `context.with(ctx.traceContext, fn)`. It is also the active context
   * while the handler runs when an async context manager is registered.
   * Undefined when no tracer or meter provider is registered.
   */
  readonly traceContext: TraceContext | undefined;
  /** The negotiated protocol version. */
  readonly protocolVersion: string;
  /**
   * Capabilities the client declared: read them, never change them (a 2025
   * session held in memory shares one frozen copy with every session whose
   * client declared the same).
   */
  readonly clientCapabilities: ClientCapabilities;
  /** The client's implementation info, when known (shared and frozen likewise). */
  readonly clientInfo?: Implementation;
  /**
   * Sends `notifications/message` to the client, unless `level` is below the
   * session's `logging/setLevel` threshold. On a 2025 session's stream it
   * resolves once queued (in order; at most 64 wait), not once written.
   */
  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void>;
  /**
   * Sends `notifications/progress` when the request carried a progress token
   * (otherwise does nothing). `progress` must increase with every call. On a
   * 2025 session's stream it resolves once queued (in order; at most 64
   * wait), not once written.
   */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /**
   * Asks the user for input (`elicitation/create`), in form mode or, with
   * `mode: "url"`, URL mode. Rejects when the client did not declare
   * elicitation (or its `url` mode for a URL-mode request), on timeout, or
   * when the request is cancelled. A Standard Schema `requestedSchema` is
   * sent as its JSON Schema and types the answer's `content`, which it
   * validates: an accepted answer that fails it rejects.
   */
  elicit<S extends ElicitSchema = Record<string, unknown>>(
    params: ElicitParams<S>,
    options?: OutboundRequestOptions,
  ): Promise<ElicitResult<ElicitContent<S>>>;
  /**
   * Tells the client that the out-of-band step of a URL-mode elicitation
   * has been completed (`notifications/elicitation/complete`), on this
   * request's stream, so it may retry what waited for it. Only the
   * 2025-11-25 revision has this notification: for earlier revisions and
   * for 2026-07-28 (where the client learns by retrying) it sends nothing
   * and resolves.
   */
  elicitationComplete(elicitationId: string): Promise<void>;
  /** Asks the client's model for a completion (`sampling/createMessage`). Same failure rules as `elicit`. */
  sample(
    params: Record<string, unknown>,
    options?: OutboundRequestOptions,
  ): Promise<Record<string, unknown>>;
  /** Asks the client for its roots (`roots/list`). Same failure rules as `elicit`. */
  listRoots(options?: OutboundRequestOptions): Promise<{ roots: { uri: string; name?: string }[] }>;
  /**
   * Ends this request's SSE connection now; the work goes on, its events are
   * kept, and the client resumes with GET + Last-Event-ID (polling).
   */
  closeStream(): void;
}

/**
 * Parameters of an `elicitation/create` request: form mode (`requestedSchema`)
 * or URL mode (`mode: "url"`, `url`, and on 2025-11-25 `elicitationId`).
 *
 * @example
 * ```ts
 * import type { ElicitParams } from "@tether/mcp/types";
 * const ask: ElicitParams = {
 *   message: "Which region?",
 *   requestedSchema: { type: "object", properties: { region: { type: "string" } }, required: ["region"] },
 * };
 * ```
 */
export interface ElicitParams<S extends ElicitSchema = Record<string, unknown>> {
  /** The question shown to the user. */
  message: string;
  /**
   * Form mode: a flat JSON Schema object describing the requested fields, or
   * a Standard Schema of that object (zod, Valibot, ArkType, ...).
   */
  requestedSchema?: S;
  /** Other request fields (mode, url, ...). */
  [key: string]: unknown;
}

/**
 * What `ctx.elicit` takes as `requestedSchema`: raw JSON Schema or a Standard Schema.
 *
 * @example
 * ```ts
 * import type { ElicitSchema } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schemas: ElicitSchema[] = [{ type: "object", properties: {} }, z.object({ ok: z.boolean() })];
 * ```
 */
export type ElicitSchema = Record<string, unknown> | StandardSchemaV1;

/**
 * The content type of an accepted answer to `requestedSchema` `S`.
 *
 * @example
 * ```ts
 * import type { ElicitContent } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schema = z.object({ region: z.string() });
 * const content: ElicitContent<typeof schema> = { region: "eu" };
 * ```
 */
export type ElicitContent<S> = S extends StandardSchemaV1 ? StandardOutput<S>
  : Record<string, unknown>;

/**
 * The client's answer to an elicitation.
 *
 * @example
 * ```ts
 * import type { ElicitResult } from "@tether/mcp/types";
 * const answer = (result: ElicitResult): string => result.action === "accept" ? String(result.content?.region) : "none";
 * ```
 */
export interface ElicitResult<T = Record<string, unknown>> {
  /** What the user did. */
  action: "accept" | "decline" | "cancel";
  /** The submitted fields, when accepted. */
  content?: T;
  /** Other result fields. */
  [key: string]: unknown;
}
