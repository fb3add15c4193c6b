/**
 * Deadlines for work whose client is gone. Each orphan gets `timeoutMs` to
 * be adopted (its client resumes the stream, or the work finishes) before it
 * is abandoned. Every orphan waits the same time, so deadlines fall in the
 * order orphans were watched: one insertion-ordered set and one timer serve
 * them all, however many there are. It only calls back; it does not know
 * what the work is or how to abort it. Its clock and timer are the
 * handler's `scheduler` (the runtime's by default).
 * @module
 */

import { realScheduler, type Scheduler, unrefTimer } from "../../runtime.ts";

interface Orphan {
  deadline: number;
  onAbandoned: () => void;
}

/** One timer for the deadlines of all orphaned work. */
export class OrphanWatch {
  /** How long an orphan may wait to be adopted, ms. */
  readonly timeoutMs: number;
  #scheduler: Scheduler;
  /** Insertion order is deadline order (every orphan waits `timeoutMs`). */
  #orphans = new Set<Orphan>();
  #timer: unknown;

  /** A watch whose orphans are abandoned after `timeoutMs` on `scheduler`'s clock. */
  constructor(timeoutMs: number, scheduler: Scheduler = realScheduler) {
    this.timeoutMs = timeoutMs;
    this.#scheduler = scheduler;
  }

  /** Orphans waiting now. */
  get size(): number {
    return this.#orphans.size;
  }

  /**
   * Starts the clock for one orphan: `onAbandoned` runs after `timeoutMs`
   * unless the returned function (adopt; idempotent) is called first.
   */
  watch(onAbandoned: () => void): () => void {
    const orphan: Orphan = { deadline: this.#scheduler.now() + this.timeoutMs, onAbandoned };
    this.#orphans.add(orphan);
    if (this.#timer === undefined) this.#arm(this.timeoutMs);
    return () => void this.#orphans.delete(orphan);
  }

  /** Forgets every orphan without calling back and stops the timer. */
  close(): void {
    this.#orphans.clear();
    if (this.#timer !== undefined) this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    this.#timer = this.#scheduler.setTimeout(() => this.#expire(), Math.max(1, delayMs));
    unrefTimer(this.#timer);
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#scheduler.now();
    const due: Orphan[] = [];
    for (const orphan of this.#orphans) {
      if (orphan.deadline > now) break;
      due.push(orphan);
    }
    for (const orphan of due) this.#orphans.delete(orphan);
    // Re-armed before calling back, so a callback that watches again finds the timer set.
    const next = this.#orphans.values().next();
    if (!next.done) this.#arm(next.value.deadline - now);
    for (const orphan of due) orphan.onAbandoned();
  }
}
