/**
 * The extension surface: how an extension (tasks, MCP Apps, skills, your own)
 * declares itself under `capabilities.extensions` and adds request methods,
 * client notifications, resource templates and a step around `tools/call`, in the eras it names,
 * without patching the core. The dispatcher applies them; this module only
 * holds the shapes and the negotiation check. It does not give extensions
 * the transport: they see what every method sees, the
 * {@linkcode RequestContext}.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject, type JsonRpcRequest } from "../../jsonrpc/messages.ts";
import type { Principal, RequestContext } from "../context/request_context.ts";
import type { AnyToolDefinition, ResourceTemplateDefinition } from "./definitions.ts";
import { isModernProtocolVersion, type ProtocolEra } from "../eras.ts";
import type { ClientCapabilities } from "../types.ts";

export { type DeferredResult, deferResult, isDeferredResult } from "./deferred_result.ts";

/**
 * A request method an extension serves. Its result goes on the wire as it is
 * (in 2026-07-28 with `resultType: "complete"` and the server's `_meta`);
 * throw an `McpError` for a JSON-RPC error.
 *
 * @example
 * ```ts
 * import type { ExtensionMethod } from "@tether/mcp/extensions";
 * const echo: ExtensionMethod = { handle: (params) => ({ echoed: params.text ?? null }) };
 * ```
 */
export interface ExtensionMethod {
  /** Answers one request. */
  handle(
    params: Record<string, unknown>,
    ctx: RequestContext,
    request: JsonRpcRequest,
  ): Promise<Record<string, unknown>> | Record<string, unknown>;
  /**
   * The string param that 2026-07-28 routes by: it must equal the `Mcp-Name`
   * header (as `name` does for `tools/call`). Default: none.
   */
  nameParam?: string;
  /**
   * The eras the method exists in, within the extension's own.
   * @default the extension's eras
   */
  eras?: readonly ProtocolEra[];
  /**
   * Answer `-32021` (naming this extension in `data.requiredCapabilities`)
   * when the client did not declare the extension. Default false.
   * @default false
   */
  requiresNegotiation?: boolean;
}

/**
 * What a client notification handler of an extension receives besides the params.
 *
 * @example
 * ```ts
 * import type { ExtensionNotificationContext } from "@tether/mcp/extensions";
 * const who = (ctx: ExtensionNotificationContext): string => ctx.principal.id;
 * ```
 */
export interface ExtensionNotificationContext {
  /** The caller. */
  principal: Principal;
  /** The request's protocol version (the session's, in the sessionful era). */
  protocolVersion: string;
}

/**
 * One `tools/call` as an extension's {@linkcode Extension.aroundToolCall} sees it.
 *
 * @example
 * ```ts
 * import type { ToolCall } from "@tether/mcp/extensions";
 * const nameOf = (call: ToolCall): string => call.tool?.name ?? "(unknown)";
 * ```
 */
export interface ToolCall {
  /** The request's params (`name`, `arguments`, ...). */
  params: Record<string, unknown>;
  /** The called tool's definition; undefined for an unknown name (running it answers -32602). */
  tool: AnyToolDefinition | undefined;
  /** The request's context. */
  ctx: RequestContext;
  /** The JSON-RPC request. */
  request: JsonRpcRequest;
  /**
   * Runs the call (validation, the handler, result checks) with `ctx`
   * (default: the request's): an extension may run it with a context of its
   * own, later, elsewhere (a task). Its value may be a deferred result
   * ({@linkcode isDeferredResult}) that only an extension completes.
   */
  run(ctx?: RequestContext): Promise<Record<string, unknown>>;
}

/**
 * An extension: its entry in `capabilities.extensions` and what it adds.
 *
 * @example A tiny extension with one method, in both eras
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import type { Extension } from "@tether/mcp/extensions";
 * const clock: Extension = {
 *   id: "com.example/clock",
 *   methods: { "clock/now": { handle: () => ({ now: new Date(0).toISOString() }) } },
 * };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", extensions: [clock] });
 * ```
 */
