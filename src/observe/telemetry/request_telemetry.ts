/**
 * The telemetry of one JSON-RPC request: its SERVER span named and
 * attributed per the MCP semantic conventions (`{mcp.method.name} {target}`),
 * a child span for the tool, prompt or resource handler's run (active while
 * it runs, so the handler's own outgoing calls are its children), a CLIENT
 * span per server→client request of a session (events on the span in
 * 2026-07-28, where they become `input_required` rounds), and the
 * `mcp.server.operation.duration` measurement. Built only when a tracer or
 * meter provider is registered (telemetry.ts decides).
 *
 * A client's names never become span names or metric attributes: methods,
 * tools, prompts and resources the server does not define are `_OTHER`
 * (known_names.ts), a resource read is measured by its template; the values
 * that are the client's own (a concrete resource URI, the request id) go on
 * spans only, cut to 256 bytes like every other value (bounded_values.ts).
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
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { JsonRpcRequest, JsonRpcResponse, RequestId } from "../../jsonrpc/messages.ts";
import type { RequestTrace } from "../../protocol/context/request_trace.ts";
import { MAX_STACK_BYTES, truncateUtf8 } from "./bounded_values.ts";
import { ATTR, CANCELLED, EVENT, TOOL_ERROR } from "./conventions.ts";
import type { KnownNames } from "./known_names.ts";
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
  /** What the server defines: a client's other names are recorded as `_OTHER`. */
  names: KnownNames;
  /** The POST's HTTP context (its trace headers over the active context). */
  http: Context;
  protocolVersion: string;
  /** The session, in the sessionful revisions (set later for `initialize`). */
  sessionId?: string;
  /** True in 2026-07-28, where server→client requests are input requests of the answer. */
  modern: boolean;
}

/**
 * The span name's target and its attributes (known names only), for the
 * methods that name one.
 */
function targetOf(
  request: JsonRpcRequest,
  names: KnownNames,
  attributes: Attributes,
): string | undefined {
  const params = request.params;
  switch (request.method) {
    case "tools/call": {
      if (typeof params?.name !== "string") return undefined;
      const name = names.tool(params.name);
      attributes[ATTR.toolName] = name;
      attributes[ATTR.operation] = "execute_tool";
      return name;
    }
    case "prompts/get": {
      if (typeof params?.name !== "string") return undefined;
      const name = names.prompt(params.name);
      attributes[ATTR.promptName] = name;
      return name;
    }
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
      // Measured by what serves it (the template): the span gets the concrete URI. Never in the span name.
      if (typeof params?.uri === "string") {
        attributes[ATTR.resourceUri] = names.resource(params.uri);
      }
      return undefined;
    default:
      return undefined;
  }
}

/** `error.type` of a thrown error: `timeout`, its JSON-RPC code, else its class name. */
function errorTypeOf(error: unknown): string {
  if (error instanceof McpError) {
    const reason = (error.data as { reason?: unknown } | undefined)?.reason;
    return reason === "timeout" ? "timeout" : truncateUtf8(String(error.code));
  }
  return error instanceof Error && error.name !== "" ? truncateUtf8(error.name) : "_OTHER";
}

function fail(span: Span, type: string, message: string | undefined): void {
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: message === undefined ? undefined : truncateUtf8(message),
  });
}

/**
 * `span.recordException` with bounded values: the conventions' `exception`
 * event, its message cut like any value and its stack trace to 4 KiB (a
 * handler's error may repeat what the client sent).
 */
function recordException(span: Span | undefined, error: unknown): void {
  if (span === undefined || !(error instanceof Error)) return;
  const attributes: Attributes = {
    "exception.type": truncateUtf8(error.name),
    "exception.message": truncateUtf8(error.message),
  };
  if (typeof error.stack === "string") {
    attributes["exception.stacktrace"] = truncateUtf8(error.stack, MAX_STACK_BYTES);
  }
  span.addEvent("exception", attributes);
}

