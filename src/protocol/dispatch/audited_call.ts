/**
 * A `tools/call`, `prompts/get` or `resources/read` run under audit: timed
 * from the dispatcher's taking it to its answer, which goes to the
 * {@linkcode AuditSink} before the transport gets it. Taken only when the
 * sink is active, so an unaudited handler pays one check per request. It
 * builds no record itself (the sink does) and knows no session.
 * @module
 */

import type { JsonRpcRequest, JsonRpcResponse } from "../../jsonrpc/messages.ts";
import { type AuditSink, upstreamOf } from "./audit.ts";
import type { Principal, RequestContext } from "../context/request_context.ts";
import { isPromiseLike } from "../maybe_async.ts";
import type { PromptRegistry } from "../registries/prompts.ts";
import type { ResourceRegistry } from "../registries/resources.ts";
import type { RunEnd } from "../run_end.ts";
import type { ToolRegistry } from "../registries/tools.ts";
import type { ViewedLookups } from "./viewed_methods.ts";

/** The registries an audited call's definition is looked up in (for its upstream). */
export interface AuditedRegistries {
  tools: ToolRegistry;
  prompts: PromptRegistry;
  resources: ResourceRegistry;
  /** The views' names (viewed_methods.ts), when the handler has a view. */
  viewed?: Pick<ViewedLookups, "keyOf">;
}

/**
 * The gateway upstream of what `request` names, if a marked definition
 * serves it: looked up by the name `principal` called it by, through its
 * view when the handler has one (a renamed tool's record names its upstream).
 */
export function upstreamServing(
  registries: AuditedRegistries,
  request: JsonRpcRequest,
  principal: Principal,
): string | undefined {
  const params = request.params;
  if (request.method === "resources/read") {
    const uri = params?.uri;
    return typeof uri === "string" ? upstreamOf(registries.resources.servedBy(uri)) : undefined;
  }
  const name = params?.name;
  if (typeof name !== "string") return undefined;
  const kind = request.method === "tools/call" ? "tool" : "prompt";
  const key = registries.viewed === undefined
    ? name
    : registries.viewed.keyOf(principal, kind, name);
  if (key === undefined) return undefined;
  return upstreamOf(
    kind === "tool" ? registries.tools.definition(key) : registries.prompts.definition(key),
  );
}

/**
 * Answers `request` through `answer` (the dispatcher's own path, never
 * rejecting) and reports the answer to `sink`; with `end`, a running call's
 * answer then goes to `end` as {@linkcode Dispatcher.handle} promises.
 *
 * @example
 * ```ts ignore (internal: runs inside the dispatcher, with its audit sink)
 * return auditedAnswer(sink, this, request, ctx, end, (r, c) => this.#answer(r, c));
 * ```
 */
export function auditedAnswer<T>(
  sink: AuditSink,
  registries: AuditedRegistries,
  request: JsonRpcRequest,
  ctx: RequestContext,
  end: RunEnd<T> | undefined,
  answer: (
    request: JsonRpcRequest,
    ctx: RequestContext,
  ) => JsonRpcResponse | Promise<JsonRpcResponse>,
): JsonRpcResponse | Promise<T> {
  const started = performance.now();
  const upstream = upstreamServing(registries, request, ctx.principal);
  const finished = (response: JsonRpcResponse): JsonRpcResponse => {
    sink.finished({ request, ctx, upstream, started, response });
    return response;
  };
  const answered = answer(request, ctx);
  if (!isPromiseLike(answered)) return finished(answered);
  return answered.then((response) => {
    finished(response);
    return end === undefined ? response as T : end.responded(response);
  }, (error: unknown) => {
    // Answering failed (`onError` threw): `end` is told there is no response, as
    // src/protocol/run_end.ts does.
    end?.responded(undefined);
    throw error;
  });
}
