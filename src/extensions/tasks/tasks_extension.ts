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
 * Not here: the status machine and storage (task_store.ts), running the work
 * (task_runner.ts). Progress and log notifications of a task are dropped.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import { hexDigest } from "../../hex.ts";
import { isAnonymous, ownerKeyOf, type RequestContext } from "../../protocol/context.ts";
import {
  eraOf,
  type Extension,
  type ExtensionMethod,
  missingExtension,
  negotiated,
  type ToolCall,
} from "../../protocol/extensions.ts";
import { createHandlerContext } from "../../protocol/handler_context.ts";
import { answerProblem } from "../../protocol/input_answers.ts";
import { MemoryTaskStore } from "./memory_task_store.ts";
import { type TaskWorkFunction, taskWorkOf } from "./run_as_task.ts";
import { TaskRunner, type TaskWork } from "./task_runner.ts";
import { isOrphaned, isTerminal, type StoredTask, type TaskStore } from "./task_store.ts";
import { asToolResult, detailedTask, legacyTaskResult, wireTask } from "./task_wire.ts";

/**
 * The tasks extension's identifier.
 *
 * @example
 * ```ts
 * import { TASKS_EXTENSION_ID } from "@tether/mcp/tasks";
 * console.log(TASKS_EXTENSION_ID); // "io.modelcontextprotocol/tasks"
 * ```
 */
export const TASKS_EXTENSION_ID = "io.modelcontextprotocol/tasks";

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
   * @default 3600000
   */
  ttlMs?: number;
  /**
   * The polling interval suggested to clients, ms.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * Most unfinished (`working` or `input_required`) tasks per principal; a
   * call over it is refused (`-32603`). Finished tasks do not count: the
   * store's own bounds (total tasks, total result bytes) and `ttlMs` bound them.
   * @default 100
   */
  maxTasksPerPrincipal?: number;
  /**
   * Largest result kept, UTF-8 bytes of its JSON; a larger one fails the task.
   * @default 1048576
   */
  maxResultBytes?: number;
  /**
   * How often a running task's stored record is read for a cancel or an answer given elsewhere, ms.
   * @default 250
   */
  watchIntervalMs?: number;
  /**
   * How long a running task may go without word from the instance running it
   * (which renews its lease every `watchIntervalMs` when half has passed): after
   * that, the task is answered `failed` (its instance was lost), ms.
   * @default 30000
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

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`tasks: ${name} must be a positive integer (got ${value})`);
  }
  return value;
}

/** Ready to run: the tasks extension and its runner. */
interface Settings {
  store: TaskStore;
  ttlMs: number;
  leaseMs: number;
  pollIntervalMs: number;
  maxPerOwner: number;
  now: () => number;
  newId: () => string;
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
    ttlMs: positive("ttlMs", options.ttlMs, 3_600_000),
    leaseMs: positive("leaseMs", options.leaseMs, 30_000),
    pollIntervalMs: positive("pollIntervalMs", options.pollIntervalMs, 1_000),
    maxPerOwner: positive("maxTasksPerPrincipal", options.maxTasksPerPrincipal, 100),
    now: options.now ?? Date.now,
    newId: options.generateTaskId ?? (() => crypto.randomUUID()),
  };
  const maxResultBytes = positive("maxResultBytes", options.maxResultBytes, 1_048_576);
  const watchIntervalMs = positive("watchIntervalMs", options.watchIntervalMs, 250);
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

/**
 * Who owns the tasks `ctx`'s caller creates: its principal's key, narrowed
 * by the transport's `ownerScope` when there is one (an anonymous session),
 * kept as a SHA-256 digest so the scope itself is never stored.
 */
async function ownerOf(ctx: RequestContext): Promise<string> {
  const key = ownerKeyOf(ctx.principal);
  if (ctx.ownerScope === undefined) return key;
  return `${key}:${await hexDigest("SHA-256", ctx.ownerScope)}`;
}

/** What a tool declared of tasks. */
function declarationOf(call: ToolCall): { support: string; start: string } | undefined {
  const task = call.tool?.task;
  if (task === undefined) return undefined;
  return typeof task === "string"
    ? { support: task, start: "call" }
    : { support: task.support, start: task.start ?? "call" };
}

