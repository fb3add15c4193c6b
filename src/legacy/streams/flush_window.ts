/**
 * The flush window of a resumable stream: a batch of its events waits until
 * the log's `flushWindowMs` has passed since the stream's previous append
 * started, so events arriving one per tick go in one append per window.
 * It only waits; the stream (logical_stream.ts) batches, logs and writes.
 * @module
 */

import type { Scheduler } from "../../runtime.ts";

/** What a waiting batch offers its window: a way to be told to go at once. */
export interface WindowedBatch {
  /** Set while the batch waits: ends the wait at once (a response or the end joined it). */
  hurry?: () => void;
}

/**
 * Waits what is left of a `windowMs` window opened at `since` (on `clock`),
 * or until `batch.hurry()` is called; no wait without a window or a previous
 * append.
 *
 * @example
 * ```ts
 * import { waitForWindow } from "./flush_window.ts";
 * import { realScheduler } from "../../runtime.ts";
 * const batch: { hurry?: () => void } = {};
 * const waiting = waitForWindow(batch, 50, realScheduler.now(), realScheduler);
 * batch.hurry?.(); // a response joined: it goes now
 * await waiting;
 * ```
 */
export async function waitForWindow(
  batch: WindowedBatch,
  windowMs: number,
  since: number | undefined,
  clock: Scheduler,
): Promise<void> {
  if (windowMs <= 0 || since === undefined) return;
  const wait = since + windowMs - clock.now();
  if (wait <= 0) return;
  await new Promise<void>((resolve) => {
    const timer = clock.setTimeout(resolve, wait);
    batch.hurry = () => {
      clock.clearTimeout(timer);
      resolve();
    };
  });
  batch.hurry = undefined;
}
