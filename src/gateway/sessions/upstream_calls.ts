/**
 * The calls the gateway's definitions make on an upstream (tools, prompts,
 * resources, subscriptions, completions), each through the caller's own
 * upstream session (upstream_sessions.ts), its relay bounded per call
 * (call_relay.ts). A session the upstream forgot (`404`) ends at once and
 * the request, refused before it ran upstream, is sent once more on a new
 * session; a second such refusal fails the call as unavailable. It does not
 * list anything: catalog.ts reads the lists.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import type { CallToolResult, GetPromptResult, ResourceContents } from "../../protocol/types.ts";
import type { UpstreamCalls } from "../catalog/catalog.ts";
import type { CallRelay } from "../call_relay.ts";
import { checkRelayed } from "../relay_limits.ts";
import { upstreamFailure } from "../upstream_failure.ts";
import { callAsUpstreamTask, runsAsUpstreamTask } from "./upstream_task_call.ts";
import { isSessionGone, type UpstreamConnection } from "./upstream_connection.ts";
import { GatewayBusyError, type UpstreamSessions } from "./upstream_sessions.ts";
import type { Upstream } from "../upstream.ts";

/** What the calls of one upstream need. */
export interface CallSettings {
  /** The gateway's upstream sessions. */
  sessions: UpstreamSessions;
  /** The largest answer relayed, bytes. */
  maxRelayBytes: number;
  /** How long one upstream call may run without progress, ms. */
  callTimeoutMs: number;
}

/**
 * The calls of `upstream`, for its catalog's definitions.
 *
 * @example
 * ```ts ignore (internal: needs a live upstream and its session table)
 * const calls = upstreamCalls(upstream, { sessions, maxRelayBytes: 4_194_304, callTimeoutMs: 300_000 });
 * ```
 */
export function upstreamCalls(upstream: Upstream, settings: CallSettings): UpstreamCalls {
  const { sessions, maxRelayBytes, callTimeoutMs } = settings;
  const through = async <T>(
    ctx: HandlerContext,
    call: (c: UpstreamConnection, relay: CallRelay) => Promise<T>,
  ): Promise<T> => {
    for (let attempt = 1;; attempt++) {
      let held;
      try {
        held = await sessions.connection(upstream, ctx);
      } catch (error) {
        if (error instanceof GatewayBusyError) throw error;
        throw upstreamFailure(upstream.name, error);
      }
      const { connection } = held;
      try {
        const answer = await connection.track(ctx, (relay) => call(connection, relay));
        checkRelayed(answer, maxRelayBytes, "answer");
        return answer;
      } catch (error) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (!isSessionGone(error)) throw upstreamFailure(upstream.name, error);
        connection.gone();
        if (attempt === 2) throw upstreamFailure(upstream.name, undefined);
      } finally {
        held.done();
      }
    }
  };
  const requestOptions = (ctx: HandlerContext, relay: CallRelay) => ({
    signal: ctx.signal,
    timeout: callTimeoutMs,
    resetTimeoutOnProgress: true,
    onprogress: (progress: { progress: number; total?: number; message?: string }) =>
      relay.progress(progress.progress, progress.total, progress.message),
  });
  return {
    callTool: (name, args, ctx, taskSupport) =>
      through(ctx, async (c, relay) => {
        const params = { name, arguments: args };
        if (runsAsUpstreamTask(c.client, taskSupport)) {
          return await callAsUpstreamTask(c.client, params, requestOptions(ctx, relay));
        }
        return await c.client.callTool(
          params,
          undefined,
          requestOptions(ctx, relay),
        ) as CallToolResult;
      }),
    getPrompt: (name, args, ctx) =>
      through(
        ctx,
        async (c, relay) =>
          await c.client.getPrompt(
            { name, arguments: args },
            requestOptions(ctx, relay),
          ) as GetPromptResult,
      ),
    readResource: (uri, ctx) =>
      through(
        ctx,
        async (c, relay) =>
          (await c.client.readResource({ uri }, requestOptions(ctx, relay)))
            .contents as ResourceContents[],
      ),
    subscribe: (uri, ctx) => {
      // Updates come on a downstream session's own upstream session: a 2026-07-28
      // listen has none (its requests share a stateless one), so its URI is not honoured.
      if (ctx.session === undefined) {
        return Promise.reject(
          new McpError(
            ErrorCode.InvalidRequest,
            `Upstream "${upstream.name}" tells only sessions of its resources' updates`,
          ),
        );
      }
      return through(ctx, async (c, relay) => {
        await c.client.subscribeResource({ uri }, requestOptions(ctx, relay));
        c.subscriptions?.add(uri);
      });
    },
    unsubscribe: (uri, ctx) =>
      ctx.session === undefined ? Promise.resolve() : through(ctx, async (c, relay) => {
        c.subscriptions?.delete(uri);
        await c.client.unsubscribeResource({ uri }, requestOptions(ctx, relay));
      }),
    complete: (request, ctx) =>
      through(ctx, async (c, relay) => {
        const answer = await c.client.complete(request, requestOptions(ctx, relay));
        // At most 100 values, as the spec bounds a completion.
        return answer.completion.values.slice(0, 100);
      }),
  };
}
