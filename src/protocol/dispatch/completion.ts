/**
 * `completion/complete`: the completer of the prompt argument or resource
 * template variable a ref names, run with the request's context, its
 * values capped at 100 (with the total). It knows no transport.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { JsonRpcRequest } from "../../jsonrpc/messages.ts";
import type { RequestContext } from "../context/request_context.ts";
import { createHandlerContext } from "../context/handler_context.ts";
import { requireString, requireUri } from "./method_params.ts";
import type { PromptRegistry } from "../registries/prompts.ts";
import type { ResourceRegistry } from "../registries/resources.ts";

/** Values one completion returns at most. */
const MAX_COMPLETIONS = 100;

/** The result of a `completion/complete` with `params`; throws the MCP error of a bad ref or argument. */
export async function complete(
  params: Record<string, unknown>,
  ctx: RequestContext,
  request: JsonRpcRequest,
  prompts: PromptRegistry,
  resources: ResourceRegistry,
  maxUriBytes: number,
): Promise<Record<string, unknown>> {
  const ref = params.ref as Record<string, unknown> | undefined;
  const argument = params.argument as Record<string, unknown> | undefined;
  if (
    typeof ref !== "object" || ref === null || typeof argument !== "object" || argument === null
  ) {
    throw new McpError(ErrorCode.InvalidParams, "completion/complete requires ref and argument");
  }
  const name = requireString(argument, "name", "completion/complete argument");
  const value = requireString(argument, "value", "completion/complete argument");
  let completer;
  if (ref.type === "ref/prompt") {
    completer = prompts.completer(ref.name, name);
  } else if (ref.type === "ref/resource") {
    const found = resources.completer(
      requireUri(ref, "uri", "completion/complete ref", maxUriBytes),
      name,
    );
    if (!found.known) throw new McpError(ErrorCode.InvalidParams, "Unknown resource reference");
    completer = found.completer;
  } else {
    throw new McpError(ErrorCode.InvalidParams, "Unknown completion reference type");
  }
  const context = params.context as { arguments?: Record<string, string> } | undefined;
  const values = completer === undefined ? [] : await completer(
    value,
    { arguments: context?.arguments ?? {} },
    createHandlerContext(ctx, request),
  );
  return {
    completion: {
      values: values.slice(0, MAX_COMPLETIONS),
      total: values.length,
      hasMore: values.length > MAX_COMPLETIONS,
    },
  };
}
