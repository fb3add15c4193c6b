/**
 * `ctx.session`: a handle on one session's key/value state in the session
 * store. Created only when a handler reads `ctx.session`; it holds the store,
 * the session id and the size limit, nothing else.
 * @module
 */

import type { SessionState } from "../../protocol/context.ts";
import type { ResourceOptions, SessionResources } from "./session_resources.ts";
import type { SessionStore } from "./session_store.ts";

/** The {@linkcode SessionState} of one session, backed by a {@linkcode SessionStore}. */
export class StoreSessionState implements SessionState {
  /** The session id. */
  readonly id: string;
  #store: SessionStore;
  #maxBytes: number;
  #resources: SessionResources | undefined;
  #now: () => number;

  /** Binds the handle to a session of `store`, with a state size limit in bytes (and its process-local resources). */
  constructor(
    store: SessionStore,
    id: string,
    maxBytes: number,
    resources?: SessionResources,
    now: () => number = Date.now,
  ) {
    this.#store = store;
    this.id = id;
    this.#maxBytes = maxBytes;
    this.#resources = resources;
    this.#now = now;
  }

  /** The session's resource under `key` in this process, opened on first use; disposed when the session ends. */
  async resource<T>(
    key: string,
    open: () => T | Promise<T>,
    options?: ResourceOptions<T>,
  ): Promise<T> {
    if (this.#resources === undefined) throw new Error("Session resources are not available here");
    // A session that has ended must not get a resource that nothing would dispose.
    if (await this.#store.get(this.id, this.#now()) === undefined) {
      throw new Error("The session has ended");
    }
    return await this.#resources.get(this.id, key, open, options);
  }

  /** Reads a value; undefined when absent. */
  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#store.readState(this.id, key) as Promise<T | undefined>;
  }

  /** Writes a value (`undefined` deletes). */
  set(key: string, value: unknown): Promise<void> {
    return this.#store.writeState(this.id, key, value, this.#maxBytes);
  }

  /** Deletes a value. */
  delete(key: string): Promise<void> {
    return this.#store.writeState(this.id, key, undefined, this.#maxBytes);
  }

  /** Atomically replaces a value with `fn(current)` and returns the new value. */
  update<T>(key: string, fn: (current: T | undefined) => T): Promise<T> {
    return this.#store.updateState(
      this.id,
      key,
      fn as (current: unknown) => unknown,
      this.#maxBytes,
    ) as Promise<T>;
  }
}
