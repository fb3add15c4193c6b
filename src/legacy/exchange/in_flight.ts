/**
 * The registry of in-flight requests, keyed by (session, request id). It
 * refuses what would make work unreachable or unbounded: a request id still
 * in flight in its session (a client that reuses one breaks the JSON-RPC
 * uniqueness rule, and replacing the entry would hide the first request from
 * cancellation) and a request beyond the session's cap. An entry stays until
 * its handler returns, aborted or not, so `size` counts every running handler
 * and a second DELETE, sweep or `close()` still reaches one that ignores its
 * signal. It aborts; it does not decide who may abort (the transport checks
 * session and principal first). Each request's AbortController is created
 * only when its signal is first read or it is aborted: most tools never look,
 * and the controller is a measurable part of a request's cost on Node.
 * @module
 */

import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import { IdleSweep } from "../../http/idle_sweep.ts";
import {
  errorResponse,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from "../../jsonrpc/messages.ts";

/** A registration, returned by {@linkcode InFlightRegistry.register}. */
export interface InFlightHandle {
  /** Aborts when the request is cancelled, abandoned, its session ends, or the handler closes. */
  readonly signal: AbortSignal;
  /** True once aborted (reading it does not create the signal). */
  readonly aborted: boolean;
  /** Why it was aborted (the first cause), or undefined while it was not. */
  readonly abortedBy: AbortCause | undefined;
  /** Aborts this request (the first cause wins). */
  abort(reason: AbortCause): void;
  /** Removes this registration (and only this one); call it when the handler has returned. */
  release(): void;
  /**
   * Told once if the request is aborted with `server-closed` (and was not
   * aborted before): it answers for its requests at once, whether or not
   * their handlers return. A field, not a closure per request: the hot path
   * only stores a reference.
   */
  owner?: ServerClosedListener;
}

/** What answers for a request that `close()` aborted (the POST's exchange). */
export interface ServerClosedListener {
  /** The server is closing: answer what still runs now. */
  serverClosed(): void;
}

/**
 * The reason given to signals aborted by each cause. `abandoned`: the
 * client's connection was gone, and not resumed, for `orphanTimeoutMs`.
 * `storage-unavailable`: the event log could not open the request's stream,
 * so its answer could never be delivered (the POST got `503`).
 */
export type AbortCause =
  | "cancelled"
  | "abandoned"
  | "session-ended"
  | "server-closed"
  | "storage-unavailable";

/**
 * Why {@linkcode InFlightRegistry.register} refused a request:
 * `duplicate-id`, its id is in flight in the session already;
 * `session-full`, the session has `maxPerSession` requests in flight.
 */
export type InFlightRefusal = "duplicate-id" | "session-full";

/**
 * The error answering `request` when the registry refused it: a duplicate id
 * is an invalid request, a full session (at `limit`) -32004, to retry later.
 *
 * @example
 * ```ts ignore (internal: needs a session's in-flight registry and a request)
 * const handle = registry.register(sessionId, request.id, request.method);
 * if (typeof handle === "string") return inFlightRefusal(request, handle, registry.maxPerSession);
 * ```
 */
export function inFlightRefusal(
  request: JsonRpcRequest,
  refusal: InFlightRefusal,
  limit: number,
): JsonRpcResponse {
  return refusal === "duplicate-id"
    ? errorResponse(
      request.id,
      ErrorCode.InvalidRequest,
      "Invalid Request: this request id is already in flight in this session",
    )
    : errorResponse(
      request.id,
      ErrorCode.TooManyRequests,
      `Too many concurrent requests in this session (limit ${limit})`,
    );
}

/**
 * The `sessions.maxRequestsPerSession` setting as the 2025 era reads it, with
 * sessions or without: it bounds the registry (its `maxPerSession`) and, with
 * a bus, the replies a session awaits.
 *
 * @example
 * ```ts
 * import type { SessionRequestLimit } from "./in_flight.ts";
 * const sessions: SessionRequestLimit = { maxRequestsPerSession: 64 };
 * ```
 */
export interface SessionRequestLimit {
  /** Requests one session (or one stateless POST) may have in flight. */
  maxRequestsPerSession: number;
}

/** Options of {@linkcode InFlightRegistry}. */
export interface InFlightRegistryOptions {
  /** Requests one session may have in flight at once. Default: no limit. */
  maxPerSession?: number;
}

class Entry implements InFlightHandle {
  #controller: AbortController | undefined;
  #registry: InFlightRegistry;
  #released = false;
  readonly sessionKey: string;
  readonly id: RequestId;
  readonly method: string | undefined;
  owner: ServerClosedListener | undefined = undefined;

  constructor(
    registry: InFlightRegistry,
    sessionKey: string,
    id: RequestId,
    method: string | undefined,
  ) {
    this.#registry = registry;
    this.sessionKey = sessionKey;
    this.id = id;
    this.method = method;
  }

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  get aborted(): boolean {
    return this.#controller?.signal.aborted ?? false;
  }

  get abortedBy(): AbortCause | undefined {
    return this.aborted ? this.#controller!.signal.reason as AbortCause : undefined;
  }

  abort(reason: AbortCause): void {
    // A second cause (DELETE after a cancel, close() after DELETE) keeps the first reason;
    // a request that has returned has nothing left to abort.
    if (this.#released || this.aborted) return;
    (this.#controller ??= new AbortController()).abort(reason);
    if (reason === "abandoned") this.#registry.recordAbandoned();
    else if (reason === "server-closed") this.owner?.serverClosed();
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#registry.release(this);
  }
}

/**
 * What the registry holds for a session: its one entry, a Map of its
 * entries by request id, or `null` once none is in flight (the session's key
 * is kept until a sweep; see {@linkcode InFlightRegistry}).
 */
type Held = Entry | Map<RequestId, Entry> | null;

/** The entry of request `id` in what a session holds. */
function entryIn(held: Held | undefined, id: RequestId): Entry | undefined {
  return held instanceof Entry ? (held.id === id ? held : undefined) : held?.get(id);
}

/** How many requests a session holds. */
function countIn(held: Held | undefined): number {
  return held == null ? 0 : held instanceof Entry ? 1 : held.size;
}

/** The entries a session holds. */
function entriesIn(held: Held): Iterable<Entry> {
  return held === null ? [] : held instanceof Entry ? [held] : held.values();
}

/** A session with nothing in flight, kept until a sweep. */
function isIdle(held: Held): boolean {
  return held === null;
}

/**
 * Tracks in-flight requests so they can be cancelled one by one or per session.
 * A session with one request in flight (the common case: one call at a time)
 * keeps its entry as it is; a second one turns it into a Map keyed by the
 * request id itself (a Map tells `1` from `"1"`, so no key string is built
 * per request). A Map per request that is emptied again costs its
 * allocation and a shrink on the last `delete` (about 70 ns a request on
 * Deno, Bun and Node). A session whose requests have all returned keeps its
 * key (holding `null`) until a sweep (idle_sweep.ts): deleting and inserting
 * it again for every call would rehash the Map in the old generation.
 */
export class InFlightRegistry {
  /** Per session, its one entry, a Map of its entries by request id when it has more, or `null`. */
  #sessions = new Map<string, Held>();
  #sweep = new IdleSweep();
  #size = 0;
  #maxPerSession: number;
  #refusedAtCap = 0;
  #abandoned = 0;

  /** Creates an empty registry. */
  constructor(options: InFlightRegistryOptions = {}) {
    this.#maxPerSession = options.maxPerSession ?? Infinity;
  }

  /** The number of requests in flight (aborted ones included until their handler returns). */
  get size(): number {
    return this.#size;
  }

  /** Requests one session may have in flight at once. */
  get maxPerSession(): number {
    return this.#maxPerSession;
  }

  /** Requests refused because their session had `maxPerSession` in flight, since the registry was made. */
  get refusedAtCap(): number {
    return this.#refusedAtCap;
  }

  /** Requests aborted as `abandoned`, since the registry was made. */
  get abandoned(): number {
    return this.#abandoned;
  }

  /** Counts one abandoned request (called by its handle). */
  recordAbandoned(): void {
    this.#abandoned++;
  }

  /** Sessions remembered now (with requests in flight, or idle and not yet swept); for tests. */
  get known(): number {
    return this.#sessions.size;
  }

  /** The number of requests a session has in flight. */
  inFlightOf(sessionKey: string): number {
    return countIn(this.#sessions.get(sessionKey));
  }

  /**
   * Registers a request, or refuses it: a request id already in flight in
   * this session is never replaced, and a full session takes no more.
   * `method` is kept for {@linkcode describe}.
   */
  register(sessionKey: string, id: RequestId, method?: string): InFlightHandle | InFlightRefusal {
    const held = this.#sessions.get(sessionKey);
    if (entryIn(held, id) !== undefined) return "duplicate-id";
    if (countIn(held) >= this.#maxPerSession) {
      this.#refusedAtCap++;
      return "session-full";
    }
    const entry = new Entry(this, sessionKey, id, method);
    if (held == null) {
      // A session not known yet is a new key: the moment to forget the idle ones, when enough are.
      if (held === undefined) this.#sessions = this.#sweep.beforeInsert(this.#sessions, isIdle);
      this.#sessions.set(sessionKey, entry);
    } else if (held instanceof Entry) {
      // A second request: both into a Map (not `new Map([[…], […]])`, whose constructor walks an array).
      this.#sessions.set(sessionKey, new Map<RequestId, Entry>().set(held.id, held).set(id, entry));
    } else {
      held.set(id, entry);
    }
    this.#size++;
    return entry;
  }

  /** Removes `entry` if it is still registered (releasing twice is harmless). */
  release(entry: InFlightHandle): void {
    const { sessionKey, id } = entry as Entry;
    const held = this.#sessions.get(sessionKey);
    if (held === entry) {
      // Kept, not deleted: see idle_sweep.ts.
      this.#sessions.set(sessionKey, null);
      this.#size--;
      return;
    }
    if (!(held instanceof Map) || held.get(id) !== entry) return;
    held.delete(id);
    this.#size--;
    // Back to one: kept as it is again, so the Map is not held for the session's next calls.
    if (held.size === 1) this.#sessions.set(sessionKey, held.values().next().value!);
  }

  /** Aborts one request; true when it was in flight. */
  cancel(sessionKey: string, id: RequestId, reason: AbortCause = "cancelled"): boolean {
    const entry = entryIn(this.#sessions.get(sessionKey), id);
    if (entry === undefined) return false;
    entry.abort(reason);
    return true;
  }

  /** True when the session has requests in flight (aborted ones that have not returned included). */
  has(sessionKey: string): boolean {
    return (this.#sessions.get(sessionKey) ?? null) !== null;
  }

  /** The sessions with requests in flight. */
  sessionKeys(): Set<string> {
    const keys = new Set<string>();
    for (const [sessionKey, held] of this.#sessions) if (held !== null) keys.add(sessionKey);
    return keys;
  }

  /**
   * Aborts every request of a session; returns how many it found. They stay
   * registered until their handlers return, so they are still counted.
   */
  cancelSession(sessionKey: string, reason: AbortCause = "session-ended"): number {
    const held = this.#sessions.get(sessionKey);
    if (held == null) return 0;
    const ended = [...entriesIn(held)];
    for (const entry of ended) entry.abort(reason);
    return ended.length;
  }

  /** The requests in flight, by id and method (`close()` reports those that outlive their abort). */
  describe(): { id: RequestId; method: string | undefined }[] {
    return [...this.#entries()].map(({ id, method }) => ({ id, method }));
  }

  /** Aborts everything (entries stay until their handlers return). */
  cancelAll(reason: AbortCause = "server-closed"): void {
    for (const entry of [...this.#entries()]) entry.abort(reason);
  }

  *#entries(): Iterable<Entry> {
    for (const held of this.#sessions.values()) yield* entriesIn(held);
  }
}
