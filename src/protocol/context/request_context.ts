/**
 * The per-request context. The transport builds a {@linkcode RequestContext}
 * for each JSON-RPC request (the dispatcher never sees session ids or HTTP);
 * the dispatcher turns it into the {@linkcode HandlerContext} that tools,
 * resource readers and prompts receive as `ctx`. Who is calling lives in
 * `principal.ts`, re-exported here; the session's state is
 * session_state.ts, the request's tracing request_trace.ts and the shapes
 * of `ctx.elicit` elicitation.ts.
 * @module
 */

import type { JsonRpcNotification, RequestId } from "../../jsonrpc/messages.ts";
import type { LoggingLevel } from "./logging.ts";
import type { Principal } from "./principal.ts";
import type { ListenTarget } from "./listen_target.ts";
import type { SessionState } from "./session_state.ts";
import type { RequestTrace, TraceContext } from "./request_trace.ts";
import type { ElicitContent, ElicitParams, ElicitResult, ElicitSchema } from "./elicitation.ts";
import type { ClientCapabilities, Implementation } from "../types.ts";

export { ANONYMOUS_PRINCIPAL, isAnonymous, ownerKeyOf, type Principal } from "./principal.ts";
export type { ListenTarget } from "./listen_target.ts";

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
