/**
 * Builds the `ctx` that user handlers receive from the transport's
 * {@linkcode RequestContext}: progress with its monotonicity rule, logging
 * with the session's threshold, and the fail-closed server→client requests.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import {
  isPlainObject,
  type JsonRpcRequest,
  type RequestId,
  serializedNotification,
} from "../../jsonrpc/messages.ts";
import { isModernProtocolVersion } from "../eras.ts";
import { elicitWithSchema } from "./elicit_schema.ts";
import { isStandardSchema } from "../schema/standard_schema.ts";
import type { LoggingLevel } from "./logging.ts";
import type {
  HandlerContext,
  ListenTarget,
  OutboundRequestOptions,
  Principal,
  RequestContext,
} from "./request_context.ts";
import type { ElicitContent, ElicitParams, ElicitResult, ElicitSchema } from "./elicitation.ts";
import type { SessionState } from "./session_state.ts";
import type { TraceContext } from "./request_trace.ts";
import type { ClientCapabilities, Implementation } from "../types.ts";
import { isLoggingLevel, passesThreshold } from "./logging.ts";

/**
 * The server→client requests a handler can make, each with the client
 * capability it needs (declared at `initialize`, or per request in
 * 2026-07-28): both eras refuse one the client did not declare.
 */
export const CAPABILITY_OF: Readonly<Record<string, "elicitation" | "sampling" | "roots">> = {
  "elicitation/create": "elicitation",
  "sampling/createMessage": "sampling",
  "roots/list": "roots",
};

/**
 * The capabilities a server→client request of `method` with `params` needs
 * and `capabilities` lack (an elicitation in URL mode needs
 * `elicitation.url`, one in form mode `elicitation` bare or with `form`; a
 * sampling request with tools needs `sampling.tools`); undefined when they
 * are declared.
 */
export function missingCapability(
  capabilities: ClientCapabilities,
  method: string,
  params: Record<string, unknown>,
): ClientCapabilities | undefined {
  const kind = CAPABILITY_OF[method];
  if (kind === undefined) return undefined;
  const declared: unknown = capabilities[kind];
  if (kind === "elicitation") {
    const modes = isPlainObject(declared) ? declared : undefined;
    const url = params.mode === "url";
    const bare = modes !== undefined && !Object.hasOwn(modes, "form") &&
      !Object.hasOwn(modes, "url");
    const ok = modes !== undefined &&
      (url ? Object.hasOwn(modes, "url") : bare || Object.hasOwn(modes, "form"));
    return ok ? undefined : { elicitation: url ? { url: {} } : {} };
  }
  if (kind === "sampling" && params.tools !== undefined) {
    return isPlainObject(declared) && isPlainObject(declared.tools)
      ? undefined
      : { sampling: { tools: {} } };
  }
  return isPlainObject(declared) ? undefined : { [kind]: {} };
}

/** The revision that introduced URL-mode elicitation and its completion notification. */
const URL_ELICITATION_VERSION = "2025-11-25";

function progressTokenOf(request: JsonRpcRequest): string | number | undefined {
  const meta = request.params?._meta;
  // An own property only: a token inherited through a `__proto__` key was never size-checked.
  if (typeof meta !== "object" || meta === null || !Object.hasOwn(meta, "progressToken")) {
    return undefined;
  }
  const token = (meta as Record<string, unknown>).progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}

/**
 * Creates the handler context for one request; `traceContext` is the
 * handler's span context when a run is traced (else the request's, if any).
 */
export function createHandlerContext(
  ctx: RequestContext,
  request: JsonRpcRequest,
  traceContext?: TraceContext,
): HandlerContext {
  return new RequestHandlerContext(ctx, request, traceContext);
}

/** One request's `ctx`: a class, so a call allocates one object rather than a closure per method. */
class RequestHandlerContext implements HandlerContext {
  #ctx: RequestContext;
  #request: JsonRpcRequest;
  #lastProgress = -Infinity;
  /** The request's progress token, looked up at the first progress call (null until then). */
  #progressToken: string | number | undefined | null = null;
  /** The start of this request's progress notifications' JSON, up to the progress value. */
  #progressHead: string | undefined;
  /** The end of the last one's JSON after the progress value, and the total it was made for. */
  #progressTail: string | undefined;
  #progressTotal: number | undefined;
  #traceContext: TraceContext | undefined;

  constructor(
    ctx: RequestContext,
    request: JsonRpcRequest,
    traceContext: TraceContext | undefined,
  ) {
    this.#ctx = ctx;
    this.#request = request;
    this.#traceContext = traceContext;
  }

  get signal(): AbortSignal {
    return this.#ctx.signal;
  }

  get principal(): Principal {
    return this.#ctx.principal;
  }

  get session(): SessionState | undefined {
    return this.#ctx.session;
  }

  get listen(): ListenTarget | undefined {
    return this.#ctx.listen;
  }

  get requestId(): RequestId {
    return this.#request.id;
  }

  get protocolVersion(): string {
    return this.#ctx.protocolVersion;
  }

