/**
 * Runs tasks in this process: each task's work gets a context of its own
 * (its signal aborts on `tasks/cancel` or `close()`; `ctx.elicit` and the
 * other client requests park the task in `input_required` until
 * `tasks/update` answers), and its outcome settles the stored task, bounded
 * in size. One timer watches the store for what another instance changed
 * (a cancel, an answer) and renews the leases of the tasks running here,
 * only while tasks run here; a store that tells of changes (`watch`) has
 * them read at once, the timer still polling behind it. A store that fails is reported to `onError`
 * once per outage, not once per task per tick, and once more when a whole
 * tick reads it again without a failure; tasks meanwhile run on and fail
 * closed as ever (what the store cannot keep is not kept). Not here: the wire
 * (tasks_extension.ts) and keeping tasks (the store).
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { JsonRpcNotification } from "../../jsonrpc/messages.ts";
import { exceedsUtf8Bytes } from "../../jsonrpc/utf8_length.ts";
import type {
  OutboundRequestOptions,
  Principal,
  RequestContext,
} from "../../protocol/context/request_context.ts";
import type { SessionState } from "../../protocol/context/session_state.ts";
import { isModernProtocolVersion } from "../../protocol/eras.ts";
import { CAPABILITY_OF } from "../../protocol/context/handler_context.ts";
import type { LoggingLevel } from "../../protocol/context/logging.ts";
import type { ClientCapabilities, Implementation } from "../../protocol/types.ts";
import { unrefTimer } from "../../runtime.ts";
import { isTerminal, type StoredTask, type TaskStore } from "./task_store.ts";

/** The work of one task: the tool call, run with the task's context. */
export type TaskWork = (ctx: RequestContext) => Promise<Record<string, unknown>>;

/** What the runner needs. */
export interface TaskRunnerOptions {
  store: TaskStore;
  /** Largest result kept, UTF-8 bytes of its JSON; a larger one fails the task. */
  maxResultBytes: number;
  /** How often the store is read for changes made elsewhere, ms. */
  watchIntervalMs: number;
  /** How long a running task's lease lasts; it is renewed when half has passed, ms. */
  leaseMs: number;
  /** The clock (ms). */
  now: () => number;
  onError: (error: unknown) => void;
  /** Given each task's run as it starts (see `TasksOptions.keepAlive`). */
  keepAlive?: (work: Promise<void>) => void;
}

interface Waiter {
  resolve: (answer: Record<string, unknown>) => void;
  reject: (error: unknown) => void;
}

/** One task running here. */
interface Running {
  controller: AbortController;
  /** The tool's requests waiting for an answer, by key. */
  waiters: Map<string, Waiter>;
}

/** The tasks running in this process. */
export class TaskRunner {
  readonly #options: TaskRunnerOptions;
  readonly #running = new Map<string, Running>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #ticking = false;
  /** True from a failed store operation until a tick that fails none: the outage already reported. */
  #storeDown = false;

  /** A runner over `options.store`. */
  constructor(options: TaskRunnerOptions) {
    this.#options = options;
  }

  /** How many tasks run here now. */
  get size(): number {
    return this.#running.size;
  }

  /** Starts `work` for a stored task, in the background; `base` is the creating request's context. */
  start(task: StoredTask, base: RequestContext, work: TaskWork): void {
    const running: Running = { controller: new AbortController(), waiters: new Map() };
    if (this.#closed) running.controller.abort("server-closed");
    this.#running.set(task.taskId, running);
    this.#watch();
    const ctx = new TaskRequestContext(base, running, task.taskId, this);
    // Changes made elsewhere are read at once when the store can tell of them, else at the tick.
    const unwatch = this.#options.store.watch?.(task.taskId, () => {
      this.poke(task.taskId).catch((error) => this.#storeFailed(error));
    });
    const run = this.#run(task.taskId, running, ctx, work).finally(() => unwatch?.());
    const keepAlive = this.#options.keepAlive;
    if (keepAlive === undefined) return;
    try {
      keepAlive(run);
    } catch (error) {
      this.#options.onError(error);
    }
  }