class Tasks {
  readonly #settings: Settings;
  readonly #runner: TaskRunner;
  readonly #onError: (error: unknown) => void;

  constructor(settings: Settings, runner: TaskRunner, onError: (error: unknown) => void) {
    this.#settings = settings;
    this.#runner = runner;
    this.#onError = onError;
  }

  async aroundToolCall(call: ToolCall): Promise<Record<string, unknown>> {
    const declared = declarationOf(call);
    const modern = eraOf(call.ctx.protocolVersion) === "modern";
    if (declared === undefined) {
      if (!modern && call.tool !== undefined && call.params.task !== undefined) {
        throw new McpError(ErrorCode.MethodNotFound, "This tool cannot be called as a task");
      }
      return call.run();
    }
    const wanted = modern
      ? negotiated(call.ctx.clientCapabilities, TASKS_EXTENSION_ID)
      : isPlainObject(call.params.task);
    if (declared.start === "handler") {
      const result = await call.run();
      const work = taskWorkOf(result);
      if (work === undefined) return result;
      const run = this.#workOf(call, work);
      return wanted ? this.#create(call, run, modern) : run(call.ctx);
    }
    if (!wanted) {
      if (declared.support === "required") {
        throw modern
          ? missingExtension(TASKS_EXTENSION_ID)
          : new McpError(ErrorCode.MethodNotFound, "This tool must be called as a task");
      }
      return this.#inline(call);
    }
    return this.#create(call, (ctx) => this.#inlineWith(call, ctx), modern);
  }