  get traceContext(): TraceContext | undefined {
    return this.#traceContext ?? this.#ctx.trace?.context;
  }

  get clientCapabilities(): ClientCapabilities {
    return this.#ctx.clientCapabilities;
  }

  get clientInfo(): Implementation | undefined {
    return this.#ctx.clientInfo;
  }

  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
    if (!isLoggingLevel(level)) {
      return Promise.reject(new TypeError(`Unknown logging level: ${String(level)}`));
    }
    if (!passesThreshold(level, this.#ctx.logLevel)) return Promise.resolve();
    const params: Record<string, unknown> = { level, data };
    if (logger !== undefined) params.logger = logger;
    return this.#ctx.notify({ jsonrpc: "2.0", method: "notifications/message", params });
  }

  progress(progress: number, total?: number, message?: string): Promise<void> {
    if (typeof progress !== "number" || Number.isNaN(progress)) {
      return Promise.reject(new TypeError(`progress must be a number, got ${String(progress)}`));
    }
    if (progress <= this.#lastProgress) {
      return Promise.reject(
        new RangeError(
          `progress must increase with every call: ${progress} after ${this.#lastProgress}`,
        ),
      );
    }
    this.#lastProgress = progress;
    let progressToken = this.#progressToken;
    if (progressToken === null) {
      progressToken = this.#progressToken = progressTokenOf(this.#request);
    }
    if (progressToken === undefined) return Promise.resolve();
    // Made with all their properties at once: none is added to an object later.
    const params: Record<string, unknown> = total === undefined
      ? { progressToken, progress }
      : { progressToken, progress, total };
    if (message !== undefined) params.message = message;
    // The usual shape is encoded here, by hand: most of a progress event's cost otherwise.
    if (
      Number.isFinite(progress) && (total === undefined || Number.isFinite(total)) &&
      (message === undefined || typeof message === "string")
    ) {
      // What comes before the progress value is the same for every call of a request.
      const head = this.#progressHead ??=
        `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${
          JSON.stringify(progressToken)
        },"progress":`;
      if (total !== this.#progressTotal || this.#progressTail === undefined) {
        this.#progressTotal = total;
        this.#progressTail = total === undefined ? "}}" : `,"total":${total}}}`;
      }
      const json = message === undefined
        ? `${head}${progress}${this.#progressTail}`
        : `${head}${progress}${this.#progressTail.slice(0, -2)},"message":${
          JSON.stringify(message)
        }}}`;
      return this.#ctx.notify(serializedNotification("notifications/progress", params, json));
    }
    return this.#ctx.notify({ jsonrpc: "2.0", method: "notifications/progress", params });
  }

  elicit<S extends ElicitSchema = Record<string, unknown>>(
    params: ElicitParams<S>,
    options?: OutboundRequestOptions,
  ): Promise<ElicitResult<ElicitContent<S>>> {
    if (!isStandardSchema(params?.requestedSchema)) {
      return this.#outbound("elicitation/create", params, options) as Promise<
        ElicitResult<ElicitContent<S>>
      >;
    }
    return elicitWithSchema(
      params as ElicitParams,
      (sent) => this.#outbound("elicitation/create", sent, options),
    ) as Promise<ElicitResult<ElicitContent<S>>>;
  }

  elicitationComplete(elicitationId: string): Promise<void> {
    if (typeof elicitationId !== "string" || elicitationId === "") {
      return Promise.reject(new TypeError("elicitationComplete needs a non-empty elicitationId"));
    }
    const version = this.#ctx.protocolVersion;
    // Introduced in 2025-11-25 and removed in 2026-07-28: nothing to send to any other revision.
    if (version < URL_ELICITATION_VERSION || isModernProtocolVersion(version)) {
      return Promise.resolve();
    }
    return this.#ctx.notify({
      jsonrpc: "2.0",
      method: "notifications/elicitation/complete",
      params: { elicitationId },
    });
  }

  sample(
    params: Record<string, unknown>,
    options?: OutboundRequestOptions,
  ): Promise<Record<string, unknown>> {
    return this.#outbound("sampling/createMessage", params, options);
  }

  listRoots(
    options?: OutboundRequestOptions,
  ): Promise<{ roots: { uri: string; name?: string }[] }> {
    return this.#outbound("roots/list", {}, options) as Promise<
      { roots: { uri: string; name?: string }[] }
    >;
  }

  closeStream(): void {
    this.#ctx.closeStream?.();
  }

  /** The transport checks the client's capabilities: each era fails differently when one is missing. */
  #outbound(
    method: string,
    params: Record<string, unknown>,
    options?: OutboundRequestOptions,
  ): Promise<Record<string, unknown>> {
    const ctx = this.#ctx;
    if (ctx.request === undefined) {
      return Promise.reject(
        new McpError(ErrorCode.RequestFailed, `${method} cannot be sent on this transport`),
      );
    }
    const trace = ctx.trace;
    if (trace === undefined) return ctx.request(method, params, options);
    const send = ctx.request.bind(ctx);
    return trace.outbound(
      method,
      this.traceContext!,
      (identify) => send(method, params, options, identify),
    );
  }
}
