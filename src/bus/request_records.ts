/**
 * The records, on a bus addressed to owners (one with `trackRequest`), of
 * the requests without a session this instance runs (2026-07-28 requests,
 * and 2025 calls served without sessions), so that a `stateless-cancel`
 * posted to another instance comes here alone. A request is recorded once
 * the caller says it outlived a short grace (shorter ones cost the bus
 * nothing); a cancellation that came before its record left a mark instead,
 * and the request is aborted as it would be recorded. It does not decide
 * when a request has run long enough, nor deliver cancellations
 * (delivery.ts does).
 * @module
 */

import type { RequestId } from "../jsonrpc/messages.ts";
import type { RequestTracker } from "./delivery.ts";

/**
 * A request this instance may record: whose it is, its id, and how to abort it.
 *
 * @example
 * ```ts
 * import type { RecordedRequest } from "./request_records.ts";
 * const request: RecordedRequest = { ownerKey: "user:alice", id: 7, abort: () => {} };
 * ```
 */
export interface RecordedRequest {
  /** The owner key its cancellations are matched by. */
  readonly ownerKey: string;
  /** Its JSON-RPC id. */
  readonly id: RequestId;
  /** Aborts its work (a cancellation came before its record). */
  abort(reason: "cancelled"): void;
}

/**
 * The requests this instance recorded with a bus's {@linkcode RequestTracker},
 * each with its recording (true once recorded).
 *
 * @example
 * ```ts
 * import { RequestRecords } from "./request_records.ts";
 * const records = new RequestRecords({
 *   track: () => Promise.resolve(true),
 *   untrack: () => Promise.resolve(),
 * }, console.error);
 * const request = { ownerKey: "user:alice", id: 7, abort: () => {} };
 * records.record(request); // it outlived its grace
 * records.forget(request); // it returned
 * ```
 */
export class RequestRecords {
  readonly #tracker: RequestTracker;
  readonly #onError: (error: unknown) => void;
  readonly #recorded = new Map<RecordedRequest, Promise<boolean>>();

  /** Records kept with `tracker`; `onError` gets what recording fails with (the request runs on). */
  constructor(tracker: RequestTracker, onError: (error: unknown) => void) {
    this.#tracker = tracker;
    this.#onError = onError;
  }

  /** Requests recorded, or being recorded, now. */
  get size(): number {
    return this.#recorded.size;
  }

  /**
   * Records `request` as running here (idempotent). A cancellation posted
   * elsewhere before that left a mark: the request is aborted now, as if
   * the cancellation had come now.
   */
  record(request: RecordedRequest): void {
    if (this.#recorded.has(request)) return;
    this.#recorded.set(
      request,
      this.#tracker.track(request.ownerKey, request.id).then((recorded) => {
        if (!recorded) request.abort("cancelled");
        return recorded;
      }, (error) => {
        this.#onError(error);
        return false;
      }),
    );
  }

  /** `request` is done: its record goes, after its recording (so it never outlives it but by its TTL). */
  forget(request: RecordedRequest): void {
    const recording = this.#recorded.get(request);
    if (recording === undefined) return;
    this.#recorded.delete(request);
    recording.then((recorded) =>
      recorded ? this.#tracker.untrack(request.ownerKey, request.id) : undefined
    ).catch(this.#onError);
  }
}
