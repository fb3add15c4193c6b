/**
 * The calls the gateway's definitions make on an upstream (tools, prompts,
 * resources, subscriptions, completions), each through the caller's own
 * upstream session (upstream_sessions.ts), its relay bounded per call
 * (call_relay.ts). A session the upstream forgot (`404`) ends at once and
 * the request, refused before it ran upstream, is sent once more on a new
 * session; a second such refusal fails the call as unavailable. An upstream
 * that refuses the session itself as a server of no 2025 revision does (its
 * `initialize` answered 4xx or with a JSON-RPC error) fails the call with
 * {@linkcode NoLegacySessions}, for upstream_eras.ts to call it in
 * 2026-07-28 instead. It does not list anything: read_catalog.ts reads the lists.
 * @module
 */

import {
  ConnectionClosed,
  HttpStatusError,
  RequestTimeout,
  RpcError,
} from "../../client/rpc_errors.ts";
import type { Progress, RequestOptions } from "../../client/session_client.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import type { CallToolResult, GetPromptResult, ResourceContents } from "../../protocol/types.ts";
import type { UpstreamCalls } from "../catalog/catalog.ts";
import type { CallRelay } from "../call_relay.ts";
import { checkRelayed } from "../relay_limits.ts";
import { upstreamFailure } from "../upstream_failure.ts";
import {
  callAsUpstreamTask,
  runsAsUpstreamTask,
  sessionTaskSupport,
} from "./upstream_task_call.ts";
import { isSessionGone, type UpstreamConnection } from "./upstream_connection.ts";
import { GatewayBusyError, type UpstreamSessions } from "./upstream_sessions.ts";
import type { Upstream } from "../upstream.ts";

/**
 * The `taskSupport` of a tool whose listing was read in 2026-07-28 (it
 * carries none): the 2025 session's own listing is asked.
 *
 * @example
 * ```ts ignore (internal: upstream_eras.ts passes it for a 2025 session's call)
 * await legacy.callTool("compute", {}, ctx, SESSION_LISTING);
 * ```
 */
export const SESSION_LISTING: unique symbol = Symbol("the session's listing");

/** Thrown for an answer that is not the shape its method answers with: the upstream is unavailable. */
class MalformedAnswer extends Error {
  constructor(what: string) {
    super(`The upstream answered with ${what}`);
    this.name = "MalformedAnswer";
  }
}

/** The array `answer[key]` (absent: empty); anything else is a malformed answer. */
function listOf(answer: Record<string, unknown>, key: string): unknown[] {
  const value = answer[key] ?? [];
  if (!Array.isArray(value)) throw new MalformedAnswer(`a ${key} that is not a list`);
  return value;
}

/** A `tools/call` result: its `content` a list. */
function toolResult(answer: Record<string, unknown>): CallToolResult {
  if (answer.content !== undefined && !Array.isArray(answer.content)) {
    throw new MalformedAnswer("a content that is not a list");
  }
  if (answer.content === undefined && !isPlainObject(answer.task)) {
    return { ...answer, content: [] } as unknown as CallToolResult;
  }
  return answer as unknown as CallToolResult;
}

/** A `prompts/get` result: its `messages` a list. */
function promptResult(answer: Record<string, unknown>): GetPromptResult {
  listOf(answer, "messages");
  return answer as unknown as GetPromptResult;
}

/** The statuses of an HTTP server that serves no 2025 session (as modern_discovery.ts reads them). */
const NOT_LEGACY = new Set([400, 404, 405, 406, 415]);

/**
 * Thrown when an upstream refused to open a 2025 session as a server of
 * 2026-07-28 only does: the request never ran upstream.
 *
 * @example
 * ```ts ignore (internal: upstream_eras.ts catches it)
 * if (error instanceof NoLegacySessions) return await modern.callTool(name, args, ctx, taskSupport);
 * ```
 */
export class NoLegacySessions extends Error {
  /** The upstream's refusal of `upstream`'s session. */
  constructor(upstream: string, cause: unknown) {
    super(`Upstream "${upstream}" serves no 2025 session`, { cause });
    this.name = "NoLegacySessions";
  }
}

