/**
 * The tool registry: holds the tools checked at registration
 * (compiled_tool.ts), serves `tools/list` from a cached array per era and
 * takes `tools/call` to its tool (-32602 for an unknown tool or non-object
 * arguments). Running the tool is tool_invocation.ts's job; shaping what it
 * returns, tool_result.ts's.
 * @module
 */

import { echoInput } from "../../jsonrpc/echo.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { HandlerContext } from "../context/request_context.ts";
import type { AnyToolDefinition } from "../definitions/definitions.ts";
import { isModernProtocolVersion } from "../eras.ts";
import { cfworkerValidator, type JsonSchemaValidator } from "../schema/json_schema_validator.ts";
import type { CallToolResult } from "../types.ts";
import type { ToolRunEnd } from "../run_end.ts";
import type { HeaderParameter } from "../schema/header_parameters.ts";
import { NO_SCOPES } from "../definitions/scopes.ts";
import { settled } from "../maybe_async.ts";
import { type CompiledTool, compileTool } from "./compiled_tool.ts";
import { declaresScopes, swapped } from "./registry_swap.ts";
import { invokeTool } from "./tool_invocation.ts";

/** The tools part of a server's definition. */
export interface ToolDefinitions {
  /** Tools; present (even empty) means the tools capability is advertised. */
  tools?: readonly AnyToolDefinition[];
  /** Compiles the tools' raw JSON Schemas; default @cfworker/json-schema. */
  jsonSchemaValidator?: JsonSchemaValidator;
}

/**
 * Called when a definition set changes at runtime.
 *
 * @example
 * ```ts
 * import type { ChangeListener } from "@tether/mcp/types";
 * const onChange: ChangeListener = () => console.log("the tool list changed");
 * ```
 */
export type ChangeListener = () => void;

/** {@linkcode runTool}'s way into the registry (set by its static block). */
let runWithEnd: (
  registry: ToolRegistry,
  params: Record<string, unknown>,
  ctx: HandlerContext,
  then: ToolRunEnd<unknown> | undefined,
) => CallToolResult | Promise<CallToolResult>;

/**
 * {@linkcode ToolRegistry.run} for the dispatcher: a tool still running
 * settles in `then` (its own promise's continuation, src/protocol/run_end.ts),
 * not in a promise of its own. Not part of the public surface (the registry's
 * methods are).
 *
 * @example
 * ```ts ignore (internal: needs the dispatcher's request, context and answer path)
 * const result = runTool(tools, params, ctx, new ToolRunEnd(id, end, answer));
 * ```
 */
export function runTool(
  registry: ToolRegistry,
  params: Record<string, unknown>,
  ctx: HandlerContext,
  then: ToolRunEnd<unknown> | undefined,
): CallToolResult | Promise<CallToolResult> {
  return runWithEnd(registry, params, ctx, then);
}

/**
 * The server's tools. Definitions are checked when added: a bad name, a
 * duplicate, or a non-object schema throws at startup, not at call time.
 *
 * @example
 * ```ts
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import type { ToolRegistry } from "@tether/mcp/types";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
 * const tools: ToolRegistry = handler.tools;
 * tools.add(defineTool({ name: "late", handler: () => "added at runtime" })); // listeners get tools/list_changed
 * ```
 */
export class ToolRegistry {
  #scoped = false;
  #tools = new Map<string, CompiledTool>();
  #listing: Record<string, unknown>[] | undefined;
  #legacyListing: Record<string, unknown>[] | undefined;
  #onChange: ChangeListener | undefined;
  readonly #validator: JsonSchemaValidator;

  /**
   * Creates a registry from definitions; raw JSON Schemas are compiled by
   * `validator` (default: @cfworker/json-schema).
   */
  constructor(
    definitions: readonly AnyToolDefinition[] = [],
    validator: JsonSchemaValidator = cfworkerValidator,
  ) {
    this.#validator = validator;
    for (const definition of definitions) this.#add(definition);
  }

  /** Registers the listener told about runtime changes (the transport's list_changed broadcast). */
  onChange(listener: ChangeListener): void {
    this.#onChange = listener;
  }

