/**
 * The tool registry: validates definitions at startup, converts schemas once,
 * serves `tools/list` from a cached array and runs `tools/call` (input
 * validation, error-to-result mapping, output schema enforcement).
 * @module
 */

import { echoInput } from "../jsonrpc/echo.ts";
import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import { isPlainObject } from "../jsonrpc/messages.ts";
import type { HandlerContext } from "./context.ts";
import { isDeferredResult } from "./deferred_result.ts";
import type { AnyToolDefinition, ToolReturn } from "./definitions.ts";
import { advertisedSchema, type JsonSchema, validateWithSchema } from "./schema.ts";
import type { CallToolResult } from "./types.ts";
import { type HeaderParameter, scanHeaderParameters } from "./header_parameters.ts";

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const EMPTY_OBJECT_SCHEMA: JsonSchema = Object.freeze({
  type: "object",
  properties: {},
}) as JsonSchema;

interface CompiledTool {
  definition: AnyToolDefinition;
  listing: Record<string, unknown>;
  /** The 2026-07-28 listing: without `execution`, a field that revision deleted. */
  modernListing: Record<string, unknown>;
  /** Input properties routed as `Mcp-Param-*` headers (2026-07-28), checked at registration. */
  headerParameters: readonly HeaderParameter[];
}

function compileTool(definition: AnyToolDefinition): CompiledTool {
  if (typeof definition.name !== "string" || !TOOL_NAME.test(definition.name)) {
    throw new TypeError(
      `Invalid tool name ${JSON.stringify(definition.name)}: use 1-128 of [A-Za-z0-9_.-]`,
    );
  }
  if (typeof definition.handler !== "function") {
    throw new TypeError(`Tool "${definition.name}" has no handler function`);
  }
  const inputSchema = definition.input === undefined
    ? EMPTY_OBJECT_SCHEMA
    : advertisedSchema(definition.input, "input");
  if (inputSchema.type !== "object") {
    throw new TypeError(
      `Tool "${definition.name}": input schema must describe an object (type "object")`,
    );
  }
  let listing: Record<string, unknown> = { name: definition.name };
  if (definition.title !== undefined) listing.title = definition.title;
  if (definition.description !== undefined) listing.description = definition.description;
  listing.inputSchema = inputSchema;
  if (definition.output !== undefined) {
    const outputSchema = advertisedSchema(definition.output, "output");
    if (outputSchema.type !== "object") {
      throw new TypeError(
        `Tool "${definition.name}": output schema must describe an object (type "object")`,
      );
    }
    listing.outputSchema = outputSchema;
  }
  if (definition.annotations !== undefined) listing.annotations = definition.annotations;
  if (definition._meta !== undefined) listing._meta = definition._meta;
  const modernListing = listing;
  const taskSupport = taskSupportOf(definition);
  if (taskSupport !== undefined) {
    listing = { ...listing, execution: { taskSupport } };
  }
  let headerParameters: readonly HeaderParameter[];
  try {
    headerParameters = scanHeaderParameters(inputSchema);
  } catch (error) {
    throw new TypeError(`Tool "${definition.name}": ${errorMessage(error)}`);
  }
  return { definition, listing, modernListing, headerParameters };
}

