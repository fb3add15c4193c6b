/**
 * The registry of in-flight requests, keyed by (session, request id). Each
 * registration gets an opaque token, and `release` only removes the entry it
 * registered: a late cleanup of an old request can never evict a newer one
 * that reused the same id. It aborts; it does not decide who may abort (the
 * transport checks session and principal first).
 * @module
 */

import type { RequestId } from "../jsonrpc/messages.ts";
import { requestIdKey } from "../jsonrpc/messages.ts";

interface Entry {
  token: symbol;
  controller: AbortController;
}

/** A registration, returned by {@linkcode InFlightRegistry.register}. */
export interface InFlightHandle {
  /** Aborts when the request is cancelled, its session ends, or the handler closes. */
  readonly signal: AbortSignal;
  /** Removes this registration (and only this one). */
  release(): void;
}

/** The reason given to signals aborted by each cause. */
export type AbortCause = "cancelled" | "session-ended" | "server-closed";

/** Tracks in-flight requests so they can be cancelled one by one or per session. */
export class InFlightRegistry {
  #bySession = new Map<string, Map<string, Entry>>();
  #count = 0;

  /** The number of requests in flight. */
  get size(): number {
    return this.#count;
  }

  /**
   * Registers a request. A request id already in flight in this session is
   * replaced (the old entry stays abortable only through its own handle).
   */
  register(sessionKey: string, id: RequestId): InFlightHandle {
    const controller = new AbortController();
    const token = Symbol();
    const key = requestIdKey(id);
    let requests = this.#bySession.get(sessionKey);
    if (requests === undefined) this.#bySession.set(sessionKey, requests = new Map());
    if (!requests.has(key)) this.#count++;
    requests.set(key, { token, controller });
    return {
      signal: controller.signal,
      release: () => {
        const current = this.#bySession.get(sessionKey);
        const entry = current?.get(key);
        if (entry === undefined || entry.token !== token) return;
        current!.delete(key);
        this.#count--;
        if (current!.size === 0) this.#bySession.delete(sessionKey);
      },
    };
  }

  /** Aborts one request; true when it was in flight. */
  cancel(sessionKey: string, id: RequestId, reason: AbortCause = "cancelled"): boolean {
    const entry = this.#bySession.get(sessionKey)?.get(requestIdKey(id));
    if (entry === undefined) return false;
    entry.controller.abort(reason);
    return true;
  }

  /** True when the session has requests in flight. */
  has(sessionKey: string): boolean {
    return this.#bySession.has(sessionKey);
  }

  /** Aborts every request of a session and forgets them. */
  cancelSession(sessionKey: string, reason: AbortCause = "session-ended"): number {
    const requests = this.#bySession.get(sessionKey);
    if (requests === undefined) return 0;
    this.#bySession.delete(sessionKey);
    this.#count -= requests.size;
    for (const entry of requests.values()) entry.controller.abort(reason);
    return requests.size;
  }

  /** Aborts everything. */
  cancelAll(reason: AbortCause = "server-closed"): void {
    for (const key of [...this.#bySession.keys()]) this.cancelSession(key, reason);
  }
}
