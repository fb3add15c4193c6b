/**
 * Deadlines for work whose client is gone. Each orphan gets `timeoutMs` to
 * be adopted (its client resumes the stream, or the work finishes) before it
 * is abandoned. Every orphan waits the same time, so deadlines fall in the
 * order orphans were watched: one insertion-ordered set and one timer serve
 * them all, however many there are. It only calls back; it does not know
 * what the work is or how to abort it.
 * @module
 */

import { unrefTimer } from "../runtime.ts";

interface Orphan {
  deadline: number;
  onAbandoned: () => void;
}

/** One timer for the deadlines of all orphaned work. */
export class OrphanWatch {
  /** How long an orphan may wait to be adopted, ms. */
  readonly timeoutMs: number;
  #now: () => number;
  /** Insertion order is deadline order (every orphan waits `timeoutMs`). */
  #orphans = new Set<Orphan>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** A watch whose orphans are abandoned after `timeoutMs`; `now` is injectable for tests. */
  constructor(timeoutMs: number, now: () => number = () => performance.now()) {
    this.timeoutMs = timeoutMs;
    this.#now = now;
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
    const orphan: Orphan = { deadline: this.#now() + this.timeoutMs, onAbandoned };
    this.#orphans.add(orphan);
    if (this.#timer === undefined) this.#arm(this.timeoutMs);
    return () => void this.#orphans.delete(orphan);
  }

  /** Forgets every orphan without calling back and stops the timer. */
  close(): void {
    this.#orphans.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, delayMs));
    unrefTimer(this.#timer);
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#now();
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