  async #run(taskId: string, running: Running, ctx: RequestContext, work: TaskWork) {
    let outcome: Parameters<TaskStore["change"]>[1];
    try {
      const result = await work(ctx);
      outcome = exceedsUtf8Bytes(JSON.stringify(result), this.#options.maxResultBytes)
        ? {
          type: "settle",
          status: "failed",
          error: {
            code: ErrorCode.InternalError,
            message: `Task result over ${this.#options.maxResultBytes} bytes`,
          },
        }
        : { type: "settle", status: "completed", result };
    } catch (error) {
      if (!(error instanceof McpError)) this.#options.onError(error);
      const shaped = error instanceof McpError
        ? { code: error.code, message: error.message, data: error.data }
        : { code: ErrorCode.InternalError, message: "Internal error" };
      if (shaped.data === undefined) delete shaped.data;
      outcome = { type: "settle", status: "failed", error: shaped };
    } finally {
      this.#running.delete(taskId);
      for (const waiter of running.waiters.values()) {
        waiter.reject(new McpError(ErrorCode.RequestFailed, "The task has ended"));
      }
      if (this.#running.size === 0) this.#unwatch();
    }
    // A cancelled task stays cancelled: settling a terminal task changes nothing.
    try {
      await this.#options.store.change(taskId, outcome);
    } catch (error) {
      this.#storeFailed(error);
    }
  }

  /** Reports a failed store operation, unless this outage was already reported. */
  #storeFailed(error: unknown): void {
    if (this.#storeDown) return;
    this.#storeDown = true;
    this.#options.onError(error);
  }

  /** Reports, once, that the store answers again after an outage. */
  #storeAnswered(): void {
    if (!this.#storeDown) return;
    this.#storeDown = false;
    this.#options.onError(new TaskStoreRecoveredError());
  }

  /** Asks the client for input on behalf of a task and waits for the answer. */
  async ask(
    taskId: string,
    running: Running,
    key: string,
    method: string,
    params: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      running.waiters.set(key, { resolve, reject });
    });
    // An unhandled rejection is not wanted if the store fails below.
    answer.catch(() => {});
    const task = await this.#options.store.change(taskId, {
      type: "ask",
      key,
      request: { method, params },
    });
    if (task === undefined || isTerminal(task.status)) {
      running.waiters.delete(key);
      throw new McpError(ErrorCode.RequestFailed, "The task has ended");
    }
    return await answer;
  }

  /** Looks at one task here now (a local `tasks/cancel` or `tasks/update` just changed it). */
  async poke(taskId: string): Promise<void> {
    const running = this.#running.get(taskId);
    if (running === undefined) return;
    const task = await this.#options.store.get(taskId);
    await this.#apply(taskId, running, task);
  }

  /** Aborts every task running here (the handler closes); their stored status stays as it is. */
  close(): void {
    this.#closed = true;
    for (const running of this.#running.values()) running.controller.abort("server-closed");
    this.#unwatch();
  }

  async #apply(taskId: string, running: Running, task: StoredTask | undefined): Promise<void> {
    if (task === undefined || isTerminal(task.status)) {
      running.controller.abort(task?.status === "cancelled" ? "cancelled" : "task-gone");
      return;
    }
    const now = this.#options.now();
    const { leaseMs } = this.#options;
    if (task.leaseUntil !== undefined && task.leaseUntil - now < leaseMs / 2) {
      await this.#options.store.change(taskId, { type: "renew", leaseUntil: now + leaseMs });
    }
    const answers = task.inputResponses ?? {};
    const taken = Object.keys(answers).filter((key) => running.waiters.has(key));
    if (taken.length === 0) return;
    await this.#options.store.change(taskId, { type: "take", keys: taken });
    for (const key of taken) {
      // A poke and a tick may both have read the answer: the first to get here hands it over.
      const waiter = running.waiters.get(key);
      if (waiter === undefined) continue;
      running.waiters.delete(key);
      waiter.resolve(answers[key]);
    }
  }

  #watch(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.#tick(), this.#options.watchIntervalMs);
    unrefTimer(this.#timer);
  }

  #unwatch(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    // A slow store never stacks reads: a tick that is still reading skips the next.
    if (this.#ticking) return;
    this.#ticking = true;
    let failed = false;
    try {
      for (const [taskId, running] of this.#running) {
        try {
          await this.#apply(taskId, running, await this.#options.store.get(taskId));
        } catch (error) {
          failed = true;
          this.#storeFailed(error);
        }
      }
      if (!failed) this.#storeAnswered();
    } finally {
      this.#ticking = false;
    }
  }
}