  /** The call run now, a `runAsTask` result run inline (the client takes no task). */
  #inline(call: ToolCall): Promise<Record<string, unknown>> {
    return this.#inlineWith(call, call.ctx);
  }

  async #inlineWith(call: ToolCall, ctx: RequestContext): Promise<Record<string, unknown>> {
    const result = await call.run(ctx);
    const work = taskWorkOf(result);
    return work === undefined ? result : this.#workOf(call, work)(ctx);
  }

  /** A `runAsTask` work as task work: thrown McpErrors fail it, other throws are tool errors. */
  #workOf(call: ToolCall, work: TaskWorkFunction): TaskWork {
    return async (ctx) => {
      try {
        return asToolResult(await work(createHandlerContext(ctx, call.request)));
      } catch (error) {
        if (error instanceof McpError) throw error;
        return {
          content: [{ type: "text", text: error instanceof Error ? error.message : String(error) }],
          isError: true,
        };
      }
    };
  }

  /** Stores a new task (durably), starts its work, and answers with it. */
  async #create(call: ToolCall, work: TaskWork, modern: boolean) {
    const now = this.#settings.now();
    const requested = isPlainObject(call.params.task) ? call.params.task.ttl : undefined;
    const ttlMs = !modern && Number.isInteger(requested) && (requested as number) > 0
      ? Math.min(requested as number, this.#settings.ttlMs)
      : this.#settings.ttlMs;
    const task: StoredTask = {
      taskId: this.#settings.newId(),
      ownerKey: await ownerOf(call.ctx),
      status: "working",
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs,
      pollIntervalMs: this.#settings.pollIntervalMs,
      leaseUntil: now + this.#settings.leaseMs,
    };
    const created = await this.#stored(() =>
      this.#settings.store.create(task, this.#settings.maxPerOwner)
    );
    if (!created) {
      throw new McpError(
        ErrorCode.InternalError,
        "Too many tasks: wait for some to end or expire, then retry",
      );
    }
    this.#runner.start(task, call.ctx, work);
    return modern
      ? { resultType: "task", ...wireTask(task, true) }
      : { task: wireTask(task, false) };
  }

  /** The caller's task, or -32602 (unknown, expired, or someone else's: the same answer). */
  async #owned(params: Record<string, unknown>, ctx: RequestContext): Promise<StoredTask> {
    const taskId = params.taskId;
    if (typeof taskId !== "string") {
      throw new McpError(ErrorCode.InvalidParams, "taskId must be a string");
    }
    const task = await this.#stored(() => this.#settings.store.get(taskId));
    if (task === undefined || task.ownerKey !== await ownerOf(ctx)) {
      throw new McpError(ErrorCode.InvalidParams, "Unknown task");
    }
    if (!isOrphaned(task, this.#settings.now())) return task;
    // The instance running it stopped renewing its lease: it was lost, and the task with it.
    const failed = await this.#stored(() =>
      this.#settings.store.change(taskId, {
        type: "settle",
        status: "failed",
        error: {
          code: ErrorCode.InternalError,
          message: "The server instance running this task stopped before it finished",
        },
      })
    );
    return failed ?? task;
  }

  /** Runs a store operation; a failure is reported and answered -32603 (nothing else happens). */
  async #stored<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.#onError(error);
      throw new McpError(ErrorCode.InternalError, "Task storage unavailable");
    }
  }

  /** 2026-07-28 `tasks/get`: the DetailedTask. */
  async detailed(params: Record<string, unknown>, ctx: RequestContext) {
    return detailedTask(await this.#owned(params, ctx));
  }

  /** 2026-07-28 `tasks/update`: answers to the task's pending input; unknown keys are ignored. */
  async update(params: Record<string, unknown>, ctx: RequestContext) {
    const task = await this.#owned(params, ctx);
    const responses = params.inputResponses;
    if (!isPlainObject(responses) || !Object.values(responses).every(isPlainObject)) {
      throw new McpError(ErrorCode.InvalidParams, "inputResponses must be an object of objects");
    }
    // An answer to a pending request must have that request's shape; other keys are ignored.
    for (const [key, request] of Object.entries(task.inputRequests ?? {})) {
      if (!Object.hasOwn(responses, key)) continue;
      const problem = answerProblem(request.method, responses[key] as Record<string, unknown>);
      if (problem !== undefined) {
        throw new McpError(ErrorCode.InvalidParams, `Invalid inputResponses entry: ${problem}`);
      }
    }
    await this.#stored(() =>
      this.#settings.store.change(task.taskId, {
        type: "answer",
        responses: responses as Record<string, Record<string, unknown>>,
      })
    );
    await this.#runner.poke(task.taskId).catch(this.#onError);
    return {};
  }

  /** `tasks/cancel`: 2026-07-28 acks (also on a terminal task); 2025-11-25 answers the task. */
  async cancel(params: Record<string, unknown>, ctx: RequestContext) {
    const task = await this.#owned(params, ctx);
    const modern = eraOf(ctx.protocolVersion) === "modern";
    if (!modern && isTerminal(task.status)) {
      throw new McpError(ErrorCode.InvalidParams, `Task already ${task.status}`);
    }
    const after = await this.#stored(() =>
      this.#settings.store.change(task.taskId, { type: "settle", status: "cancelled" })
    );
    await this.#runner.poke(task.taskId).catch(this.#onError);
    return modern ? {} : wireTask(after ?? task, false);
  }

  /** 2025-11-25 `tasks/get`: the Task. */
  async legacyStatus(params: Record<string, unknown>, ctx: RequestContext) {
    return wireTask(await this.#owned(params, ctx), false);
  }

  /**
   * 2025-11-25 `tasks/list`: the caller's live tasks; none for an anonymous caller without a
   * session (stateless 2025 mode): its tasks are reachable only by their ids, as in 2026-07-28.
   */
  async legacyList(ctx: RequestContext) {
    if (isAnonymous(ctx.principal) && ctx.ownerScope === undefined) return { tasks: [] };
    const owner = await ownerOf(ctx);
    const owned = await this.#stored(() => this.#settings.store.list(owner));
    return { tasks: owned.map((task) => wireTask(task, false)) };
  }

  /** 2025-11-25 `tasks/result`: waits for the end, then the result (or the error). */
  async legacyResult(params: Record<string, unknown>, ctx: RequestContext) {
    let task = await this.#owned(params, ctx);
    while (!isTerminal(task.status)) {
      await pause(Math.min(task.pollIntervalMs, 250), ctx.signal);
      task = await this.#owned(params, ctx);
    }
    if (task.status === "failed") {
      const error = task.error ?? { code: ErrorCode.InternalError, message: "Task failed" };
      throw new McpError(error.code, error.message, error.data);
    }
    if (task.status === "cancelled") {
      throw new McpError(ErrorCode.InvalidParams, "Task was cancelled");
    }
    return legacyTaskResult(task);
  }
}

/** Waits `ms`, or rejects when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new McpError(ErrorCode.RequestFailed, "Cancelled"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new McpError(ErrorCode.RequestFailed, "Cancelled"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
