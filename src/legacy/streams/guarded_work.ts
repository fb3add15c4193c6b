/**
 * The work behind one resumable stream and its orphan clock: while the
 * unfinished stream has no connection the clock runs (orphan_watch.ts), and
 * once it runs out the work is abandoned. It neither attaches connections nor
 * aborts anything itself: the stream (logical_stream.ts) starts and stops the
 * clock, and the work's owner aborts it in `abandon`.
 * @module
 */

import type { OrphanWatch } from "./orphan_watch.ts";

/**
 * Why the work behind a stream is given up: its connection was gone for the
 * orphan timeout, or the event log failed.
 *
 * @example
 * ```ts
 * import type { GiveUpReason } from "./guarded_work.ts";
 * const reason: GiveUpReason = "abandoned";
 * ```
 */
export type GiveUpReason = "abandoned" | "storage-unavailable";

/**
 * The work behind a stream (given to the stream's `guardWork`): an object, not a callback, so a
 * held stream keeps no closure for it (the POST's exchange is one).
 *
 * @example
 * ```ts
 * import type { GuardedWork } from "./guarded_work.ts";
 * const controller = new AbortController();
 * const work: GuardedWork = { abandon: (reason) => controller.abort(reason) };
 * ```
 */
export interface GuardedWork {
  /** Aborts the work: its connection stayed gone for the orphan timeout, or the log failed. */
  abandon(reason: GiveUpReason): void;
}

/**
 * The guarded work of one stream and its orphan clock, made when the stream
 * is first given work.
 *
 * @example
 * ```ts
 * import { WorkGuard } from "./guarded_work.ts";
 * import { OrphanWatch } from "./orphan_watch.ts";
 * const orphans = new OrphanWatch(30_000);
 * const guard = new WorkGuard(orphans, { finished: false }, { abandon: () => {} });
 * guard.orphaned(); // the connection is gone: the clock runs
 * guard.adopted(); // a resume attached one in time
 * orphans.close();
 * ```
 */
export class WorkGuard {
  /** The work abandoned when the clock runs out (the latest given). */
  work: GuardedWork;
  #orphans: OrphanWatch;
  #stream: { readonly finished: boolean };
  /** Stops the orphan clock; set while the clock runs. */
  #adopt: (() => void) | undefined;

  /** Guards `work` of `stream` on `orphans`' clock; the clock starts at {@linkcode orphaned}. */
  constructor(orphans: OrphanWatch, stream: { readonly finished: boolean }, work: GuardedWork) {
    this.#orphans = orphans;
    this.#stream = stream;
    this.work = work;
  }

  /** The stream lost its connection: the clock starts, unless it runs or the stream finished. */
  orphaned(): void {
    if (this.#stream.finished || this.#adopt !== undefined) return;
    this.#adopt = this.#orphans.watch(() => {
      this.#adopt = undefined;
      if (!this.#stream.finished) this.work.abandon("abandoned");
    });
  }

  /** A connection attached, or the stream ended: the clock stops. */
  adopted(): void {
    this.#adopt?.();
    this.#adopt = undefined;
  }

  /** The work counts as attended for another orphan timeout, if the clock runs. */
  renew(): void {
    if (this.#adopt === undefined) return;
    this.adopted();
    this.orphaned();
  }
}