/**
 * Reported to `onError` once when the task store answers a whole watch tick
 * again after failing (the failure that began the outage was reported once).
 *
 * @example
 * ```ts
 * import { TaskStoreRecoveredError } from "@tether/mcp/tasks";
 * const onError = (error: unknown) => {
 *   if (error instanceof TaskStoreRecoveredError) console.info(error.message);
 *   else console.error(error);
 * };
 * ```
 */
export class TaskStoreRecoveredError extends Error {
  /** The notice; no details needed. */
  constructor() {
    super("The task store answers again: running tasks are watched again");
    this.name = "TaskStoreRecoveredError";
  }
}

/**
 * The {@linkcode RequestContext} of a task's work: the creating request's
 * identity and capabilities, the task's own signal, client requests through
 * the task's input, and no stream (notifications are dropped: a task is
 * followed by polling).
 */
class TaskRequestContext implements RequestContext {
  readonly #base: RequestContext;
  readonly #running: Running;
  readonly #taskId: string;
  readonly #runner: TaskRunner;
  readonly #ordinals = new Map<string, number>();

  constructor(base: RequestContext, running: Running, taskId: string, runner: TaskRunner) {
    this.#base = base;
    this.#running = running;
    this.#taskId = taskId;
    this.#runner = runner;
  }

  get protocolVersion(): string {
    return this.#base.protocolVersion;
  }
  get clientCapabilities(): ClientCapabilities {
    return this.#base.clientCapabilities;
  }
  get clientInfo(): Implementation | undefined {
    return this.#base.clientInfo;
  }
  get principal(): Principal {
    return this.#base.principal;
  }
  get session(): SessionState | undefined {
    return this.#base.session;
  }
  get ownerScope(): string | undefined {
    return this.#base.ownerScope;
  }
  get logLevel(): LoggingLevel | undefined {
    return this.#base.logLevel;
  }
  get signal(): AbortSignal {
    return this.#running.controller.signal;
  }

  notify(_notification: JsonRpcNotification): Promise<void> {
    return Promise.resolve();
  }

  request(
    method: string,
    params: Record<string, unknown>,
    options?: OutboundRequestOptions,
  ): Promise<Record<string, unknown>> {
    if (!isModernProtocolVersion(this.protocolVersion)) {
      // The sessionful revisions' tasks have no way to answer (no tasks/update): fail at once
      // rather than park the task until its TTL.
      return Promise.reject(
        new McpError(
          ErrorCode.RequestFailed,
          `${method} is not available to a task in protocol version ${this.protocolVersion}`,
        ),
      );
    }
    const kind = CAPABILITY_OF[method];
    if (kind === undefined) {
      return Promise.reject(
        new McpError(ErrorCode.InvalidRequest, `${method} cannot be asked of the client`),
      );
    }
    if (this.clientCapabilities[kind] === undefined) {
      return Promise.reject(
        new McpError(
          ErrorCode.MissingRequiredClientCapability,
          `The client did not declare the ${kind} capability`,
          { requiredCapabilities: { [kind]: {} } },
        ),
      );
    }
    const ordinal = (this.#ordinals.get(kind) ?? 0) + 1;
    this.#ordinals.set(kind, ordinal);
    const key = options?.key ?? `${kind}-${ordinal}`;
    const signal = this.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new McpError(ErrorCode.RequestFailed, "The task was stopped"));
      signal.addEventListener("abort", onAbort, { once: true });
      this.#runner.ask(this.#taskId, this.#running, key, method, params).then(resolve, reject)
        .finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  setLogLevel(): Promise<void> {
    return Promise.reject(new McpError(ErrorCode.InvalidRequest, "Not available in a task"));
  }
  subscribe(): Promise<void> {
    return this.setLogLevel();
  }
  unsubscribe(): Promise<void> {
    return this.setLogLevel();
  }
}
