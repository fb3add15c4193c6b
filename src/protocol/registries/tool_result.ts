/**
 * A tool's return value as its `tools/call` result: a string becomes text
 * content, a value not shaped as a result becomes an `isError` result, and
 * `structuredContent` is checked against the output schema (and left out
 * before 2026-07-28 when that schema is not an object's). It calls no tool
 * and maps no throw (tool_invocation.ts does).
 * @module
 */

import { isDeferredResult } from "../definitions/deferred_result.ts";
import type { ToolReturn } from "../definitions/definitions.ts";
import { isModernProtocolVersion } from "../eras.ts";
import type { HandlerContext } from "../context/request_context.ts";
import type { ValidationResult } from "../schema/schema.ts";
import type { CallToolResult } from "../types.ts";
import { isPromiseLike } from "../maybe_async.ts";
import type { CompiledTool } from "./compiled_tool.ts";

/**
 * A result with `isError` that carries `message` as its text.
 *
 * @example
 * ```ts ignore (internal: the tool call path's own refusals)
 * return errorResult(`Invalid arguments for tool ${name}: ${checked.message}`);
 * ```
 */
export function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/**
 * A tool's return value as its result: a text, or a result checked against
 * the output schema (in the same turn when that schema checks synchronously).
 *
 * @example
 * ```ts ignore (internal: needs a compiled tool and a request's context)
 * const result = toolResult(tool, tool.definition.handler(input, ctx), ctx);
 * ```
 */
export function toolResult(
  tool: CompiledTool,
  output: ToolReturn,
  ctx: HandlerContext,
): CallToolResult | Promise<CallToolResult> {
  const { definition } = tool;
  const name = definition.name;
  // An extension completes it (e.g. a task the handler started);
  // src/protocol/definitions/extensions.ts.
  if (isDeferredResult(output)) return output as unknown as CallToolResult;
  const result: CallToolResult = typeof output === "string"
    ? { content: [{ type: "text", text: output }] }
    : output;
  if (typeof result !== "object" || result === null || !Array.isArray(result.content)) {
    return errorResult(
      `Tool ${name} returned an invalid result (expected a string or { content: [...] })`,
    );
  }
  if (tool.output === undefined || result.isError === true) return result;
  if (result.structuredContent === undefined) {
    return errorResult(
      `Tool ${name} declares an output schema but returned no structuredContent`,
    );
  }
  const checked = tool.output.validate(result.structuredContent);
  if (!isPromiseLike(checked)) return checkedOutput(tool, result, checked, ctx);
  return checked.then((outcome) => checkedOutput(tool, result, outcome, ctx));
}

function checkedOutput(
  tool: CompiledTool,
  result: CallToolResult,
  checked: ValidationResult,
  ctx: HandlerContext,
): CallToolResult {
  const checkedResult = structured(tool.definition.name, result, checked);
  if (tool.objectOutput || checkedResult.isError === true) return checkedResult;
  if (isModernProtocolVersion(ctx.protocolVersion)) return checkedResult;
  // The revisions before 2026-07-28 allow only an object here; the text content carries the value.
  const { structuredContent: _, ...rest } = checkedResult;
  return rest;
}

function structured(
  name: string,
  result: CallToolResult,
  checked: ValidationResult,
): CallToolResult {
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
