/**
 * The registry of in-flight requests, keyed by (session, request id). Each
 * registration is its own opaque token, and `release` only removes the entry
 * it registered: a late cleanup of an old request can never evict a newer one
 * that reused the same id. It aborts; it does not decide who may abort (the
 * transport checks session and principal first). Each request's
 * AbortController is created only when its signal is first read or it is
 * aborted: most tools never look, and the controller is a measurable part of
 * a request's cost on Node. One flat map holds every entry, so a request
 * costs one entry and one key; ending a session scans only what is in flight.
 * @module
 */

import { type RequestId, requestIdKey } from "../jsonrpc/messages.ts";

/** A registration, returned by {@linkcode InFlightRegistry.register}. */
export interface InFlightHandle {
  /** Aborts when the request is cancelled, its session ends, or the handler closes. */
  readonly signal: AbortSignal;
  /** True once aborted (reading it does not create the signal). */
  readonly aborted: boolean;
  /** Removes this registration (and only this one). */
  release(): void;
}

/** The reason given to signals aborted by each cause. */
export type AbortCause = "cancelled" | "session-ended" | "server-closed";

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

/** The map key of a request: the session, then the id typed so `1` and `"1"` differ. */
function entryKey(sessionKey: string, id: RequestId): string {
  return `${sessionKey}\n${requestIdKey(id)}`;
}

/** Tracks in-flight requests so they can be cancelled one by one or per session. */
export class InFlightRegistry {
  #entries = new Map<string, Entry>();

  /** The number of requests in flight. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Registers a request. A request id already in flight in this session is
   * replaced (the old entry stays abortable only through its own handle).
   */
  register(sessionKey: string, id: RequestId): InFlightHandle {
    const key = entryKey(sessionKey, id);
    const entry = new Entry(this, sessionKey, key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** Removes `entry` if it still owns its slot (a newer registration of the same key is left alone). */
  release(entry: InFlightHandle): void {
    const { key } = entry as Entry;
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }

  /** Aborts one request; true when it was in flight. */
  cancel(sessionKey: string, id: RequestId, reason: AbortCause = "cancelled"): boolean {
    const entry = this.#entries.get(entryKey(sessionKey, id));
    if (entry === undefined) return false;
    entry.abort(reason);
    return true;
  }

  /** True when the session has requests in flight. */
  has(sessionKey: string): boolean {
    for (const entry of this.#entries.values()) if (entry.sessionKey === sessionKey) return true;
    return false;
  }

  /** The sessions with requests in flight. */
  sessionKeys(): Set<string> {
    const keys = new Set<string>();
    for (const entry of this.#entries.values()) keys.add(entry.sessionKey);
    return keys;
  }

  /** Aborts every request of a session and forgets them; returns how many. */
  cancelSession(sessionKey: string, reason: AbortCause = "session-ended"): number {
    const ended: Entry[] = [];
    for (const [key, entry] of this.#entries) {
      if (entry.sessionKey !== sessionKey) continue;
      this.#entries.delete(key);
      ended.push(entry);
    }
    for (const entry of ended) entry.abort(reason);
    return ended.length;
  }

  /** Aborts everything. */
  cancelAll(reason: AbortCause = "server-closed"): void {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of all) entry.abort(reason);
  }
}
