/**
 * The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663), built on
 * the extension surface: a tool declared with `task` runs as a task when the
 * client can take one, and the client follows it by polling.
 *
 * - 2026-07-28: server-directed creation when the request's capabilities
 *   declare the extension (flat `CreateTaskResult`, `resultType: "task"`);
 *   `tasks/get` (status, inlined `result` or `error`, `inputRequests`),
 *   `tasks/update` (answers), `tasks/cancel` (idempotent ack), all routed by
 *   `Mcp-Name: <taskId>` and refused with `-32021` without the extension. A
 *   `task: "required"` tool is refused with `-32021` to such a client.
 * - 2025-11-25 (the sessionful revisions' experimental tasks): creation when
 *   `tools/call` carries `params.task`; `tasks/get`, `tasks/result` (waits
 *   for the end), `tasks/list`, `tasks/cancel`, advertised as `capabilities.tasks`.
 *   As that revision says, a `task: "required"` tool called without
 *   `params.task`, and a tool without task support called with it, answer
 *   `-32601`. (2026-07-28 has no `params.task`: there it is ignored.)
 *
 * Tasks belong to the principal that created them: for anyone else a task
 * does not exist (`-32602`, the same answer as an unknown id). Anonymous
 * callers are told apart by the transport's `ownerScope`: on the sessionful
 * revisions each anonymous session owns its tasks (lists and reads only
 * its own); in 2026-07-28 (no session, no `tasks/list`) and in the stateless
 * mode for 2025 clients (no session: `tasks/list` lists none) an anonymous
 * task is reachable only by its unguessable id. A store that
 * fails fails the request closed (`-32603`), starting or changing nothing.
 * Here the options and the wiring; the methods are task_methods.ts. Not here:
 * the status machine and storage (task_store.ts), running the work
 * (task_runner.ts). Progress and log notifications of a task are dropped.
 * @module
 */

import {
  eraOf,
  type Extension,
  type ExtensionMethod,
  missingExtension,
  negotiated,
} from "../../protocol/definitions/extensions.ts";
import { MemoryTaskStore } from "./memory_task_store.ts";
import { TASKS_DEFAULTS } from "./tasks_defaults.ts";
import { TaskRunner } from "./task_runner.ts";
import type { TaskStore } from "./task_store.ts";
import { type Settings, Tasks, TASKS_EXTENSION_ID } from "./task_methods.ts";

export { TASKS_EXTENSION_ID } from "./task_methods.ts";

/**
 * Options of {@linkcode tasksExtension}.
 *
 * @example
 * ```ts
 * import { type TasksOptions } from "@tether/mcp/tasks";
 * const options: TasksOptions = { ttlMs: 10 * 60_000, pollIntervalMs: 500 };
 * ```
 */
export interface TasksOptions {
  /**
   * Where tasks are kept; share one (Redis) so any instance answers for any task.
   * A store given here is not closed by `handler.close()`.
   * @default a MemoryTaskStore (closed with the handler)
   */
  store?: TaskStore;
  /**
   * How long a task is kept after its creation, ms (its result too).
   * @default {3_600_000}
   */
  ttlMs?: number;
  /**
   * The polling interval suggested to clients, ms.
   * @default {1_000}
   */
  pollIntervalMs?: number;
  /**
   * Most unfinished (`working` or `input_required`) tasks per principal; a
   * call over it is refused (`-32603`). Finished tasks do not count: the
   * store's own bounds (total tasks, total result bytes) and `ttlMs` bound them.
   * @default {100}
   */
  maxTasksPerPrincipal?: number;
  /**
   * Largest result kept, UTF-8 bytes of its JSON; a larger one fails the task.
   * @default {1_048_576}
   */
  maxResultBytes?: number;
  /**
   * How often a running task's stored record is read for a cancel or an answer given elsewhere, ms.
   * @default {250}
   */
  watchIntervalMs?: number;
  /**
   * How long a running task may go without word from the instance running it
   * (which renews its lease every `watchIntervalMs` when half has passed): after
   * that, the task is answered `failed` (its instance was lost), ms.
   * @default {30_000}
   */
  leaseMs?: number;
  /**
   * Given each task's run (a promise that settles when the task ends) as it
   * starts, on a host that ends a request's work with its response unless
   * told otherwise: on Cloudflare Workers without a Durable Object, pass
   * `waitUntil` (`import { waitUntil } from "cloudflare:workers"`), so the
   * task runs on past the `tools/call` that created it (Cloudflare allows
   * 30 s past the response there; longer work needs a Durable Object).
   * Not needed on Deno, Bun, Node or in a Durable Object.
   * @default none
   */
  keepAlive?: (work: Promise<void>) => void;
  /**
   * The clock (ms).
   * @default Date.now
   */
  now?: () => number;
  /**
   * Task ids (unguessable: they are not secrets, but need not be).
   * @default crypto.randomUUID
   */
  generateTaskId?: () => string;
}