/** A tool's declared task support (`task`), checked. */
function taskSupportOf(definition: AnyToolDefinition): "optional" | "required" | undefined {
  const task = definition.task;
  if (task === undefined) return undefined;
  const support = typeof task === "string" ? task : task?.support;
  if (support !== "optional" && support !== "required") {
    throw new TypeError(
      `Tool "${definition.name}": task must be "optional" or "required" (or { support, start })`,
    );
  }
  return support;
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Called when a definition set changes at runtime.
 *
 * @example
 * ```ts
 * import type { ChangeListener } from "@tether/mcp";
 * const onChange: ChangeListener = () => console.log("the tool list changed");
 * ```
 */
export type ChangeListener = () => void;

/**
 * The server's tools. Definitions are checked when added: a bad name, a
 * duplicate, or a non-object schema throws at startup, not at call time.
 *
 * @example
 * ```ts
 * import { createMcpHandler, defineTool, type ToolRegistry } from "@tether/mcp";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
 * const tools: ToolRegistry = handler.tools;
 * tools.add(defineTool({ name: "late", handler: () => "added at runtime" })); // listeners get tools/list_changed
 * ```
 */
export class ToolRegistry {
  #tools = new Map<string, CompiledTool>();
  #listing: Record<string, unknown>[] | undefined;
  #modernListing: Record<string, unknown>[] | undefined;
  #onChange: ChangeListener | undefined;

  /** Creates a registry from definitions. */
  constructor(definitions: readonly AnyToolDefinition[] = []) {
    for (const definition of definitions) this.#add(definition);
  }

  /** Registers the listener told about runtime changes (the transport's list_changed broadcast). */
  onChange(listener: ChangeListener): void {
    this.#onChange = listener;
  }

  #add(definition: AnyToolDefinition): void {
    const compiled = compileTool(definition);
    if (this.#tools.has(definition.name)) {
      throw new TypeError(`Duplicate tool name: ${definition.name}`);
    }
    this.#tools.set(definition.name, compiled);
    this.#listing = this.#modernListing = undefined;
  }

  /** Adds a tool at runtime. */
  add(definition: AnyToolDefinition): void {
    this.#add(definition);
    this.#onChange?.();
  }

  /** Removes a tool at runtime; true when it existed. */
  remove(name: string): boolean {
    const removed = this.#tools.delete(name);
    if (removed) {
      this.#listing = this.#modernListing = undefined;
      this.#onChange?.();
    }
    return removed;
  }

  /** The `x-mcp-header` parameters of a tool; undefined for an unknown tool. */
  headerParameters(name: string): readonly HeaderParameter[] | undefined {
    return this.#tools.get(name)?.headerParameters;
  }

  /** A tool's definition; undefined for an unknown name. */
  definition(name: string): AnyToolDefinition | undefined {
    return this.#tools.get(name)?.definition;
  }

  /** The `tools/list` entries, in definition order (`modern`: as 2026-07-28 lists them). */
  list(modern = false): readonly Record<string, unknown>[] {
    if (modern) {
      return this.#modernListing ??= [...this.#tools.values()].map((tool) => tool.modernListing);
    }
    return this.#listing ??= [...this.#tools.values()].map((tool) => tool.listing);
  }

  /**
   * Runs `tools/call`. Unknown tool and non-object arguments are protocol
   * errors (-32602); everything that goes wrong inside the tool is a result
   * with `isError: true`.
   */
  async call(params: Record<string, unknown>, ctx: HandlerContext): Promise<CallToolResult> {
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
    const { definition } = tool;
    let input: unknown = args;
    if (definition.input !== undefined) {
      const checked = validateWithSchema(definition.input, args);
      if (!checked.ok) return errorResult(`Invalid arguments for tool ${name}: ${checked.message}`);
      input = checked.value;
    }
    let output: ToolReturn;
    try {
      const returned = definition.handler(input, ctx);
      // A synchronous tool's value is taken as it is: no extra turn of the microtask queue.
      output = isThenable(returned) ? await returned : returned;
    } catch (error) {
      return errorResult(errorMessage(error));
    }
    // An extension completes it (e.g. a task the handler started); extensions.ts.
    if (isDeferredResult(output)) return output as unknown as CallToolResult;
    const result: CallToolResult = typeof output === "string"
      ? { content: [{ type: "text", text: output }] }
      : output;
    if (typeof result !== "object" || result === null || !Array.isArray(result.content)) {
      return errorResult(
        `Tool ${name} returned an invalid result (expected a string or { content: [...] })`,
      );
    }
    if (definition.output !== undefined && result.isError !== true) {
      return this.#checkStructured(name, definition, result);
    }
    return result;
  }

  #checkStructured(
    name: string,
    definition: AnyToolDefinition,
    result: CallToolResult,
  ): CallToolResult {
    if (result.structuredContent === undefined) {
      return errorResult(
        `Tool ${name} declares an output schema but returned no structuredContent`,
      );
    }
    const checked = validateWithSchema(definition.output!, result.structuredContent);
    if (!checked.ok) {
      return errorResult(
        `Tool ${name} returned structuredContent that fails its schema: ${checked.message}`,
      );
    }
    if (result.content.length === 0) {
      return {
        ...result,
        content: [{ type: "text", text: JSON.stringify(result.structuredContent) }],
      };
    }
    return result;
  }
}

function isThenable(value: unknown): value is PromiseLike<ToolReturn> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
