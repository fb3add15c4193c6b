/**
 * A task a 2026-07-28 upstream made of a tool call, followed for the
 * caller: the gateway's tool becomes a task downstream (`runAsTask`), whose
 * work polls the upstream's `tasks/get` at its `pollIntervalMs` (within
 * {@linkcode MIN_POLL_MS}–{@linkcode MAX_POLL_MS}), asks the caller each of
 * the task's input requests once under the upstream's own key and sends each
 * answer back with `tasks/update` as it comes, and ends with the task's
 * result (completed) or its error (failed: the downstream task fails too, as
 * it does when the upstream cannot be reached or a bound is passed).
 * The caller's cancellation sends `tasks/cancel`. It sends through the
 * request function it is given (modern_calls.ts's, bounded and credentialed).
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import type { CallToolResult } from "../../protocol/types.ts";
import { askCaller, MAX_INPUT_ROUNDS } from "./modern_rounds.ts";
import { checkRelayed } from "../relay_limits.ts";
import { upstreamTaskError } from "../upstream_failure.ts";

/** The tasks extension's id, declared upstream for the callers that declared it. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";
/** The shortest wait between two polls, ms (whatever the upstream asks). */
export const MIN_POLL_MS = 100;
/** The longest wait between two polls, ms. */
export const MAX_POLL_MS = 5_000;

/** One request to the upstream, the tasks extension declared: its result; `signal` ends it. */
export type TaskRequest = (
  ctx: HandlerContext,
  method: string,
  params: Record<string, unknown>,
  signal?: AbortSignal,
) => Promise<Record<string, unknown>>;

/** What following one task needs. */
export interface TaskFollowing {
  /** The upstream's name (in errors). */
  upstream: string;
  /** Sends one request upstream. */
  request: TaskRequest;
  /** Input requests outstanding at once. */
  maxInputs: number;
  /** The largest message relayed either way, bytes. */
  maxRelayBytes: number;
  /** `result` without the 2026-07-28 wire's own fields. */
  plain(result: Record<string, unknown>): Record<string, unknown>;
  /** Told of each input request refused past a bound. */
  onDropped(): void;
}

/** True when `result` is a 2026-07-28 `CreateTaskResult` with a task id. */
export function isCreatedTask(result: Record<string, unknown>): boolean {
  return result.resultType === "task" && typeof result.taskId === "string";
}

/** The upstream's poll interval, within the gateway's bounds. */
function pollMs(task: Record<string, unknown>): number {
  const asked = task.pollIntervalMs;
  const ms = typeof asked === "number" && Number.isFinite(asked) ? asked : 1_000;
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, ms));
}

/** Waits `ms`, or until `signal` aborts (then resolves at once). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Follows the upstream task `created` (the call's `CreateTaskResult`) with
 * `ctx`, the downstream task's context, to its end: its result, or a thrown
 * `McpError` (the upstream task failed or was cancelled upstream), or the
 * caller's cancellation (after `tasks/cancel` went upstream).
 *
 * @example
 * ```ts ignore (internal: runs inside a task of a running tools/call)
 * return runAsTask((taskCtx) => followUpstreamTask(created, taskCtx, following));
 * ```
 */
export async function followUpstreamTask(
  created: Record<string, unknown>,
  ctx: HandlerContext,
  following: TaskFollowing,
): Promise<CallToolResult> {
  const taskId = created.taskId as string;
  const asked = new Set<string>();
  let refusal: unknown;
  let refused = false;
  /** A change of the task's input (an answer sent, a refusal) ends the current wait early. */
  let wake = new AbortController();
  const answer = async (key: string, request: unknown) => {
    try {
      const response = await askCaller(ctx, key, request);
      checkRelayed({ [key]: response }, following.maxRelayBytes, "answers");
      await following.request(ctx, "tasks/update", { taskId, inputResponses: { [key]: response } });
    } catch (error) {
      if (!refused) [refused, refusal] = [true, error];
    }
    wake.abort();
  };
  let wait = pollMs(created);
  try {
    for (;;) {
      await pause(wait, AbortSignal.any([ctx.signal, wake.signal]));
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (refused) throw refusal;
      wake = new AbortController();
      const task = await following.request(ctx, "tasks/get", { taskId });
      wait = pollMs(task);
      switch (task.status) {
        case "working":
          continue;
        case "input_required": {
          const requests = isPlainObject(task.inputRequests) ? task.inputRequests : {};
          const fresh = Object.entries(requests).filter(([key]) => !asked.has(key));
          // As many inputs as a call's rounds may ask: `maxInputs` a round, MAX_INPUT_ROUNDS rounds.
          const most = following.maxInputs * MAX_INPUT_ROUNDS;
          if (asked.size + fresh.length > most) {
            following.onDropped();
            throw new Error(`The upstream task asked for more than ${most} inputs`);
          }
          checkRelayed(Object.fromEntries(fresh), following.maxRelayBytes, "input requests");
          for (const [key, request] of fresh) {
            asked.add(key);
            void answer(key, request);
          }
          continue;
        }
        case "completed": {
          const result = isPlainObject(task.result)
            ? following.plain(task.result)
            : { content: [] };
          checkRelayed(result, following.maxRelayBytes, "answer");
          return result as unknown as CallToolResult;
        }
        case "failed":
          throw upstreamTaskError(following.upstream, task.error);
        case "cancelled":
          throw new McpError(
            ErrorCode.InternalError,
            `Upstream "${following.upstream}" cancelled the task`,
          );
        default:
          throw new Error(`Upstream "${following.upstream}" is unavailable`);
      }
    }
  } catch (error) {
    if (ctx.signal.aborted) {
      // The caller cancelled: so is the upstream task (best effort, bounded).
      await following.request(ctx, "tasks/cancel", { taskId }, AbortSignal.timeout(5_000))
        .catch(() => {});
      throw ctx.signal.reason;
    }
    // Whatever ends the task otherwise fails it (a protocol error, not the tool's).
    if (error instanceof McpError) throw error;
    throw new McpError(
      ErrorCode.InternalError,
      error instanceof Error ? error.message : String(error),
    );
  }
}
