/**
 * What one downstream call takes from its upstream session while it runs:
 * progress and log messages up to a count each, and upstream→client
 * requests (elicitation, sampling, roots) up to a number in flight. The
 * excess is dropped (notifications) or refused (requests) and counted. It
 * does not route: upstream_connection.ts finds the call a message belongs to.
 * @module
 */

import type { HandlerContext } from "../protocol/context/request_context.ts";
import type { LoggingLevel } from "../protocol/context/logging.ts";

/** Per-call bounds on what is relayed. */
export interface RelayBounds {
  /** Progress notifications relayed for one call. */
  maxProgress: number;
  /** Log messages relayed for one call. */
  maxLogs: number;
  /** Upstream→client requests of one call in flight at once. */
  maxOutstanding: number;
}

/**
 * The relay of one downstream call (`ctx`): counts what it passed on, and
 * tells `dropped` of each message it did not.
 *
 * @example
 * ```ts ignore (internal: needs a running tools/call's context)
 * const relay = new CallRelay(ctx, { maxProgress: 1_000, maxLogs: 1_000, maxOutstanding: 4 }, () => dropped++);
 * relay.progress(1, 2);
 * ```
 */
export class CallRelay {
  /** The downstream call. */
  readonly ctx: HandlerContext;
  /** The upstream requests (JSON-RPC ids) sent for this call. */
  readonly requestIds: (string | number)[] = [];
  readonly #bounds: RelayBounds;
  readonly #dropped: () => void;
  #progress = 0;
  #logs = 0;
  #outstanding = 0;

  /** The relay of `ctx`'s call within `bounds`; `dropped` is told of each message not passed on. */
  constructor(ctx: HandlerContext, bounds: RelayBounds, dropped: () => void) {
    this.ctx = ctx;
    this.#bounds = bounds;
    this.#dropped = dropped;
  }

  /** Relays a progress notification, or drops it past `maxProgress`. */
  progress(progress: number, total?: number, message?: string): void {
    if (++this.#progress > this.#bounds.maxProgress) return this.#dropped();
    this.ctx.progress(progress, total, message?.slice(0, 4_096)).catch(() => {});
  }

  /** Relays a log message, or drops it past `maxLogs` (or when the downstream cannot take it). */
  async log(level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
    if (++this.#logs > this.#bounds.maxLogs) return this.#dropped();
    try {
      await this.ctx.log(level, data, logger);
    } catch {
      // a log the downstream cannot take is not worth failing the call for
    }
  }

  /**
   * Runs an upstream→client request's relay, or returns `refused` (after
   * counting it) when `maxOutstanding` of this call's are in flight.
   */
  async request<T>(relay: () => Promise<T>, refused: () => never): Promise<T> {
    if (this.#outstanding >= this.#bounds.maxOutstanding) {
      this.#dropped();
      refused();
    }
    this.#outstanding++;
    try {
      return await relay();
    } finally {
      this.#outstanding--;
    }
  }
}
