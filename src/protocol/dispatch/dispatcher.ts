/**
 * The MCP dispatcher: routes a JSON-RPC request to its method in one table
 * and turns every outcome into a JSON-RPC response. It knows the protocol
 * and nothing of HTTP or sessions: everything per-request arrives in a
 * {@linkcode RequestContext}. The core's methods and the capabilities they
 * advertise are core_methods.ts (`initialize`'s result initialize.ts,
 * completion completion.ts, a tool's run tool_calls.ts); here the table
 * gains the extensions' methods and the view's forms, and a running
 * request's continuation is src/protocol/run_end.ts. It never throws. A
 * method only the 2026-07-28 era serves is answered here when the
 * definitions answer it (`discover`, for `server/discover`), in
 * src/modern/ when it needs the transport (`subscriptions/listen`), or by an
 * extension that names its eras.
 * @module
 */

import { echoInput } from "../../jsonrpc/echo.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { markUnavailable, ServiceUnavailableError } from "../../jsonrpc/unavailable_answer.ts";
import {
  errorResponse,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../../jsonrpc/messages.ts";
import type { RequestContext } from "../context/request_context.ts";
import type {
  AnyPromptDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from "../definitions/definitions.ts";
import {
  checkExtensions,
  type Extension,
  type ExtensionNotificationContext,
  missingExtension,
  negotiated,
  servedIn,
  withTemplatesOf,
} from "../definitions/extensions.ts";
import { type AnswerFailure, respondFailure, type RunEnd, ToolRunEnd } from "../run_end.ts";
import { PromptRegistry } from "../registries/prompts.ts";
import { ResourceRegistry } from "../registries/resources.ts";
import { type ToolDefinitions, ToolRegistry } from "../registries/tools.ts";
import { isPromiseLike, type MaybePromise } from "../maybe_async.ts";
import type { Implementation } from "../types.ts";
import { capabilitiesIn } from "./initialize.ts";
import { coreMethods, groupCapabilities, servedGroups } from "./core_methods.ts";
import { AUDITED_METHODS, type AuditSink } from "./audit.ts";
import { auditedAnswer } from "./audited_call.ts";
import { type MethodHandler, type ViewedLookups, viewMethods } from "./viewed_methods.ts";
import type { ViewOf } from "../definitions/views.ts";

/** What the dispatcher serves: server identity and definitions. */
export interface ServerDefinition extends ToolDefinitions {
  /** Server name and version (plus optional title, websiteUrl, icons). */
  info: Implementation;
  /** Guidance for the model on how to use this server. */
  instructions?: string;
  /** Fixed resources; present (or templates present) means resources are advertised. */
  resources?: readonly ResourceDefinition[];
  /** Resource templates. */
  resourceTemplates?: readonly ResourceTemplateDefinition[];
  /** Prompts; present means the prompts capability is advertised. */
  prompts?: readonly AnyPromptDefinition[];
  /** Extensions: their `capabilities.extensions` entries, methods, notifications and tools/call steps. */
  extensions?: readonly Extension[];
  /** Items per page of the list methods. */
  pageSize: number;
  /** Longest resource URI accepted by read, subscribe, unsubscribe and completion refs, UTF-8 bytes. */
  maxUriBytes: number;
  /** Told about unexpected errors (a bug in a handler, a failing store). */
  onError: (error: unknown) => void;
  /** Where audited calls are reported (src/protocol/dispatch/audit.ts); none: no audit. */
  audit?: AuditSink;
  /** Each principal's view of the entries (viewed_methods.ts); none: every entry as defined. */
  view?: ViewOf;
}

const EMPTY_PARAMS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Routes JSON-RPC requests to the MCP method implementations. */
export class Dispatcher {
  /** The tool registry (add/remove tools at runtime). */
  readonly tools: ToolRegistry;
  /** The resource registry. */
  readonly resources: ResourceRegistry;
  /** The prompt registry. */
  readonly prompts: PromptRegistry;
  /** The capabilities advertised in every InitializeResult. */
  readonly capabilities: Record<string, unknown>;
  /** The capabilities advertised by `server/discover` (2026-07-28: only the extensions served there). */
  readonly modernCapabilities: Record<string, unknown>;
  /** The extensions, in the order given. */
  readonly extensions: readonly Extension[];
  /**
   * True when an extension puts a step around `tools/call`: a call's params
   * and request then reach extension code. Without one, the core reads only
   * a call's `name`, `arguments` and `_meta.progressToken`.
   */
  readonly wrapsToolCalls: boolean;
  readonly #definition: ServerDefinition;
  readonly #methods: Map<string, MethodHandler>;
  /** The extension of each extension method, for the era and negotiation checks. */
  readonly #extensionOf = new Map<string, Extension>();

  /** Builds the registries (validating every definition) and the method table. */
  constructor(definition: ServerDefinition) {
    this.#definition = definition;
    this.tools = new ToolRegistry(definition.tools, definition.jsonSchemaValidator);
    const resourceTemplates = withTemplatesOf(definition.extensions, definition.resourceTemplates);
    this.resources = new ResourceRegistry(definition.resources, resourceTemplates);
    this.prompts = new PromptRegistry(definition.prompts);
    const groups = servedGroups(definition, resourceTemplates);
    const capabilities = groupCapabilities(groups);
    const extensions = this.extensions = definition.extensions ?? [];
    const steps = extensions.filter((extension) => extension.aroundToolCall !== undefined);
    this.wrapsToolCalls = steps.length > 0;
    this.modernCapabilities = capabilitiesIn(capabilities, extensions, "modern");
    this.capabilities = capabilitiesIn(capabilities, extensions, "legacy");

    const methods = coreMethods(groups, {
      ...{ tools: this.tools, resources: this.resources, prompts: this.prompts },
      ...{ capabilities: this.capabilities, toolCallSteps: steps, settings: definition },
    });
    const { view, pageSize, maxUriBytes } = definition;
    this.viewed = view === undefined ? undefined : viewMethods(methods, {
      ...{ tools: this.tools, prompts: this.prompts, resources: this.resources },
      ...{ view, pageSize, maxUriBytes },
    });
    checkExtensions(extensions, (method) => methods.has(method));
    for (const extension of extensions) extension.attach?.({ onError: definition.onError });
    for (const extension of extensions) {
      for (const [name, method] of Object.entries(extension.methods ?? {})) {
        this.#extensionOf.set(name, extension);
        methods.set(name, (params, ctx, request) => {
          if (method.requiresNegotiation && !negotiated(ctx.clientCapabilities, extension.id)) {
            throw missingExtension(extension.id);
          }
          return method.handle(params, ctx, request);
        });
      }
    }
    this.#methods = methods;
  }

  /** With a view: who sees which tool and resource, for the steps outside the methods. */
  readonly viewed: ViewedLookups | undefined;

  /** The param an extension method is routed by (`Mcp-Name`), if it names one. */
  nameParamOf(method: string): string | undefined {
    return this.#extensionOf.get(method)?.methods?.[method]?.nameParam;
  }

  /**
   * Hands a client notification to the extension that handles it, if one is
   * served in `ctx`'s era. Never throws: a handler's failure goes to `onError`.
   */
  async receiveNotification(
    method: string,
    params: Record<string, unknown> | undefined,
    ctx: ExtensionNotificationContext,
  ): Promise<void> {
    for (const extension of this.extensions) {
      const handle = extension.notifications?.[method];
      if (handle === undefined || !servedIn(extension, ctx.protocolVersion)) continue;
      try {
        await handle(params ?? {}, ctx);
      } catch (error) {
        this.#definition.onError(error);
      }
    }
  }

  /** True when `method` is in the table; with `protocolVersion`, an extension's only in its eras. */
  serves(method: string, protocolVersion?: string): boolean {
    const extension = this.#extensionOf.get(method);
    if (extension !== undefined && protocolVersion !== undefined) {
      return servedIn(extension, protocolVersion, method);
    }
    return this.#methods.has(method);
  }

  /** The body of a `server/discover` result: versions, capabilities and instructions (era encoding aside). */
  discover(supportedVersions: readonly string[]): Record<string, unknown> {
    const result: Record<string, unknown> = {
      supportedVersions: [...supportedVersions],
      capabilities: this.modernCapabilities,
    };
    if (this.#definition.instructions !== undefined) {
      result.instructions = this.#definition.instructions;
    }
    return result;
  }

  /**
   * Handles one request and returns its response: at once when its method
   * answers synchronously (a synchronous tool), else a promise of it. Unknown
   * methods get -32601; {@linkcode McpError}s keep their code; anything else
   * thrown is reported to `onError` and answered with a generic -32603.
   * Never throws, and its promise never rejects. With `end`, a method still
   * running hands its response to `end` and the promise is what that returns.
   */
  handle<T = JsonRpcResponse>(
    request: JsonRpcRequest,
    ctx: RequestContext,
    end?: RunEnd<T>,
  ): JsonRpcResponse | Promise<T> {
    const audit = this.#definition.audit;
    if (audit !== undefined && AUDITED_METHODS.has(request.method) && audit.active()) {
      return auditedAnswer(audit, this, request, ctx, end, (r, c) => this.#answer(r, c));
    }
    return this.#answer(request, ctx, end);
  }

  /** {@linkcode Dispatcher.handle}, unaudited. */
  #answer<T>(
    request: JsonRpcRequest,
    ctx: RequestContext,
    end?: RunEnd<T>,
  ): JsonRpcResponse | Promise<T> {
    const extension = this.#extensionOf.get(request.method);
    const method = extension !== undefined &&
        !servedIn(extension, ctx.protocolVersion, request.method)
      ? undefined
      : this.#methods.get(request.method);
    if (method === undefined) {
      return errorResponse(
        request.id,
        ErrorCode.MethodNotFound,
        `Method not found: ${echoInput(request.method)}`,
      );
    }
    let result: MaybePromise<Record<string, unknown>>;
    // A running tool's result goes to `end` from the tool's own promise: one `then` for the call.
    const then = end !== undefined && request.method === "tools/call"
      ? new ToolRunEnd(request.id, end, this.#answerFailure)
      : undefined;
    try {
      result = method(request.params ?? EMPTY_PARAMS, ctx, request, then);
    } catch (error) {
      return this.#failed(request.id, error);
    }
    if (!isPromiseLike(result)) return resultResponse(request.id, result);
    if (then?.taken) return result as unknown as Promise<T>;
    if (end !== undefined) {
      return result.then(
        (value) => end.responded(resultResponse(request.id, value)),
        (error) => respondFailure(end, this.#answerFailure, request.id, error),
      );
    }
    return result.then(
      (value) => resultResponse(request.id, value),
      (error) => this.#failed(request.id, error),
    ) as Promise<T>; // T is JsonRpcResponse without `end`
  }

  /** {@linkcode Dispatcher.#failed}, for a running method's continuation. */
  readonly #answerFailure: AnswerFailure = (id, error) => this.#failed(id, error);

  /** A method's throw as its response; anything but an {@linkcode McpError} also goes to `onError`. */
  #failed(id: JsonRpcRequest["id"], error: unknown): JsonRpcResponse {
    if (error instanceof ServiceUnavailableError) { // answered alone: 503 (unavailable_answer.ts)
      return markUnavailable(errorResponse(id, error.code, error.message), error.retryAfterSeconds);
    }
    if (error instanceof McpError) return errorResponse(id, error.code, error.message, error.data);
    this.#definition.onError(error);
    return errorResponse(id, ErrorCode.InternalError, "Internal error");
  }

  /**
   * Closes the extensions in order (at shutdown); one that throws is
   * reported to `onError` and the others are still closed.
   */
  async closeExtensions(onError: (error: unknown) => void): Promise<void> {
    for (const extension of this.extensions) {
      try {
        await extension.close?.();
      } catch (error) {
        onError(error);
      }
    }
  }
}