export interface Extension {
  /** The extension identifier, `vendor-prefix/name` (e.g. `io.modelcontextprotocol/tasks`). */
  id: string;
  /**
   * The settings advertised under `capabilities.extensions[id]`.
   * @default {}
   */
  settings?: Record<string, unknown>;
  /**
   * The eras it is served in: its entry, methods and notifications exist only there.
   * @default ["legacy", "modern"]
   */
  eras?: readonly ProtocolEra[];
  /**
   * Capabilities it adds beside `extensions` in the sessionful era (a
   * revision that predates extensions may know the feature by another name).
   */
  legacyCapabilities?: Record<string, unknown>;
  /**
   * Resource templates it serves (after the handler's own), in every era;
   * giving one declares the `resources` capability.
   */
  resourceTemplates?: readonly ResourceTemplateDefinition[];
  /** Request methods it serves, by name. A name the core already serves is refused at startup. */
  methods?: Readonly<Record<string, ExtensionMethod>>;
  /** Client notifications it handles, by method. Errors go to `onError`; the POST still answers 202. */
  notifications?: Readonly<
    Record<
      string,
      (params: Record<string, unknown>, ctx: ExtensionNotificationContext) => void | Promise<void>
    >
  >;
  /**
   * A step around every `tools/call` (in the order the extensions are
   * given): return `call.run()` to pass, or answer otherwise.
   */
  aroundToolCall?(call: ToolCall): Promise<Record<string, unknown>>;
  /** Called once when the handler is built: what the extension may use of it. */
  attach?(host: ExtensionHost): void;
  /** Called by `handler.close()`: stop what runs in the background. */
  close?(): Promise<void> | void;
}

/**
 * What an extension gets of the handler it is attached to.
 *
 * @example
 * ```ts
 * import type { ExtensionHost } from "@tether/mcp/extensions";
 * const report = (host: ExtensionHost) => host.onError(new Error("lost"));
 * ```
 */
export interface ExtensionHost {
  /** The handler's `onError`. */
  onError(error: unknown): void;
}

/** The era of a protocol version. */
export function eraOf(protocolVersion: string): ProtocolEra {
  return isModernProtocolVersion(protocolVersion) ? "modern" : "legacy";
}

/** True when an extension (and, if named, its `method`) is served in the era of `protocolVersion`. */
export function servedIn(extension: Extension, protocolVersion: string, method?: string): boolean {
  const era = eraOf(protocolVersion);
  if (!(extension.eras ?? ["legacy", "modern"]).includes(era)) return false;
  const eras = method === undefined ? undefined : extension.methods?.[method]?.eras;
  return eras === undefined || eras.includes(era);
}

/**
 * True when the client declared extension `id` (at `initialize`, or in this
 * 2026-07-28 request's `_meta` capabilities).
 *
 * @example
 * ```ts
 * import { negotiated } from "@tether/mcp/extensions";
 * negotiated({ extensions: { "io.modelcontextprotocol/tasks": {} } }, "io.modelcontextprotocol/tasks"); // true
 * ```
 */
export function negotiated(capabilities: ClientCapabilities, id: string): boolean {
  const extensions = capabilities.extensions;
  return isPlainObject(extensions) && Object.hasOwn(extensions, id) &&
    isPlainObject(extensions[id]);
}

/**
 * The `-32021` error for a request that needs extension `id` the client did not declare.
 *
 * @example
 * ```ts
 * import { missingExtension } from "@tether/mcp/extensions";
 * const error = missingExtension("io.modelcontextprotocol/tasks");
 * console.log(error.code); // -32021
 * ```
 */
export function missingExtension(id: string): McpError {
  return new McpError(
    ErrorCode.MissingRequiredClientCapability,
    `This request needs the ${id} extension, which the client did not declare`,
    { requiredCapabilities: { extensions: { [id]: {} } } },
  );
}

/** Checks a list of extensions at startup: ids unique and well-formed, method names not the core's. */
export function checkExtensions(
  extensions: readonly Extension[],
  coreServes: (method: string) => boolean,
): void {
  const ids = new Set<string>();
  const methods = new Set<string>();
  for (const extension of extensions) {
    if (
      typeof extension.id !== "string" || !/^[A-Za-z0-9.-]+\/[A-Za-z0-9._-]+$/.test(extension.id)
    ) {
      throw new TypeError(`Invalid extension id ${JSON.stringify(extension.id)}: use prefix/name`);
    }
    if (ids.has(extension.id)) throw new TypeError(`Duplicate extension: ${extension.id}`);
    ids.add(extension.id);
    for (const method of Object.keys(extension.methods ?? {})) {
      if (coreServes(method) || methods.has(method)) {
        throw new TypeError(`Extension ${extension.id}: method ${method} is already served`);
      }
      methods.add(method);
    }
  }
}

/** The handler's resource templates, then its extensions' (undefined when there are none). */
export function withTemplatesOf(
  extensions: readonly Extension[] | undefined,
  own: readonly ResourceTemplateDefinition[] | undefined,
): readonly ResourceTemplateDefinition[] | undefined {
  const added = (extensions ?? []).flatMap((extension) => extension.resourceTemplates ?? []);
  return added.length === 0 ? own : [...(own ?? []), ...added];
}
