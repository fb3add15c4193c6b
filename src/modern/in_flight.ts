/**
 * The 2026-07-28 requests running in this process, so `close()` can abort
 * them, `stats()` can count them, a `notifications/cancelled` from the same
 * principal can reach them, and a call that runs longer than a moment gets
 * its SSE stream (see slow_calls.ts). There are no sessions in this era: a
 * cancellation is matched by the principal's owner key and the request id,
 * so one principal can never cancel another's work (callers that share the
 * anonymous principal are one principal). It also counts each principal's
 * requests, so the pipeline can hold one principal to its share. On a bus
 * addressed to owners, a request that outlives the slow-call delay is
 * recorded where it runs (`outlived`), so a cancellation posted to another
 * instance comes here alone; a shorter one costs Redis nothing.
 * @module
 */

import type { RequestTracker } from "../bus/delivery.ts";
import { RequestRecords } from "../bus/request_records.ts";
import { PrincipalShares } from "../limits/principal_shares.ts";
import { type RequestId, requestIdKey } from "../jsonrpc/messages.ts";
import { type SlowCall, SlowCalls, STREAM_AFTER_MS } from "../http/slow_calls.ts";
import type { Scheduler } from "../runtime.ts";

/** What the registry needs of a running request. */
export interface RunningRequest extends SlowCall {
  readonly ownerKey: string;
  readonly id: RequestId;
  readonly method: string;
  /** Aborts the request's work. */
  abort(reason: string): void;
}

/** In-flight modern requests. */
export class ModernInFlight extends SlowCalls<RunningRequest> {
  #shares: PrincipalShares;
  /** Where the long requests are recorded, on a bus addressed to owners. */
  readonly #records: RequestRecords | undefined;

  /**
   * An empty registry; one principal may have `maxPerPrincipal` requests in
   * it. `requests` (a bus addressed to owners) records the long ones;
   * `onError` gets what recording fails with (the request runs on, reached
   * by cancellations posted here only).
   */
  constructor(
    maxPerPrincipal: number,
    requests?: RequestTracker,
    onError: (error: unknown) => void = () => {},
    scheduler?: Scheduler,
  ) {
    super(STREAM_AFTER_MS, 2, scheduler);
    this.#shares = new PrincipalShares(maxPerPrincipal);
    this.#records = requests === undefined ? undefined : new RequestRecords(requests, onError);
  }

  /** Requests one principal may have in flight. */
  get maxPerPrincipal(): number {
    return this.#shares.max;
  }

  /** True when the owner has its share of requests in flight (the next one is refused). */
  atShare(ownerKey: string): boolean {
    return this.#shares.held(ownerKey) >= this.#shares.max;
  }

  /** Watches a request and counts it against its owner's share. */
  override add(request: RunningRequest): void {
    if (!this.has(request)) this.#shares.take(request.ownerKey);
    super.add(request);
  }

  /** Stops watching a request (it returned) and gives its owner's place back. */
  override delete(request: RunningRequest): void {
    if (this.has(request)) this.#shares.give(request.ownerKey);
    super.delete(request);
    this.#records?.forget(request);
  }

  /**
   * The request outlived the slow-call delay (its `slow()`; idempotent): on
   * a bus addressed to owners it is recorded as running here. A
   * cancellation posted elsewhere before that left a mark instead, and the
   * request is cancelled now, as if it had come now.
   */
  outlived(request: RunningRequest): void {
    if (this.has(request)) this.#records?.record(request);
  }

  /** Aborts the owner's requests with this id (a rare event: a scan is fine); returns how many. */
  cancel(ownerKey: string, id: RequestId): number {
    const key = requestIdKey(id);
    let count = 0;
    for (const request of this.calls()) {
      if (request.ownerKey === ownerKey && requestIdKey(request.id) === key) {
        request.abort("cancelled");
        count++;
      }
    }
    return count;
  }

  /** The requests running now, by id and method (`close()` reports those that outlive their abort). */
  describe(): { id: RequestId; method: string }[] {
    return this.calls().map(({ id, method }) => ({ id, method }));
  }

  /** Aborts everything and stops the timer (the handler is closing). */
  abortAll(reason: string): void {
    // The slow-call timer stops: no stream is opened from now on. Each request is still counted
    // until its handler returns, so stats() and close()'s report see a tool that ignores its signal.
    this.stopTimer();
    for (const request of this.calls()) request.abort(reason);
  }
}
