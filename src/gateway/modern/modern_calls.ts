/**
 * The calls the gateway's definitions make on a 2026-07-28 upstream: each
 * one independent request (no upstream session, so nothing counts against
 * `maxSessions`), sent with the caller's credentials (the hook is asked per
 * request) and the caller's own elicitation, sampling and roots capabilities
 * mirrored in its envelope. Progress and log messages on its stream are
 * relayed within the call's bounds (call_relay.ts), `input_required` rounds
 * carried to the caller (modern_rounds.ts); the caller's abort, or no
 * progress for `callTimeoutMs`, ends the request (closing it is cancellation
 * in 2026-07-28). A tool call the upstream makes a task becomes a task
 * downstream, followed by modern_tasks.ts: the tasks extension is declared
 * upstream for a 2026 caller that declared it, and for every 2025 session
 * (whose call runs the task inline unless it asked for one). Resource
 * subscriptions go to modern_subscriptions.ts (the revision has no
 * `resources/subscribe`); completions are relayed.
 * @module
 */

import type { JsonRpcNotification } from "../../jsonrpc/messages.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import { runAsTask } from "../../extensions/tasks/run_as_task.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import type { DeferredResult } from "../../protocol/definitions/deferred_result.ts";
import { eraOf, negotiated } from "../../protocol/definitions/extensions.ts";
import { isLoggingLevel } from "../../protocol/context/logging.ts";
import type { CallToolResult, GetPromptResult, ResourceContents } from "../../protocol/types.ts";
import type { UpstreamCalls } from "../catalog/catalog.ts";
import { CallRelay, type RelayBounds } from "../call_relay.ts";
import type { ModernEndpoint } from "./modern_endpoint.ts";
import { answerRound } from "./modern_rounds.ts";
import { followUpstreamTask, isCreatedTask, TASKS_EXTENSION } from "./modern_tasks.ts";
import type { ModernSubscriptions } from "./modern_subscriptions.ts";
import { exchangeModern } from "../../client/modern_request.ts";
import { checkRelayed } from "../relay_limits.ts";
import { relayedCapabilities } from "../sessions/call_relay_handlers.ts";
import { upstreamError, upstreamFailure } from "../upstream_failure.ts";
import { GatewayBusyError } from "../sessions/upstream_sessions.ts";
import { GATEWAY_CLIENT_INFO } from "../gateway_defaults.ts";

/** What the calls of one 2026-07-28 upstream need. */
export interface ModernCallSettings {
  /** The largest message relayed either way, bytes. */
  maxRelayBytes: number;
  /** How long one upstream request may run without progress, ms. */
  callTimeoutMs: number;
  /** What one call may relay (`maxOutstanding`: inputs of one round). */
  relayBounds: RelayBounds;
  /** Told of each upstream message dropped or refused. */
  onDropped(): void;
  /** Downstream task support (`GatewayOptions.tasks`): `false` declares no tasks upstream. */
  tasks: boolean | "mirror";
  /** The gateway's resource subscriptions to 2026-07-28 upstreams. */
  subscriptions: ModernSubscriptions;
}

/** The ids of the gateway's 2026-07-28 requests (one counter: ids never repeat in a process). */
let nextId = 1;

/** The tasks extension, as the gateway declares it upstream. */
const TASKS = { extensions: { [TASKS_EXTENSION]: {} } };

/** `result` without the 2026-07-28 wire's own fields: the gateway's encoder adds its own. */
function plain(result: Record<string, unknown>): Record<string, unknown> {
  const { resultType: _type, ttlMs: _ttl, cacheScope: _scope, ...rest } = result;
  if (!isPlainObject(rest._meta)) return rest;
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest._meta)) {
    if (!key.startsWith("io.modelcontextprotocol/")) meta[key] = value;
  }
  return Object.keys(meta).length === 0 ? { ...rest, _meta: undefined } : { ...rest, _meta: meta };
}

/**
 * The calls of the 2026-07-28 upstream `name` at `endpoint`.
 *
 * @example
 * ```ts ignore (internal: needs a live 2026-07-28 upstream and the gateway's bounds)
 * const calls = modernCalls("files", upstream.modern, { maxRelayBytes, callTimeoutMs, relayBounds, onDropped });
 * ```
 */