  #add(definition: AnyToolDefinition, into: Map<string, CompiledTool> = this.#tools): void {
    const compiled = compileTool(definition, this.#validator);
    if (into.has(definition.name)) {
      throw new TypeError(`Duplicate tool name: ${definition.name}`);
    }
    into.set(definition.name, compiled);
    if (into === this.#tools) this.#scoped ||= declaresScopes(definition);
    this.#listing = undefined;
    this.#legacyListing = undefined;
  }

  /** Adds a tool at runtime. */
  add(definition: AnyToolDefinition): void {
    this.#add(definition);
    this.#onChange?.();
  }

  /**
   * Removes the tools `remove` names and adds `add` as one change, heard once:
   * all is checked first, so a throw (bad or duplicate) changes nothing.
   *
   * @example
   * ```ts
   * import { createMcpHandler, defineTool } from "@tether/mcp";
   * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
   * handler.tools.replace([], [defineTool({ name: "a", handler: () => "a" })]);
   * ```
   */
  replace(remove: Iterable<string>, add: readonly AnyToolDefinition[]): void {
    const next = swapped(this.#tools, remove, (into) => add.forEach((d) => this.#add(d, into)));
    if (next === undefined) return;
    this.#tools = next;
    this.#scoped ||= add.some(declaresScopes);
    this.#listing = undefined;
    this.#legacyListing = undefined;
    this.#onChange?.();
  }

  /** Removes a tool at runtime; true when it existed. */
  remove(name: string): boolean {
    const removed = this.#tools.delete(name);
    if (removed) {
      this.#listing = undefined;
      this.#legacyListing = undefined;
      this.#onChange?.();
    }
    return removed;
  }

  /** The `x-mcp-header` parameters of a tool; undefined for an unknown tool. */
  headerParameters(name: string): readonly HeaderParameter[] | undefined {
    return this.#tools.get(name)?.headerParameters;
  }

  /** True once a definition that declares scopes was added: until then no call needs checking. */
  get scoped(): boolean {
    return this.#scoped;
  }

  /** The scopes calling a tool needs (none for an unknown tool: its call fails anyway). */
  scopes(name: unknown): readonly string[] {
    return (typeof name === "string" ? this.#tools.get(name)?.definition.scopes : undefined) ??
      NO_SCOPES;
  }

  /** A tool's definition; undefined for an unknown name. */
  definition(name: string): AnyToolDefinition | undefined {
    return this.#tools.get(name)?.definition;
  }

  /**
   * The `tools/list` entries, in definition order, as `protocolVersion`
   * shows them (default: the latest revision): before 2026-07-28 a tool's
   * output schema is listed only when it describes an object.
   */
  list(protocolVersion?: string): readonly Record<string, unknown>[] {
    if (protocolVersion !== undefined && !isModernProtocolVersion(protocolVersion)) {
      return this.#legacyListing ??= [...this.#tools.values()].map((tool) => tool.legacyListing);
    }
    return this.#listing ??= [...this.#tools.values()].map((tool) => tool.listing);
  }

  /**
   * Runs `tools/call`. Unknown tool and non-object arguments are protocol
   * errors (-32602); everything that goes wrong inside the tool is a result
   * with `isError: true`.
   */
  call(params: Record<string, unknown>, ctx: HandlerContext): Promise<CallToolResult> {
    return settled(() => this.run(params, ctx));
  }

  /**
   * {@linkcode ToolRegistry.call}, with a synchronous tool's result returned
   * as it is rather than in a promise, so a caller that checks can go on in
   * the same turn (each promise and turn between the tool and the answer
   * costs as much as a check on the way). A protocol error is thrown, not
   * rejected, when the tool has not started.
   *
   * @example
   * ```ts ignore (internal: needs a request's params and context)
   * const result = tools.run(params, ctx);
   * const answer = isPromiseLike(result) ? await result : result;
   * ```
   */
  run(
    params: Record<string, unknown>,
    ctx: HandlerContext,
  ): CallToolResult | Promise<CallToolResult> {
    return this.#run(params, ctx, undefined);
  }

  static {
    runWithEnd = (registry, params, ctx, then) => registry.#run(params, ctx, then);
  }

  /** {@linkcode ToolRegistry.run}; a tool still running settles in `then` (see {@linkcode runTool}). */
  #run(
    params: Record<string, unknown>,
    ctx: HandlerContext,
    then: ToolRunEnd<unknown> | undefined,
  ): CallToolResult | Promise<CallToolResult> {
    const name = params.name;
    if (typeof name !== "string") {
      throw new McpError(ErrorCode.InvalidParams, "tools/call requires a string name");
    }
    const tool = this.#tools.get(name);
    if (tool === undefined) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${echoInput(name)}`);
    }
    const args = params.arguments ?? {};
    if (!isPlainObject(args)) {
      throw new McpError(ErrorCode.InvalidParams, "tools/call arguments must be an object");
    }
    return invokeTool(tool, args, ctx, then);
  }
}