/** Where no span takes the id of a server→client request. */
const ignoreId = (_id: RequestId): void => {};

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
    const method = scope.names.method(request.method);
    const common: Attributes = { [ATTR.method]: method };
    // `initialize` knows its version only once negotiated (see `end`).
    if (scope.protocolVersion !== "") {
      common[ATTR.protocolVersion] = truncateUtf8(scope.protocolVersion);
    }
    common[ATTR.networkTransport] = "tcp";
    common[ATTR.networkProtocol] = "http";
    const target = targetOf(request, scope.names, common);
    this.#common = common;
    scope.instruments?.activeRequests.add(1, { [ATTR.method]: method });
    const { parent, links } = parentOf(request, scope.http);
    if (scope.tracer === undefined) {
      this.context = parent;
      this.#span = undefined;
      return;
    }
    const attributes: Attributes = {
      ...common,
      [ATTR.requestId]: truncateUtf8(String(request.id)),
    };
    // The span's own: the concrete URI the client read (bounded), not what serves it.
    const uri = request.params?.uri;
    if (common[ATTR.resourceUri] !== undefined && typeof uri === "string") {
      attributes[ATTR.resourceUri] = truncateUtf8(uri);
    }
    if (scope.sessionId !== undefined) attributes[ATTR.sessionId] = truncateUtf8(scope.sessionId);
    this.#span = scope.tracer.startSpan(
      target === undefined ? method : `${method} ${target}`,
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
    const names = this.#scope.names;
    // Resource URIs stay out of span names (high cardinality); on the span, bounded.
    const known = kind === "tool" ? names.tool(name) : kind === "prompt" ? names.prompt(name) : "";
    const attributes: Attributes = kind === "tool"
      ? { [ATTR.toolName]: known, [ATTR.operation]: "execute_tool" }
      : kind === "prompt"
      ? { [ATTR.promptName]: known }
      : { [ATTR.resourceUri]: truncateUtf8(name) };
    const span = tracer.startSpan(
      kind === "resource" ? RUN_SPAN.resource : `${RUN_SPAN[kind]} ${known}`,
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
        recordException(span, error);
        fail(span, errorTypeOf(error), error instanceof Error ? error.message : undefined);
        span.end();
        throw error;
      },
    );
  }

  /**
   * A server→client request: in a session a CLIENT span for the round trip
   * (with the `jsonrpc.request.id` it was sent under);
   * in 2026-07-28 an event on the SERVER span (answered already, or to be
   * asked in the `input_required` answer).
   */
  outbound<T>(
    method: string,
    parent: Context,
    send: (identify: (id: RequestId) => void) => Promise<T>,
  ): Promise<T> {
    const tracer = this.#scope.tracer;
    if (tracer === undefined) return send(ignoreId);
    // The server's code chose it; bounded all the same.
    const name = truncateUtf8(method);
    if (this.#scope.modern) {
      const record = (answered: boolean) =>
        this.#span?.addEvent(EVENT.inputRequest, {
          [ATTR.method]: name,
          [ATTR.inputAnswered]: answered,
        });
      return send(ignoreId).then((result) => {
        record(true);
        return result;
      }, (error: unknown) => {
        record(false);
        throw error;
      });
    }
    const attributes: Attributes = {
      [ATTR.method]: name,
      [ATTR.protocolVersion]: truncateUtf8(this.#scope.protocolVersion),
    };
    if (this.#scope.sessionId !== undefined) {
      attributes[ATTR.sessionId] = truncateUtf8(this.#scope.sessionId);
    }
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    // The id this server chose (bounded all the same), once the transport chose it.
    const identify = (id: RequestId) => span.setAttribute(ATTR.requestId, truncateUtf8(String(id)));
    return send(identify).then((result) => {
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
    if (sessionId !== undefined) span?.setAttribute(ATTR.sessionId, truncateUtf8(sessionId));
    if (protocolVersion !== undefined) {
      const version = truncateUtf8(protocolVersion);
      attributes[ATTR.protocolVersion] = version;
      span?.setAttribute(ATTR.protocolVersion, version);
    }
    if (response === undefined) {
      attributes[ATTR.errorType] = CANCELLED;
      if (span !== undefined) fail(span, CANCELLED, "The request was not answered");
    } else if ("error" in response) {
      const code = truncateUtf8(String(response.error.code));
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
    recordException(this.#span, error);
    this.end({
      jsonrpc: "2.0",
      id: null,
      error: { code: ErrorCode.InternalError, message: "Internal error" },
    });
  }
}
