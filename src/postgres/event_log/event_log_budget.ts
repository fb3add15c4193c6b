/**
 * The namespace's byte budget as one Postgres event log keeps to it. Every write adds its bytes
 * to this instance's own row of `tether_event_budget` in its own transaction (the total is the
 * sum of the rows, exact in every snapshot: event_log_append_schema.ts), so no row takes every
 * instance's writes. Reading that sum costs a row per instance, so an instance reads it once
 * its writes since the last look reach a chunk (the smaller of 1 MiB and a 64th of
 * `maxTotalBytes`), and then, while the total is over `maxTotalBytes`, evicts the streams
 * written least recently (`tether_event_evict`). The total passes the budget by at most a chunk
 * per instance writing at once. It writes no events (postgres_event_log.ts does).
 * @module
 */

import type { PostgresGate } from "../connection/postgres_gate.ts";

/** Rounds of eviction one look runs at most (each takes up to 64 streams). */
const MAX_EVICT_ROUNDS = 8;

/**
 * The bytes an instance writes between two looks at the namespace's total: the smaller of 1 MiB
 * and a 64th of the budget (at least 1).
 *
 * @example
 * ```ts
 * import { lookEvery } from "./event_log_budget.ts";
 * lookEvery(256 * 2 ** 20); // 1048576
 * lookEvery(6_400); // 100
 * ```
 */
export function lookEvery(maxTotalBytes: number): number {
  return Math.max(1, Math.min(2 ** 20, Math.floor(maxTotalBytes / 64)));
}

/** What an {@linkcode EventBudget} works with. */
export interface EventBudgetOptions {
  gate: PostgresGate;
  namespace: string;
  maxTotalBytes: number;
}

/**
 * One instance's watch on the namespace's event bytes (see the module doc).
 *
 * @example
 * ```ts ignore (internal: the event log makes one on the backend's gate)
 * const budget = new EventBudget({ gate, namespace, maxTotalBytes });
 * await budget.written(bytesAddedByTheWrite, streamRowId);
 * ```
 */
export class EventBudget {
  readonly #options: EventBudgetOptions;
  readonly #every: number;
  /** Bytes this instance added since its last look. */
  #since = 0;
  /** The look in progress (one at a time: writes meanwhile count towards the next). */
  #looking: Promise<void> | undefined;
  /** How many looks have begun. */
  #started = 0;

  /** A watch on `options.namespace`'s bytes. */
  constructor(options: EventBudgetOptions) {
    this.#options = options;
    this.#every = lookEvery(options.maxTotalBytes);
  }

  /**
   * Counts a write's bytes (`delta`, negative when it freed more than it added); once they
   * reach a chunk, looks at the total and evicts while it is over the budget, `stream` (the
   * row id written) last, before resolving; again while the bytes written meanwhile reach a
   * chunk.
   */
  async written(delta: number, stream: string): Promise<void> {
    if (delta <= 0) return;
    this.#since += delta;
    // A look that began before this write may have read the total without it: wait for it, and
    // then, while the bytes written meanwhile reach a chunk, for a look that began after it.
    const before = this.#started;
    while (this.#since >= this.#every) {
      const running = this.#looking;
      if (running !== undefined) {
        const number = this.#started;
        await running;
        if (number > before) return;
        continue;
      }
      this.#since = 0;
      this.#started++;
      const look = this.#look(stream);
      this.#looking = look;
      try {
        await look;
      } finally {
        this.#looking = undefined;
      }
      return;
    }
  }

  async #look(stream: string): Promise<void> {
    const { gate, namespace, maxTotalBytes } = this.#options;
    const rows = await gate.run(
      "event log",
      (sql) => sql`SELECT tether_event_over(${namespace}, ${maxTotalBytes}) AS over`,
    );
    let over = Number(rows[0]?.over ?? 0);
    for (let round = 0; over > 0 && round < MAX_EVICT_ROUNDS; round++) {
      const evicted = await gate.run(
        "event log",
        (sql) => sql`SELECT tether_event_evict(${namespace}, ${stream}, ${maxTotalBytes}) AS over`,
      );
      const next = Number(evicted[0]?.over ?? 0);
      if (next >= over) break; // nothing more to take now (the rest is being written)
      over = next;
    }
  }
}
