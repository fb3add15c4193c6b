/**
 * The telemetry of one JSON-RPC request: its SERVER span named and
 * attributed per the MCP semantic conventions (`{mcp.method.name} {target}`),
 * a child span for the tool, prompt or resource handler's run (active while
 * it runs, so the handler's own outgoing calls are its children), a CLIENT
 * span per server→client request of a session (events on the span in
 * 2026-07-28, where they become `input_required` rounds), and the
 * `mcp.server.operation.duration` measurement. Built only when a tracer or
 * meter provider is registered (telemetry.ts decides).
 * @module
 */

import {
  type Attributes,
  type Context,
  context,
  type Histogram,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
  type UpDownCounter,
} from "@opentelemetry/api";
import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type { JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import type { RequestTrace } from "../protocol/context.ts";
import { ATTR, CANCELLED, EVENT, TOOL_ERROR } from "./conventions.ts";
import { parentOf } from "./trace_parent.ts";

/** The instruments requests record to. */
export interface RequestInstruments {
  operationDuration: Histogram;
  activeRequests: UpDownCounter;
}

/** Where a request is served. */
export interface RequestScope {
  tracer: Tracer | undefined;
  instruments: RequestInstruments | undefined;
  /** The POST's HTTP context (its trace headers over the active context). */
  http: Context;
  protocolVersion: string;
  /** The session, in the sessionful revisions (set later for `initialize`). */
  sessionId?: string;
  /** True in 2026-07-28, where server→client requests are input requests of the answer. */
  modern: boolean;
}

/** The span name's target and its attributes, for the methods that name one. */
function targetOf(request: JsonRpcRequest, attributes: Attributes): string | undefined {
  const params = request.params;
  switch (request.method) {
    case "tools/call":
      if (typeof params?.name !== "string") return undefined;
      attributes[ATTR.toolName] = params.name;
      attributes[ATTR.operation] = "execute_tool";
      return params.name;
    case "prompts/get":
      if (typeof params?.name !== "string") return undefined;
      attributes[ATTR.promptName] = params.name;
      return params.name;
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
      // Not in the span name: URIs are of high cardinality.
      if (typeof params?.uri === "string") attributes[ATTR.resourceUri] = params.uri;
      return undefined;
    default:
      return undefined;
  }
}

/** `error.type` of a thrown error: `timeout`, its JSON-RPC code, else its class name. */
function errorTypeOf(error: unknown): string {
  if (error instanceof McpError) {
    const reason = (error.data as { reason?: unknown } | undefined)?.reason;
    return reason === "timeout" ? "timeout" : String(error.code);
  }
  return error instanceof Error && error.name !== "" ? error.name : "_OTHER";
}

function fail(span: Span, type: string, message: string | undefined): void {
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

const RUN_SPAN = { tool: "execute_tool", prompt: "get_prompt", resource: "read_resource" } as const;

/** One request's spans and measurements. */
export class RequestTelemetry implements RequestTrace {
  /** The SERVER span's context (the parent's when there is no tracer). */
  readonly context: Context;
  readonly #scope: RequestScope;
  readonly #span: Span | undefined;
  readonly #started = performance.now();
  /** The low-cardinality attributes shared by the span and the duration metric. */
  readonly #common: Attributes;

  constructor(scope: RequestScope, request: JsonRpcRequest) {
    this.#scope = scope;
    const common: Attributes = { [ATTR.method]: request.method };
    // `initialize` knows its version only once negotiated (see `end`).
    if (scope.protocolVersion !== "") common[ATTR.protocolVersion] = scope.protocolVersion;
    common[ATTR.networkTransport] = "tcp";
    common[ATTR.networkProtocol] = "http";
    const target = targetOf(request, common);
    this.#common = common;
    scope.instruments?.activeRequests.add(1, { [ATTR.method]: request.method });
    const { parent, links } = parentOf(request, scope.http);
    if (scope.tracer === undefined) {
      this.context = parent;
      this.#span = undefined;
      return;
    }
    const attributes: Attributes = { ...common, [ATTR.requestId]: String(request.id) };
    if (scope.sessionId !== undefined) attributes[ATTR.sessionId] = scope.sessionId;
    this.#span = scope.tracer.startSpan(
      target === undefined ? request.method : `${request.method} ${target}`,
      { kind: SpanKind.SERVER, attributes, links },
      parent,
    );
    this.context = trace.setSpan(parent, this.#span);
  }

  /** Runs a handler in a child span, active while it runs (with an async context manager). */
  run<T>(
    kind: "tool" | "prompt" | "resource",
    name: string,
    run: (context: Context) => Promise<T>,
  ): Promise<T> {
    const tracer = this.#scope.tracer;
    if (tracer === undefined) return context.with(this.context, run, undefined, this.context);
    const attributes: Attributes = kind === "tool"
      ? { [ATTR.toolName]: name, [ATTR.operation]: "execute_tool" }
      : kind === "prompt"
      ? { [ATTR.promptName]: name }
      : { [ATTR.resourceUri]: name };
    // Resource URIs stay out of span names (high cardinality).
    const span = tracer.startSpan(
      kind === "resource" ? RUN_SPAN.resource : `${RUN_SPAN[kind]} ${name}`,
      { kind: SpanKind.INTERNAL, attributes },
      this.context,
    );
    const inner = trace.setSpan(this.context, span);
    return context.with(inner, run, undefined, inner).then(
      (result) => {
        if (kind === "tool" && (result as { isError?: unknown })?.isError === true) {
          fail(span, TOOL_ERROR, undefined);
        }
        span.end();
        return result;
      },
      (error: unknown) => {
        if (error instanceof Error) span.recordException(error);
        fail(span, errorTypeOf(error), error instanceof Error ? error.message : undefined);
        span.end();
        throw error;
      },
    );
  }

  /**
   * A server→client request: in a session a CLIENT span for the round trip;
   * in 2026-07-28 an event on the SERVER span (answered already, or to be
   * asked in the `input_required` answer).
   */
  outbound<T>(method: string, parent: Context, send: () => Promise<T>): Promise<T> {
    const tracer = this.#scope.tracer;
    if (tracer === undefined) return send();
    if (this.#scope.modern) {
      const record = (answered: boolean) =>
        this.#span?.addEvent(EVENT.inputRequest, {
          [ATTR.method]: method,
          [ATTR.inputAnswered]: answered,
        });
      return send().then((result) => {
        record(true);
        return result;
      }, (error: unknown) => {
        record(false);
        throw error;
      });
    }
    const attributes: Attributes = {
      [ATTR.method]: method,
      [ATTR.protocolVersion]: this.#scope.protocolVersion,
    };
    if (this.#scope.sessionId !== undefined) attributes[ATTR.sessionId] = this.#scope.sessionId;
    const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, parent);
    return send().then((result) => {
      span.end();
      return result;
    }, (error: unknown) => {
      fail(span, errorTypeOf(error), error instanceof Error ? error.message : undefined);
      span.end();
      throw error;
    });
  }

  /**
   * The request was answered with `response` (undefined: it never was, e.g.
   * cancelled); `initialize` names the session and version it negotiated.
   */
  end(response: JsonRpcResponse | undefined, sessionId?: string, protocolVersion?: string): void {
    const attributes = this.#common;
    const span = this.#span;
    if (sessionId !== undefined) span?.setAttribute(ATTR.sessionId, sessionId);
    if (protocolVersion !== undefined) {
      attributes[ATTR.protocolVersion] = protocolVersion;
      span?.setAttribute(ATTR.protocolVersion, protocolVersion);
    }
    if (response === undefined) {
      attributes[ATTR.errorType] = CANCELLED;
      if (span !== undefined) fail(span, CANCELLED, "The request was not answered");
    } else if ("error" in response) {
      const code = String(response.error.code);
      attributes[ATTR.errorType] = code;
      attributes[ATTR.statusCode] = code;
      if (span !== undefined) {
        span.setAttribute(ATTR.statusCode, code);
        fail(span, code, response.error.message);
      }
    } else if (response.result.isError === true && attributes[ATTR.toolName] !== undefined) {
      attributes[ATTR.errorType] = TOOL_ERROR;
      if (span !== undefined) fail(span, TOOL_ERROR, undefined);
    } else if (response.result.resultType === "input_required") {
      span?.addEvent(EVENT.inputRequired, {
        [ATTR.inputRequests]: Object.keys(response.result.inputRequests ?? {}).length,
      });
    }
    span?.end();
    const instruments = this.#scope.instruments;
    if (instruments !== undefined) {
      instruments.operationDuration.record((performance.now() - this.#started) / 1000, attributes);
      instruments.activeRequests.add(-1, { [ATTR.method]: attributes[ATTR.method] });
    }
  }

  /** The run failed outright (the eras answer -32603 then): recorded as that. */
  failed(error: unknown): void {
    if (error instanceof Error) this.#span?.recordException(error);
    this.end({
      jsonrpc: "2.0",
      id: null,
      error: { code: ErrorCode.InternalError, message: "Internal error" },
    });
  }
}
