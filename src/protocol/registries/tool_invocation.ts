/**
 * One `tools/call` run on the tool the registry found: its arguments checked
 * against its input schema, its handler called, and a throw turned into a
 * result with `isError` (but for the errors the eras answer). A synchronous
 * tool's result comes back in the same turn. It finds no tool and checks no
 * request params (tools.ts does); shaping the return value is tool_result.ts's.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { HandlerContext } from "../context/request_context.ts";
import { UrlElicitationRequiredError } from "../context/url_elicitation.ts";
import type { ToolReturn } from "../definitions/definitions.ts";
import type { ValidationResult } from "../schema/schema.ts";
import type { CallToolResult } from "../types.ts";
import type { ToolRunEnd } from "../run_end.ts";
import { isPromiseLike } from "../maybe_async.ts";
import type { CompiledTool } from "./compiled_tool.ts";
import { errorResult, toolResult } from "./tool_result.ts";

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `tool` on `args` (an object): input validation, the handler, its
 * result. A tool still running settles in `then` when given (tools.ts's
 * `runTool` gives it), else in a promise of its own.
 *
 * @example
 * ```ts ignore (internal: needs a compiled tool and a request's context)
 * const result = invokeTool(tool, args, ctx, undefined);
 * const answer = isPromiseLike(result) ? await result : result;
 * ```
 */
export function invokeTool(
  tool: CompiledTool,
  args: Record<string, unknown>,
  ctx: HandlerContext,
  then: ToolRunEnd<unknown> | undefined,
): CallToolResult | Promise<CallToolResult> {
  if (tool.input === undefined) return invoke(tool, args, ctx, then);
  const checked = tool.input.validate(args);
  // A synchronous schema (the usual case) keeps a synchronous tool in the same turn.
  if (!isPromiseLike(checked)) return checkedInput(tool, checked, ctx, then);
  return checked.then((outcome) => checkedInput(tool, outcome, ctx));
}

function checkedInput(
  tool: CompiledTool,
  checked: ValidationResult,
  ctx: HandlerContext,
  then?: ToolRunEnd<unknown>,
): CallToolResult | Promise<CallToolResult> {
  if (!checked.ok) {
    return errorResult(
      `Invalid arguments for tool ${tool.definition.name}: ${checked.message}`,
    );
  }
  return invoke(tool, checked.value, ctx, then);
}

function invoke(
  tool: CompiledTool,
  input: unknown,
  ctx: HandlerContext,
  then?: ToolRunEnd<unknown>,
): CallToolResult | Promise<CallToolResult> {
  const { definition } = tool;
  let returned: ToolReturn | PromiseLike<ToolReturn>;
  try {
    returned = definition.handler(input, ctx);
  } catch (error) {
    return resultOfThrow(error);
  }
  // A synchronous tool's value is taken as it is: no turn of the microtask queue.
  if (!isPromiseLike(returned)) return toolResult(tool, returned, ctx);
  if (then !== undefined) return runOn(tool, returned, ctx, then);
  return Promise.resolve(returned).then(
    (output) => toolResult(tool, output, ctx),
    (error) => resultOfThrow(error),
  );
}

/**
 * A tool still running, continued in `then` from its own promise: the
 * promise settles as `then` does (what the caller asked for, not a result;
 * `then.taken` tells it), so a call held open keeps one `then` (issue 46).
 */
function runOn(
  tool: CompiledTool,
  returned: PromiseLike<ToolReturn>,
  ctx: HandlerContext,
  then: ToolRunEnd<unknown>,
): Promise<CallToolResult> {
  then.taken = true;
  return Promise.resolve(returned).then(
    (output) => {
      let result: CallToolResult | Promise<CallToolResult>;
      try {
        result = toolResult(tool, output, ctx);
      } catch (error) {
        return then.failure(error);
      }
      return then.result(result);
    },
    (error) => {
      let result: CallToolResult;
      try {
        result = resultOfThrow(error);
      } catch (thrown) {
        return then.failure(thrown);
      }
      return then.result(result);
    },
  ) as Promise<never>;
}

/** What a tool's throw becomes: a result with `isError`, but for the ones the eras answer. */
function resultOfThrow(error: unknown): CallToolResult {
  // The errors that are the protocol's business: each era answers them in its own way.
  if (error instanceof UrlElicitationRequiredError) throw error;
  if (error instanceof McpError && error.code === ErrorCode.MissingRequiredClientCapability) {
    throw error;
  }
  return errorResult(errorMessage(error));
}
