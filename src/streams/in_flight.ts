/**
 * The registry of in-flight requests, keyed by (session, request id). Each
 * registration gets an opaque token, and `release` only removes the entry it
 * registered: a late cleanup of an old request can never evict a newer one
 * that reused the same id. It aborts; it does not decide who may abort (the
 * transport checks session and principal first). Each request's
 * AbortController is created only when its signal is first read or it is
 * aborted: most tools never look, and the controller is a measurable part of
 * a request's cost on Node.
 * @module
 */

import type { RequestId } from "../jsonrpc/messages.ts";
import { requestIdKey } from "../jsonrpc/messages.ts";

/** A registration, returned by {@linkcode InFlightRegistry.register}. */
export interface InFlightHandle {
  /** Aborts when the request is cancelled, its session ends, or the handler closes. */
  readonly signal: AbortSignal;
  /** True once aborted (reading it does not create the signal). */
  readonly aborted: boolean;
  /** Removes this registration (and only this one). */
  release(): void;
}

class Entry implements InFlightHandle {
  #controller: AbortController | undefined;
  #registry: InFlightRegistry;
  readonly sessionKey: string;
  readonly key: string;

  constructor(registry: InFlightRegistry, sessionKey: string, key: string) {
    this.#registry = registry;
    this.sessionKey = sessionKey;
    this.key = key;
  }

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  get aborted(): boolean {
    return this.#controller?.signal.aborted ?? false;
  }

  abort(reason: AbortCause): void {
    (this.#controller ??= new AbortController()).abort(reason);
  }

  release(): void {
    this.#registry.release(this);
  }
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
    const key = requestIdKey(id);
    // The entry object itself is the opaque token: release() compares identity.
    const entry = new Entry(this, sessionKey, key);
    let requests = this.#bySession.get(sessionKey);
    if (requests === undefined) this.#bySession.set(sessionKey, requests = new Map());
    if (!requests.has(key)) this.#count++;
    requests.set(key, entry);
    return entry;
  }

  /** Removes `entry` if it still owns its slot (a newer registration of the same key is left alone). */
  release(entry: InFlightHandle): void {
    const { sessionKey, key } = entry as Entry;
    const current = this.#bySession.get(sessionKey);
    if (current === undefined || current.get(key) !== entry) return;
    current.delete(key);
    this.#count--;
    if (current.size === 0) this.#bySession.delete(sessionKey);
  }

  /** Aborts one request; true when it was in flight. */
  cancel(sessionKey: string, id: RequestId, reason: AbortCause = "cancelled"): boolean {
    const entry = this.#bySession.get(sessionKey)?.get(requestIdKey(id));
    if (entry === undefined) return false;
    entry.abort(reason);
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
    for (const entry of requests.values()) entry.abort(reason);
    return requests.size;
  }

  /** Aborts everything. */
  cancelAll(reason: AbortCause = "server-closed"): void {
    for (const key of [...this.#bySession.keys()]) this.cancelSession(key, reason);
  }
}
