/**
 * Per-session resources (seed 004's 1:1 registry): tool code can keep a
 * non-JSON object for the life of a session (an upstream client, a browser,
 * a database transaction) with `ctx.session.resource(key, open)`. One
 * instance per (session, key) in this process; concurrent first uses share
 * one creation (a failed creation is not kept). When the session ends, by
 * any path (DELETE, idle or absolute expiry, the sweep at the cap,
 * `close()`), every resource is disposed: with the `dispose` callback given
 * at creation when there is one, else `Symbol.asyncDispose`, else
 * `Symbol.dispose`, else a `close()` method. A disposal that fails is
 * reported to `onError`; one that hangs (or whose `open` never settles) is
 * given up after a bound and reported. Teardown never waits on a resource.
 *
 * Per process: under a shared store (Redis) another instance that serves
 * the same session opens its own.
 * @module
 */

import { realScheduler, type Scheduler } from "../../runtime.ts";

/** How a resource is disposed. */
export interface ResourceOptions<T> {
  /** Called once when the session ends, instead of the resource's own dispose or close method. */
  dispose?: (resource: T) => unknown;
}

interface Held {
  value: Promise<unknown>;
  dispose?: (resource: unknown) => unknown;
}

/** How long one disposal may take, by default, before it is given up (and reported). */
const DISPOSE_TIMEOUT_MS = 5_000;

/** Disposes `value` the way it says it wants to be disposed. */
function disposeOf(value: unknown, dispose: ((resource: unknown) => unknown) | undefined): unknown {
  if (dispose !== undefined) return dispose(value);
  if (typeof value !== "object" && typeof value !== "function" || value === null) return undefined;
  const candidate = value as Record<PropertyKey, unknown>;
  const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
  const syncDispose = (Symbol as { dispose?: symbol }).dispose;
  if (asyncDispose !== undefined && typeof candidate[asyncDispose] === "function") {
    return (candidate[asyncDispose] as () => unknown).call(value);
  }
  if (syncDispose !== undefined && typeof candidate[syncDispose] === "function") {
    return (candidate[syncDispose] as () => unknown).call(value);
  }
  if (typeof candidate.close === "function") return (candidate.close as () => unknown).call(value);
  return undefined;
}

/** The resources of every session in this process. */
export class SessionResources {
  #bySession = new Map<string, Map<string, Held>>();
  #onError: (error: unknown) => void;
  #disposeTimeoutMs: number;
  #scheduler: Scheduler;

  /**
   * Failures of `open` go to the caller; failures of disposal go to `onError`.
   * `disposeTimeoutMs` bounds each disposal (tests shorten it), on `scheduler`'s timers.
   */
  constructor(
    onError: (error: unknown) => void,
    options: { disposeTimeoutMs?: number; scheduler?: Scheduler } = {},
  ) {
    this.#onError = onError;
    this.#disposeTimeoutMs = options.disposeTimeoutMs ?? DISPOSE_TIMEOUT_MS;
    this.#scheduler = options.scheduler ?? realScheduler;
  }

  /** Sessions holding resources here. */
  sessionIds(): IterableIterator<string> {
    return this.#bySession.keys();
  }

  /** True when the session holds resources here. */
  holds(sessionId: string): boolean {
    return this.#bySession.has(sessionId);
  }

  /** The session's resource under `key`, opened on first use (concurrent first uses share it). */
  get<T>(
    sessionId: string,
    key: string,
    open: () => T | Promise<T>,
    options: ResourceOptions<T> = {},
  ): Promise<T> {
    let held = this.#bySession.get(sessionId);
    const existing = held?.get(key);
    if (existing !== undefined) return existing.value as Promise<T>;
    if (held === undefined) this.#bySession.set(sessionId, held = new Map());
    const entry: Held = {
      value: Promise.resolve().then(open),
      dispose: options.dispose as ((resource: unknown) => unknown) | undefined,
    };
    held.set(key, entry);
    entry.value.catch(() => {
      // A failed creation is not kept: the next use tries again.
      const current = this.#bySession.get(sessionId);
      if (current?.get(key) === entry) {
        current.delete(key);
        if (current.size === 0) this.#bySession.delete(sessionId);
      }
    });
    return entry.value as Promise<T>;
  }

  /** Disposes every resource of a session (bounded; failures reported). */
  async disposeSession(sessionId: string): Promise<void> {
    const held = this.#bySession.get(sessionId);
    if (held === undefined) return;
    this.#bySession.delete(sessionId);
    await Promise.all(
      [...held.entries()].map(([key, entry]) => this.#dispose(sessionId, key, entry)),
    );
  }

  /** Disposes every resource of every session (the handler is closing). */
  async disposeAll(): Promise<void> {
    await Promise.all([...this.#bySession.keys()].map((id) => this.disposeSession(id)));
  }

  async #dispose(sessionId: string, key: string, entry: Held): Promise<void> {
    // The bound covers the whole disposal, a creation still running included: an open() that
    // never settles must not hang teardown either. Whatever settles later is still disposed.
    const disposal = entry.value.then(
      (value) => disposeOf(value, entry.dispose),
      () => undefined, // a failed creation holds nothing (its caller got the error)
    );
    let timer: unknown;
    const giveUp = new Promise<"timeout">((resolve) => {
      timer = this.#scheduler.setTimeout(() => resolve("timeout"), this.#disposeTimeoutMs);
    });
    try {
      if (await Promise.race([disposal, giveUp]) === "timeout") {
        this.#onError(
          new Error(
            `Session resource "${key}" of session ${
              sessionId.slice(0, 8)
            }… was not disposed within ${this.#disposeTimeoutMs} ms`,
          ),
        );
        // A failure after the bound is still reported (and never left unhandled).
        disposal.catch(this.#onError);
      }
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#scheduler.clearTimeout(timer);
    }
  }
}
