/**
 * A tool call run as an upstream task (the 2025-11-25 experimental tasks):
 * created with `params.task`, polled with `tasks/get` at the upstream's
 * `pollInterval`, its result read with `tasks/result` (without the
 * upstream's related-task `_meta`: the upstream id means nothing
 * downstream); a downstream cancellation sends `tasks/cancel`. Used for
 * upstream tools that declare task support on an upstream that advertises
 * `tasks.requests.tools.call`.
 * @module
 */

import type { RequestOptions, SessionClient } from "../../client/session_client.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { CallToolResult } from "../../protocol/types.ts";

/**
 * True when `client`'s upstream runs tool calls as tasks and the tool's
 * listing (`execution.taskSupport`) says it may run as one.
 *
 * @example
 * ```ts ignore (internal: needs a live 2025 upstream session)
 * if (runsAsUpstreamTask(connection.client, "optional")) console.log("a task");
 * ```
 */
export function runsAsUpstreamTask(client: SessionClient, taskSupport: unknown): boolean {
  const tasks = client.serverCapabilities?.tasks as
    | { requests?: { tools?: { call?: unknown } } }
    | undefined;
  return tasks?.requests?.tools?.call !== undefined &&
    (taskSupport === "optional" || taskSupport === "required");
}

/** The most pages of `tools/list` read for {@linkcode sessionTaskSupport}. */
const MAX_PAGES = 100;

/** Each 2025 session's tools' `execution.taskSupport`, read once. */
const listedSupport = new WeakMap<SessionClient, Promise<Map<string, unknown>>>();

/**
 * `name`'s `execution.taskSupport` as `client`'s session lists it (read
 * once per session, every page), undefined when its upstream runs no tool
 * calls as tasks. For tools whose listing the gateway read in 2026-07-28.
 *
 * @example
 * ```ts ignore (internal: needs a live 2025 upstream session)
 * const support = await sessionTaskSupport(connection.client, "compute"); // "optional"
 * ```
 */
export async function sessionTaskSupport(client: SessionClient, name: string): Promise<unknown> {
  if (!runsAsUpstreamTask(client, "optional")) return undefined;
  let listed = listedSupport.get(client);
  if (listed === undefined) {
    listed = (async () => {
      const support = new Map<string, unknown>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const answer = await client.request("tools/list", cursor === undefined ? {} : { cursor });
        for (const tool of Array.isArray(answer.tools) ? answer.tools : []) {
          if (!isPlainObject(tool)) continue;
          const execution = isPlainObject(tool.execution) ? tool.execution : {};
          support.set(String(tool.name), execution.taskSupport);
        }
        if (typeof answer.nextCursor !== "string" || answer.nextCursor === "") break;
        cursor = answer.nextCursor;
      }
      return support;
    })();
    listedSupport.set(client, listed);
    listed.catch(() => listedSupport.delete(client));
  }
  return (await listed).get(name);
}

/** The `_meta` key naming the upstream task a result belongs to (its id means nothing downstream). */
const RELATED_TASK = "io.modelcontextprotocol/related-task";

/** An upstream task's result without the upstream's related-task mark (the rest of `_meta` kept). */
function withoutRelatedTask(result: Record<string, unknown>): CallToolResult {
  const meta = result._meta as Record<string, unknown> | undefined;
  if (meta === undefined || !(RELATED_TASK in meta)) return result as unknown as CallToolResult;
  const { [RELATED_TASK]: _upstreamTask, ...rest } = meta;
  const { _meta: _, ...fields } = result;
  const kept = Object.keys(rest).length === 0 ? fields : { ...fields, _meta: rest };
  return kept as unknown as CallToolResult;
}

/** A task's statuses after which it changes no more. */
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

/** The wait between polls when the upstream names none, ms. */
const DEFAULT_POLL_MS = 1_000;

/** The task an answer names (`tasks/get`'s, or `tools/call`'s `task`). */
function taskOf(
  answer: Record<string, unknown>,
): { taskId: string; status: string; pollInterval?: number } {
  const task = isPlainObject(answer.task) ? answer.task : answer;
  if (typeof task.taskId !== "string" || typeof task.status !== "string") {
    throw new Error("The upstream answered with no task");
  }
  const poll = task.pollInterval;
  return {
    taskId: task.taskId,
    status: task.status,
    ...(typeof poll === "number" && poll >= 0 ? { pollInterval: poll } : {}),
  };
}

/** Waits `ms`, or until `signal` aborts (then rejects with its reason). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}

/**
 * Calls `name` as an upstream task and resolves with its result; rejects
 * with its error. A cancellation before the upstream named the task waits
 * for its id (the creation is not abandoned, or the task would run on
 * unseen), then cancels it.
 *
 * @example
 * ```ts ignore (internal: needs a live 2025 upstream session)
 * const result = await callAsUpstreamTask(client, { name: "brew", arguments: {} }, { signal });
 * ```
 */
export async function callAsUpstreamTask(
  client: SessionClient,
  params: { name: string; arguments: Record<string, unknown> },
  options: RequestOptions & { signal: AbortSignal },
): Promise<CallToolResult> {
  const outer = options.signal;
  const polling = new AbortController();
  let taskId: string | undefined;
  const cancel = () => {
    if (taskId === undefined) return; // sent once the id is known
    void client.request("tasks/cancel", { taskId }).catch(() => {});
    polling.abort(outer.reason);
  };
  outer.addEventListener("abort", cancel, { once: true });
  const within = { ...options, signal: polling.signal };
  try {
    let task = taskOf(await client.request("tools/call", { ...params, task: {} }, within));
    taskId = task.taskId;
    if (outer.aborted) cancel();
    while (!TERMINAL.has(task.status) && task.status !== "input_required") {
      await pause(task.pollInterval ?? DEFAULT_POLL_MS, polling.signal);
      task = taskOf(await client.request("tasks/get", { taskId }, within));
    }
    if (task.status === "failed") throw new Error(`The upstream task ${taskId} failed`);
    if (task.status === "cancelled") throw new Error(`The upstream task ${taskId} was cancelled`);
    // Completed, or waiting for input: `tasks/result` delivers what it asks and waits for the end.
    return withoutRelatedTask(await client.request("tasks/result", { taskId }, within));
  } finally {
    outer.removeEventListener("abort", cancel);
  }
}