export function modernCalls(
  name: string,
  endpoint: ModernEndpoint,
  settings: ModernCallSettings,
): UpstreamCalls {
  /** One request and its answer, ended by the caller's abort or a stall. */
  const send = async (
    ctx: HandlerContext,
    relay: CallRelay,
    method: string,
    params: Record<string, unknown>,
    asTask: boolean,
    signal: AbortSignal = ctx.signal,
  ): Promise<Record<string, unknown>> => {
    const id = `tether-gateway-${nextId++}`;
    // Ends the request on the caller's abort (its reason) or a stall: one controller that both
    // abort, cheaper per call than a composite signal (AbortSignal.any) of two.
    const ended = new AbortController();
    const abort = () => ended.abort(signal.reason);
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ended.abort(new Error("timed out")), settings.callTimeoutMs);
    };
    arm();
    const onNotification = (notification: JsonRpcNotification) => {
      const given = notification.params ?? {};
      if (notification.method === "notifications/progress" && given.progressToken === id) {
        arm();
        const { progress, total, message } = given;
        if (typeof progress !== "number") return;
        relay.progress(
          progress,
          typeof total === "number" ? total : undefined,
          typeof message === "string" ? message : undefined,
        );
      } else if (notification.method === "notifications/message" && isLoggingLevel(given.level)) {
        try {
          checkRelayed(given.data, settings.maxRelayBytes, "log message");
        } catch {
          return settings.onDropped();
        }
        const logger = typeof given.logger === "string" ? given.logger : undefined;
        void relay.log(given.level, given.data, logger);
      }
    };
    const meta = { ...(isPlainObject(params._meta) ? params._meta : {}), progressToken: id };
    try {
      const answer = await exchangeModern(
        (body, headers, signal) => endpoint.post(ctx.principal, body, headers, signal),
        {
          id,
          method,
          params: { ...params, _meta: meta },
          capabilities: asTask
            ? { ...relayedCapabilities(ctx.clientCapabilities), ...TASKS }
            : relayedCapabilities(ctx.clientCapabilities),
          clientInfo: GATEWAY_CLIENT_INFO,
          // Every level: ctx.log filters at the caller's own level.
          logLevel: "debug",
        },
        ended.signal,
        onNotification,
      );
      if ("error" in answer) throw upstreamError(answer.error);
      return answer.result;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
    }
  };

  /** `method` with its `input_required` rounds carried to the caller; its complete result. */
  const bounds = {
    maxInputs: settings.relayBounds.maxOutstanding,
    maxRelayBytes: settings.maxRelayBytes,
    onDropped: settings.onDropped,
  };

  /** One request of a call or a task, its failure worded for the caller. */
  const request = async (
    ctx: HandlerContext,
    relay: CallRelay,
    method: string,
    params: Record<string, unknown>,
    asTask: boolean,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> => {
    try {
      return await send(ctx, relay, method, params, asTask, signal);
    } catch (error) {
      if (ctx.signal.aborted && signal === undefined) throw ctx.signal.reason;
      // A stdio upstream's process cap: the caller may retry (as in a 2025 session).
      if (error instanceof GatewayBusyError) throw error;
      throw upstreamFailure(name, error);
    }
  };

  /**
   * `method` with its `input_required` rounds carried to the caller: its
   * complete result, or (`asTask`) the `CreateTaskResult` the upstream made.
   */
  const call = async (
    ctx: HandlerContext,
    method: string,
    params: Record<string, unknown>,
    asTask = false,
  ): Promise<Record<string, unknown>> => {
    const relay = new CallRelay(ctx, settings.relayBounds, settings.onDropped);
    const used = new Set<string>();
    let retry: Record<string, unknown> = {};
    for (let round = 1;; round++) {
      const result = await request(ctx, relay, method, { ...params, ...retry }, asTask);
      if (asTask && isCreatedTask(result)) return result;
      if (result.resultType !== "input_required") {
        const answer = plain(result);
        checkRelayed(answer, settings.maxRelayBytes, "answer");
        return answer;
      }
      // The caller's refusals (a 2026 client's pending input, a missing capability) and the
      // bounds' go as they are: they name nothing of the upstream.
      retry = await answerRound(ctx, round, result, bounds, used);
    }
  };

  /** True when `ctx`'s call may become a task upstream (see the module comment). */
  const takesTask = (ctx: HandlerContext): boolean =>
    settings.tasks !== false &&
    (eraOf(ctx.protocolVersion) !== "modern" ||
      negotiated(ctx.clientCapabilities, TASKS_EXTENSION));

  /** A tool call: its result, or the downstream task that follows the upstream's. */
  const callTool = async (
    tool: string,
    args: Record<string, unknown>,
    ctx: HandlerContext,
  ): Promise<CallToolResult | DeferredResult> => {
    const asTask = takesTask(ctx);
    const result = await call(ctx, "tools/call", { name: tool, arguments: args }, asTask);
    if (!asTask || !isCreatedTask(result)) return result as unknown as CallToolResult;
    return runAsTask((taskCtx) =>
      followUpstreamTask(result, taskCtx, {
        upstream: name,
        request: (ctx, method, params, signal) =>
          request(
            ctx,
            new CallRelay(ctx, settings.relayBounds, settings.onDropped),
            method,
            params,
            true,
            signal,
          ),
        maxInputs: bounds.maxInputs,
        maxRelayBytes: settings.maxRelayBytes,
        plain,
        onDropped: settings.onDropped,
      })
    );
  };

  return {
    callTool,
    getPrompt: async (prompt, args, ctx) =>
      await call(ctx, "prompts/get", {
        name: prompt,
        arguments: args,
      }) as unknown as GetPromptResult,
    readResource: async (uri, ctx) =>
      (await call(ctx, "resources/read", { uri })).contents as ResourceContents[],
    subscribe: (uri, ctx) => settings.subscriptions.subscribe(name, endpoint, uri, ctx),
    unsubscribe: (uri, ctx) => settings.subscriptions.unsubscribe(name, uri, ctx),
    complete: async (request, ctx) => {
      const answer = await call(ctx, "completion/complete", { ...request });
      const values = isPlainObject(answer.completion) && Array.isArray(answer.completion.values)
        ? answer.completion.values
        : [];
      // At most 100 values, as the spec bounds a completion.
      return values.filter((value) => typeof value === "string").slice(0, 100);
    },
  };
}
