/**
 * A tool call run as an upstream task (the 2025-11-25 experimental tasks,
 * through the official SDK client's `experimental.tasks.callToolStream`):
 * created with `params.task`, polled with `tasks/get` at the upstream's
 * `pollInterval`, its result read with `tasks/result` (without the
 * upstream's related-task `_meta`: the upstream id means nothing
 * downstream); a downstream cancellation sends `tasks/cancel`. Used for
 * upstream tools that declare task support on an upstream that advertises
 * `tasks.requests.tools.call`.
 * @module
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import type { CallToolResult } from "../../protocol/types.ts";

/** What `callToolStream` takes besides the call (the SDK's `RequestOptions`, as the gateway sets them). */
export interface TaskCallOptions {
  signal: AbortSignal;
  timeout: number;
  resetTimeoutOnProgress: boolean;
  onprogress: (progress: { progress: number; total?: number; message?: string }) => void;
}

/**
 * True when `client`'s upstream runs tool calls as tasks and the tool's
 * listing (`execution.taskSupport`) says it may run as one.
 */
export function runsAsUpstreamTask(client: Client, taskSupport: unknown): boolean {
  const tasks = client.getServerCapabilities()?.tasks as
    | { requests?: { tools?: { call?: unknown } } }
    | undefined;
  return tasks?.requests?.tools?.call !== undefined &&
    (taskSupport === "optional" || taskSupport === "required");
}

/** The most pages of `tools/list` read for {@linkcode sessionTaskSupport}. */
const MAX_PAGES = 100;

/** Each 2025 session's tools' `execution.taskSupport`, read once. */
const listedSupport = new WeakMap<Client, Promise<Map<string, unknown>>>();

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
export async function sessionTaskSupport(client: Client, name: string): Promise<unknown> {
  if (!runsAsUpstreamTask(client, "optional")) return undefined;
  let listed = listedSupport.get(client);
  if (listed === undefined) {
    listed = (async () => {
      const support = new Map<string, unknown>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const answer = await client.listTools(cursor === undefined ? {} : { cursor });
        for (const tool of answer.tools) support.set(tool.name, tool.execution?.taskSupport);
        if (typeof answer.nextCursor !== "string" || answer.nextCursor === "") break;
        cursor = answer.nextCursor;
      }
      return support;
    })();
    listedSupport.set(client, listed);
    // A failed read is tried again by the next call.
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

/**
 * Calls `name` as an upstream task and resolves with its result; rejects
 * with its error. A cancellation before the upstream named the task waits
 * for its id (the creation is not abandoned, or the task would run on
 * unseen), then cancels it.
 */
export async function callAsUpstreamTask(
  client: Client,
  params: { name: string; arguments: Record<string, unknown> },
  options: TaskCallOptions,
): Promise<CallToolResult> {
  const outer = options.signal;
  const polling = new AbortController();
  let taskId: string | undefined;
  const cancel = () => {
    if (taskId === undefined) return; // sent once the id is known
    void client.experimental.tasks.cancelTask(taskId).catch(() => {});
    polling.abort(outer.reason);
  };
  outer.addEventListener("abort", cancel, { once: true });
  try {
    const stream = client.experimental.tasks.callToolStream(params, CallToolResultSchema, {
      ...options,
      signal: polling.signal,
      task: {},
    });
    for await (const message of stream) {
      if (message.type === "taskCreated") {
        taskId = message.task.taskId;
        if (outer.aborted) cancel();
      } else if (message.type === "result") return withoutRelatedTask(message.result);
      else if (message.type === "error") throw message.error;
    }
    throw new Error("The upstream task ended without a result");
  } finally {
    outer.removeEventListener("abort", cancel);
  }
}
