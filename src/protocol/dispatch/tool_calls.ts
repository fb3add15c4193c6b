/**
 * `tools/call`: the tool run inside its span when the request is traced,
 * and through the extensions' steps around it (the first given outermost)
 * when any declares one. It validates nothing itself
 * (src/protocol/registries/tool_invocation.ts does).
 * @module
 */

import type { JsonRpcRequest } from "../../jsonrpc/messages.ts";
import type { RequestContext } from "../context/request_context.ts";
import { type Extension, servedIn, type ToolCall } from "../definitions/extensions.ts";
import { createHandlerContext } from "../context/handler_context.ts";
import { type MaybePromise, settled } from "../maybe_async.ts";
import { runTool, type ToolRegistry } from "../registries/tools.ts";
import type { ToolRunEnd } from "../run_end.ts";

/**
 * Runs a tool, inside its span when the request is traced. A synchronous
 * tool's result comes back as it is (no promise), and so does a protocol
 * error's throw. `then`: untraced, a tool still running settles there (see
 * {@linkcode ToolRegistry.run}).
 */
export function callTool(
  tools: ToolRegistry,
  params: Record<string, unknown>,
  ctx: RequestContext,
  request: JsonRpcRequest,
  then?: ToolRunEnd<unknown>,
): MaybePromise<Record<string, unknown>> {
  const trace = ctx.trace;
  if (trace === undefined) {
    return runTool(
      tools,
      params,
      createHandlerContext(ctx, request),
      then,
    ) as unknown as MaybePromise<
      Record<string, unknown>
    >;
  }
  return trace.run(
    "tool",
    typeof params.name === "string" ? params.name : "",
    (context) => tools.call(params, createHandlerContext(ctx, request, context)),
  ) as unknown as Promise<Record<string, unknown>>;
}

/** Runs `tools/call` through the extensions' steps, the first given outermost. */
export function callThrough(
  tools: ToolRegistry,
  steps: readonly Extension[],
  params: Record<string, unknown>,
  ctx: RequestContext,
  request: JsonRpcRequest,
): Promise<Record<string, unknown>> {
  const tool = typeof params.name === "string" ? tools.definition(params.name) : undefined;
  // The steps were promised a promise.
  const runCore = (runCtx: RequestContext) =>
    settled(() => callTool(tools, params, runCtx, request));
  const step = (index: number, stepCtx: RequestContext): Promise<Record<string, unknown>> => {
    if (index >= steps.length) return runCore(stepCtx);
    const extension = steps[index];
    if (!servedIn(extension, stepCtx.protocolVersion)) return step(index + 1, stepCtx);
    const call: ToolCall = {
      params,
      tool,
      ctx: stepCtx,
      request,
      run: (runCtx = stepCtx) => step(index + 1, runCtx),
    };
    return extension.aroundToolCall!(call);
  };
  return step(0, ctx);
}