const DEFAULT = TASKS_DEFAULTS.TasksOptions;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`tasks: ${name} must be a positive integer (got ${value})`);
  }
  return value;
}

/**
 * The tasks extension, for `createMcpHandler({ extensions: [tasksExtension()] })`.
 *
 * @example
 * ```ts
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import { tasksExtension } from "@tether/mcp/tasks";
 * const handler = createMcpHandler({
 *   name: "jobs",
 *   version: "1.0.0",
 *   extensions: [tasksExtension({ ttlMs: 15 * 60_000 })],
 *   tools: [defineTool({
 *     name: "crunch",
 *     task: "optional",
 *     handler: async (_input, ctx) => {
 *       await new Promise((resolve) => setTimeout(resolve, 10));
 *       return ctx.signal.aborted ? "stopped" : "crunched";
 *     },
 *   })],
 * });
 * ```
 */
export function tasksExtension(options: TasksOptions = {}): Extension {
  const settings: Settings = {
    store: options.store ?? new MemoryTaskStore({ now: options.now }),
    ttlMs: positive("ttlMs", options.ttlMs, DEFAULT.ttlMs),
    leaseMs: positive("leaseMs", options.leaseMs, DEFAULT.leaseMs),
    pollIntervalMs: positive("pollIntervalMs", options.pollIntervalMs, DEFAULT.pollIntervalMs),
    maxPerOwner: positive(
      "maxTasksPerPrincipal",
      options.maxTasksPerPrincipal,
      DEFAULT.maxTasksPerPrincipal,
    ),
    now: options.now ?? Date.now,
    newId: options.generateTaskId ?? (() => crypto.randomUUID()),
  };
  const maxResultBytes = positive("maxResultBytes", options.maxResultBytes, DEFAULT.maxResultBytes);
  const watchIntervalMs = positive(
    "watchIntervalMs",
    options.watchIntervalMs,
    DEFAULT.watchIntervalMs,
  );
  let onError: (error: unknown) => void = (error) => console.error(error);
  const runner = new TaskRunner({
    store: settings.store,
    maxResultBytes,
    watchIntervalMs,
    leaseMs: settings.leaseMs,
    now: settings.now,
    onError: (error) => onError(error),
    keepAlive: options.keepAlive,
  });
  const tasks = new Tasks(settings, runner, (error) => onError(error));
  const modern = { eras: ["modern"], nameParam: "taskId", requiresNegotiation: true } as const;
  const legacy = { eras: ["legacy"] } as const;
  const methods: Record<string, ExtensionMethod> = {
    "tasks/get": {
      nameParam: "taskId",
      handle: (params, ctx) =>
        eraOf(ctx.protocolVersion) === "modern"
          ? tasks.detailed(params, ctx)
          : tasks.legacyStatus(params, ctx),
    },
    "tasks/cancel": {
      nameParam: "taskId",
      handle: (params, ctx) => tasks.cancel(params, ctx),
    },
    "tasks/update": { ...modern, handle: (params, ctx) => tasks.update(params, ctx) },
    "tasks/result": { ...legacy, handle: (params, ctx) => tasks.legacyResult(params, ctx) },
    "tasks/list": { ...legacy, handle: (_params, ctx) => tasks.legacyList(ctx) },
  };
  // tasks/get and tasks/cancel need the extension in 2026-07-28 only (the 2025 client opts in per call).
  for (const name of ["tasks/get", "tasks/cancel"]) {
    const method = methods[name];
    const handle = method.handle;
    methods[name] = {
      ...method,
      handle: (params, ctx, request) => {
        if (
          eraOf(ctx.protocolVersion) === "modern" &&
          !negotiated(ctx.clientCapabilities, TASKS_EXTENSION_ID)
        ) throw missingExtension(TASKS_EXTENSION_ID);
        return handle(params, ctx, request);
      },
    };
  }
  return {
    id: TASKS_EXTENSION_ID,
    legacyCapabilities: {
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    },
    methods,
    attach: (host) => {
      onError = host.onError;
    },
    aroundToolCall: (call) => tasks.aroundToolCall(call),
    close: async () => {
      runner.close();
      // A store given in the options is its owner's to close (it may serve other handlers).
      if (options.store === undefined) await settings.store.close?.();
    },
  };
}