/**
 * True when `error`, thrown while a 2025 session opened, is the upstream's
 * refusal of the revision (an HTTP 4xx a 2026-07-28-only server answers, a
 * JSON-RPC error to `initialize`, a version it does not know), not a
 * transport failure, a timeout or a refused credential.
 *
 * @example
 * ```ts
 * import { refusesSessions } from "./upstream_calls.ts";
 * console.log(refusesSessions(new TypeError("fetch failed"))); // false
 * ```
 */
export function refusesSessions(error: unknown): boolean {
  if (error instanceof HttpStatusError) return NOT_LEGACY.has(error.status);
  if (error instanceof RpcError) return true;
  if (error instanceof ConnectionClosed || error instanceof RequestTimeout) return false;
  return error instanceof Error &&
    error.message.startsWith("Server's protocol version is not supported");
}

/** What the calls of one upstream need. */
export interface CallSettings {
  /** The gateway's upstream sessions. */
  sessions: UpstreamSessions;
  /** The largest answer relayed, bytes. */
  maxRelayBytes: number;
  /** How long one upstream call may run without progress, ms. */
  callTimeoutMs: number;
  /**
   * Set for an upstream that may serve 2026-07-28 only: a session it
   * refuses (see {@linkcode refusesSessions}) throws {@linkcode NoLegacySessions}.
   */
  mayRefuseSessions?: boolean;
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
        if (settings.mayRefuseSessions === true && refusesSessions(error)) {
          throw new NoLegacySessions(upstream.name, error);
        }
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
  const requestOptions = (
    ctx: HandlerContext,
    relay: CallRelay,
  ): RequestOptions & { signal: AbortSignal } => ({
    signal: ctx.signal,
    timeoutMs: callTimeoutMs,
    resetTimeoutOnProgress: true,
    onProgress: (progress: Progress) =>
      relay.progress(progress.progress, progress.total, progress.message),
  });
  return {
    callTool: (name, args, ctx, taskSupport) =>
      through(ctx, async (c, relay) => {
        const params = { name, arguments: args };
        const support = taskSupport === SESSION_LISTING
          ? await sessionTaskSupport(c.client, name)
          : taskSupport;
        if (runsAsUpstreamTask(c.client, support)) {
          return await callAsUpstreamTask(c.client, params, requestOptions(ctx, relay));
        }
        return toolResult(
          await c.client.request("tools/call", params, requestOptions(ctx, relay)),
        );
      }),
    getPrompt: (name, args, ctx) =>
      through(
        ctx,
        async (c, relay) =>
          promptResult(
            await c.client.request(
              "prompts/get",
              { name, arguments: args },
              requestOptions(ctx, relay),
            ),
          ),
      ),
    readResource: (uri, ctx) =>
      through(
        ctx,
        async (c, relay) =>
          listOf(
            await c.client.request("resources/read", { uri }, requestOptions(ctx, relay)),
            "contents",
          ) as ResourceContents[],
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
        await c.client.request("resources/subscribe", { uri }, requestOptions(ctx, relay));
        c.subscriptions?.add(uri);
      });
    },
    unsubscribe: (uri, ctx) =>
      ctx.session === undefined ? Promise.resolve() : through(ctx, async (c, relay) => {
        c.subscriptions?.delete(uri);
        await c.client.request("resources/unsubscribe", { uri }, requestOptions(ctx, relay));
      }),
    complete: (request, ctx) =>
      through(ctx, async (c, relay) => {
        const answer = await c.client.request(
          "completion/complete",
          request as unknown as Record<string, unknown>,
          requestOptions(ctx, relay),
        );
        // At most 100 values, as the spec bounds a completion.
        const completion = isPlainObject(answer.completion) ? answer.completion : {};
        return (listOf(completion, "values") as unknown[])
          .filter((value): value is string => typeof value === "string").slice(0, 100);
      }),
  };
}
