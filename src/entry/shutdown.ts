/**
 * `close()`: the handler's shutdown. New requests get 503 at once; listening
 * streams end; work in flight may finish during a grace (draining: replies
 * and cancellations still reach it); then what still runs is aborted, given
 * a bounded time to return, and reported to `onError` when it does not.
 * It does not refuse requests itself: the entry reads {@linkcode Shutdown.closed}
 * and {@linkcode Shutdown.draining} and answers with {@linkcode closingRefusal}.
 * @module
 */

import type { KeepAlive } from "../http/sse/keep_alive.ts";
import type { BodyReads } from "../http/body/read_body.ts";
import { type Refusal, refuse } from "../http/refusal.ts";
import type { Era } from "../era.ts";
import { drained, settledWithin } from "../http/drained.ts";
import { afterThisTask, MAX_TIMER_MS, realScheduler, type Scheduler } from "../runtime.ts";

/**
 * Options of `McpHandler.close()`.
 *
 * @example
 * ```ts
 * import { type CloseOptions, createMcpHandler } from "@tether/mcp";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
 * const drain: CloseOptions = { graceMs: 10_000 };
 * await handler.close(drain);
 * ```
 */
export interface CloseOptions {
  /**
   * How long work in flight may go on finishing before it is aborted, ms.
   * Default 0: abort at once.
   */
  graceMs?: number;
}

/** How long aborted work may take to return before `close({ graceMs })` reports it and resolves anyway, ms. */
const AFTER_ABORT_MS = 1_000;
/** Requests named one by one in that report (the count covers the rest). */
const MAX_REPORTED_REQUESTS = 20;
/** `Retry-After` of a closing handler's 503: another instance (or this one, restarted) can take the request. */
const CLOSING_RETRY_AFTER_SECONDS = 1;

/** The 503 of a closing handler. */
export function closingRefusal(): Refusal {
  return refuse(503, "Service Unavailable: server is shutting down", {
    headers: { "retry-after": String(CLOSING_RETRY_AFTER_SECONDS) },
    step: "closing",
  });
}

/** What a shutdown ends. */
export interface ShutdownParts {
  /** The handler's eras: each drains, aborts, closes and disposes its own. */
  eras: readonly Era[];
  keepAlive: KeepAlive;
  bodyReads: BodyReads;
  /** Closes the extensions (their background work: tasks). */
  closeExtensions: () => Promise<void>;
  onError: (error: unknown) => void;
  /** Called first, when the handler starts closing (it stops hearing the other instances). */
  onClosing: () => void;
  /** The clock and timers of the grace and of the wait for aborted work (tests advance them); default the runtime's. */
  scheduler?: Scheduler;
}

/** One handler's shutdown: its state (closed, draining) and `close()`. */
export class Shutdown {
  /** True once `close()` was called: new requests get 503, the health path too. */
  closed = false;
  /** True during close({ graceMs })'s grace: POSTs that carry no request (replies, cancellations) still serve work in flight. */
  draining = false;
  readonly #parts: ShutdownParts;
  #closing: Promise<void> | undefined;

  /** A shutdown of `parts`, not begun. */
  constructor(parts: ShutdownParts) {
    this.#parts = parts;
  }

  /** See `McpHandler.close`; every call after the first gets the first's promise. */
  close(options: CloseOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? 0;
    if (!(graceMs >= 0) || graceMs > MAX_TIMER_MS) {
      return Promise.reject(
        new RangeError(`close(): graceMs must be a number from 0 to ${MAX_TIMER_MS}`),
      );
    }
    return this.#closing ??= this.#shutDown(graceMs, options.graceMs !== undefined);
  }

  /** Work still running in the eras. */
  #running = (): number => {
    let count = 0;
    for (const era of this.#parts.eras) count += era.running();
    return count;
  };

  /**
   * `graceful`: close({ graceMs }) was asked for, so aborted work is waited
   * for (at most AFTER_ABORT_MS, resource disposal included) and reported.
   */
  async #shutDown(graceMs: number, graceful: boolean): Promise<void> {
    const { eras, keepAlive, bodyReads } = this.#parts;
    const scheduler = this.#parts.scheduler ?? realScheduler;
    this.closed = true; // from now on: 503 for new requests, health 503
    this.#parts.onClosing();
    this.draining = graceMs > 0;
    for (const era of eras) era.timer?.stop();
    // Subscriptions hold no work: they end now (2026 listen streams get their result frame).
    // The grace ends early only when every era's answers are out.
    await Promise.all(eras.map((era) => era.drain(this.draining ? graceMs : 0)));
    this.draining = false;
    // Bodies still arriving (a reply the grace did not need after all) are answered 503.
    bodyReads.cancelAll();
    const abortedAt = scheduler.now();
    // Sessionful calls still running are answered now with an error (the server is shutting
    // down); a graceful close lets those answers be logged and written before the streams end.
    for (const era of eras) era.abort("server-closed");
    const extensionsClosed = this.#parts.closeExtensions();
    if (graceful) await afterThisTask();
    await Promise.all(eras.map((era) => era.close(graceful ? AFTER_ABORT_MS : 0)));
    keepAlive.stop();
    // Bounded per resource; failures go to onError.
    const disposed = Promise.all(eras.map((era) => era.dispose()));
    if (!graceful) {
      await disposed;
    } else {
      const left = Math.max(0, AFTER_ABORT_MS - (scheduler.now() - abortedAt));
      const [, done] = await Promise.all([
        settledWithin(disposed, left, scheduler),
        drained(left, this.#running, scheduler),
      ]);
      if (!done) this.#parts.onError(this.#stillRunning());
    }
    await extensionsClosed;
    // The store an era made for itself (an application's store stays open).
    for (const era of this.#parts.eras) await era.closeStore?.();
  }

  /** What close() reports when aborted work has not returned: how many, and each one's method and id. */
  #stillRunning(): Error {
    const named: string[] = [];
    const counts: string[] = [];
    for (const era of this.#parts.eras) {
      const running = era.describeRunning();
      named.push(...running);
      counts.push(`${running.length} ${era.label}`);
    }
    const listed = named.slice(0, MAX_REPORTED_REQUESTS).join(", ");
    const more = named.length > MAX_REPORTED_REQUESTS
      ? `, and ${named.length - MAX_REPORTED_REQUESTS} more`
      : "";
    return new Error(
      `close(): ${named.length} request(s) still running ${AFTER_ABORT_MS} ms after they were ` +
        `aborted (${counts.join(", ")}; their tools ignore ctx.signal): ${listed}${more}`,
    );
  }
}
