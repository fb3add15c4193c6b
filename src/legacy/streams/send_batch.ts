/**
 * The batching of a resumable stream's sends: messages sent together form one
 * batch, which waits out the current task and the log's flush window (until
 * `flushWindowMs` has passed since the stream's previous append started, so
 * events arriving one per tick go in one append per window) and is then
 * logged in one event-log call. It builds, waits out, logs and settles a
 * batch; the stream (logical_stream.ts) queues its flush, writes it to the
 * connection and ends on a log failure.
 * @module
 */

import type { JsonRpcMessage, RequestId } from "../../jsonrpc/messages.ts";
import { afterThisTask, type Scheduler } from "../../runtime.ts";
import { appendAll } from "../../storage/event_log/append_all.ts";
import type { EventLog } from "../../storage/event_log/event_log.ts";

/**
 * Messages sent together: logged in one call, written as one chunk.
 *
 * @example
 * ```ts
 * import { type Batch, newBatch } from "./send_batch.ts";
 * const batch: Batch = newBatch();
 * batch.items; // []: the serialized messages join as they are sent
 * ```
 */
export interface Batch {
  /** The messages, serialized. */
  items: string[];
  /** Settles once the batch is logged and written (or dropped): what `send` returns. */
  done: Promise<void>;
  /** Settles `done`. */
  resolve: () => void;
  /** Set by `finish()` while the batch waits: it ends the stream (one log call for both). */
  finish?: () => void;
  /** The ids of the responses among the messages, once any. */
  responseIds?: RequestId[];
  /** A request or a response is among the messages: no flush window. */
  urgent?: boolean;
  /** Set while the batch waits out the flush window: ends the wait at once. */
  hurry?: () => void;
}

/**
 * An empty batch, its `done` unsettled.
 *
 * @example
 * ```ts
 * import { newBatch, settleBatch } from "./send_batch.ts";
 * const batch = newBatch();
 * settleBatch(batch);
 * await batch.done;
 * ```
 */
export function newBatch(): Batch {
  let resolve!: () => void;
  const done = new Promise<void>((settle) => (resolve = settle));
  return { items: [], done, resolve };
}

/**
 * Adds `message`, serialized as `data`, to `batch`. A request or a response
 * makes the batch urgent (a wait for the flush window ends at once); a
 * response is noted among the batch's `responseIds` when `answersRequests`
 * (its stream answers requests). A string is a notification's JSON.
 *
 * @example
 * ```ts
 * import { joinBatch, newBatch } from "./send_batch.ts";
 * const batch = newBatch();
 * const response = { jsonrpc: "2.0" as const, id: 7, result: {} };
 * joinBatch(batch, response, JSON.stringify(response), true);
 * batch.urgent; // true
 * batch.responseIds; // [7]
 * ```
 */
export function joinBatch(
  batch: Batch,
  message: JsonRpcMessage | string,
  data: string,
  answersRequests: boolean,
): void {
  batch.items.push(data);
  if (typeof message === "string" || !("id" in message)) return;
  batch.urgent = true;
  batch.hurry?.();
  if (answersRequests && message.id !== null && !("method" in message)) {
    (batch.responseIds ??= []).push(message.id!);
  }
}

/**
 * Waits out the current task (a loop of sends fills one batch), then what is
 * left of the log's `windowMs` flush window opened at `since` (the previous
 * append's start) on `clock`, unless by then the batch is urgent, ends the
 * stream, or `stream` finished; no window wait without a previous append.
 * A request, a response or the end joining the batch (`batch.hurry()`) ends
 * the wait at once.
 *
 * @example
 * ```ts
 * import { newBatch, waitToFlush } from "./send_batch.ts";
 * import { realScheduler } from "../../runtime.ts";
 * const batch = newBatch();
 * const stream = { finished: false };
 * await waitToFlush(batch, stream, 0, undefined, realScheduler); // no window: the task only
 * ```
 */
export async function waitToFlush(
  batch: Batch,
  stream: { readonly finished: boolean },
  windowMs: number,
  since: number | undefined,
  clock: Scheduler,
): Promise<void> {
  await afterThisTask();
  if (stream.finished || batch.urgent === true || batch.finish !== undefined) return;
  await waitForWindow(batch, windowMs, since, clock);
}

/** Waits what is left of the window, or until `batch.hurry()` is called. */
async function waitForWindow(
  batch: Batch,
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

/**
 * Logs `batch` in one call (`appendMany` when the log has it) to `streamId`
 * of `sessionId`, and ends the stream in the same call when `finish()`
 * joined the batch (the stream calls it so only where the log has
 * `appendMany`). Resolves with the events' ids, in order.
 *
 * @example
 * ```ts
 * import { joinBatch, logBatch, newBatch } from "./send_batch.ts";
 * import { MemoryEventLog } from "../../storage/event_log/event_log.ts";
 * const log = new MemoryEventLog();
 * await log.open("session", "stream");
 * const batch = newBatch();
 * joinBatch(batch, "{}", "{}", false);
 * const ids = await logBatch(log, "session", "stream", batch); // ["stream:1"]
 * ```
 */
export function logBatch(
  log: EventLog,
  sessionId: string,
  streamId: string,
  batch: Batch,
): Promise<string[]> {
  if (batch.finish === undefined) return appendAll(log, sessionId, streamId, batch.items);
  return log.appendMany!(sessionId, streamId, batch.items, { complete: true });
}

/**
 * Settles a flushed (or dropped) batch: its sends resolve, then the
 * `finish()` that joined it.
 *
 * @example
 * ```ts
 * import { newBatch, settleBatch } from "./send_batch.ts";
 * const batch = newBatch();
 * settleBatch(batch);
 * await batch.done;
 * ```
 */
export function settleBatch(batch: Batch): void {
  batch.resolve();
  batch.finish?.();
}
