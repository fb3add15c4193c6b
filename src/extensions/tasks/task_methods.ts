/**
 * The tasks extension's methods (`tasks/get`, `tasks/update`, `tasks/cancel`,
 * `tasks/result`, `tasks/list`) and its tool-call hook, over a task store and
 * runner: ownership, creation, answers, cancel. Wiring them up is tasks_extension.ts.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { ServiceUnavailableError } from "../../jsonrpc/unavailable_answer.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import { hexDigest } from "../../hex.ts";
import {
  isAnonymous,
  ownerKeyOf,
  type RequestContext,
} from "../../protocol/context/request_context.ts";
import {
  eraOf,
  missingExtension,
  negotiated,
  type ToolCall,
} from "../../protocol/definitions/extensions.ts";
import { createHandlerContext } from "../../protocol/context/handler_context.ts";
import { answerProblem } from "../../protocol/schema/input_answers.ts";
import { type TaskWorkFunction, taskWorkOf } from "./run_as_task.ts";
import type { TaskRunner, TaskWork } from "./task_runner.ts";
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

/** Ready to run: the tasks extension and its runner. */
export interface Settings {
  store: TaskStore;
  ttlMs: number;
  leaseMs: number;
  pollIntervalMs: number;
  maxPerOwner: number;
  now: () => number;
  newId: () => string;
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

/** The 2025-11-25 answer to a `task: "required"` tool called without `params.task` (that revision's -32601). */
function mustBeTask(): McpError {
  return new McpError(ErrorCode.MethodNotFound, "This tool must be called as a task");
}

/** What a tool declared of tasks. */
function declarationOf(call: ToolCall): { support: string; start: string } | undefined {
  const task = call.tool?.task;
  if (task === undefined) return undefined;
  return typeof task === "string"
    ? { support: task, start: "call" }
    : { support: task.support, start: task.start ?? "call" };
}

/** The tasks of one extension instance: its methods and its tool-call hook. */
export class Tasks {
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
    // 2025-11-25 lists `execution.taskSupport` as declared: a required tool without
    // `params.task` is -32601 there, whatever its start (a 2026 client is asked at the end).
    if (!modern && !wanted && declared.support === "required") throw mustBeTask();
    if (declared.start === "handler") {
      const result = await call.run();
      const work = taskWorkOf(result);
      if (work === undefined) return result;
      const run = this.#workOf(call, work);
      return wanted ? this.#create(call, run, modern) : run(call.ctx);
    }
    if (!wanted) {
      if (declared.support === "required") throw missingExtension(TASKS_EXTENSION_ID);
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

  /**
   * Runs a store operation; a failure is reported and answered as storage unavailable (`503` +
   * `Retry-After` when it is the POST's whole answer, else `-32603` "Service Unavailable: task
   * storage is unreachable"); nothing else happens.
   */
  async #stored<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.#onError(error);
      const retryAfter = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
      throw new ServiceUnavailableError(
        "task storage is unreachable",
        typeof retryAfter === "number" ? retryAfter : 1,
      );
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
