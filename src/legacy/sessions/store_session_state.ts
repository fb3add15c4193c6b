/**
 * `ctx.session`: a handle on one session's key/value state in the session
 * store. Created only when a handler reads `ctx.session`; it holds the
 * session manager (the store's only caller, which applies the size limit),
 * the session id and this process's session resources, nothing else.
 * @module
 */

import type { SessionState } from "../../protocol/context/session_state.ts";
import type { SessionManager } from "./session_manager.ts";
import type { ResourceOptions, SessionResources } from "./session_resources.ts";

/** What a {@linkcode StoreSessionState} asks of the sessions. */
export type SessionStateAccess = Pick<
  SessionManager,
  "exists" | "stateValue" | "setStateValue" | "changeStateValue"
>;

/** The {@linkcode SessionState} of one session, backed by the session store through its manager. */
export class StoreSessionState implements SessionState {
  /** The session id. */
  readonly id: string;
  #sessions: SessionStateAccess;
  #resources: SessionResources | undefined;

  /** Binds the handle to session `id` of `sessions` (and its process-local resources). */
  constructor(sessions: SessionStateAccess, id: string, resources?: SessionResources) {
    this.#sessions = sessions;
    this.id = id;
    this.#resources = resources;
  }

  /** The session's resource under `key` in this process, opened on first use; disposed when the session ends. */
  async resource<T>(
    key: string,
    open: () => T | Promise<T>,
    options?: ResourceOptions<T>,
  ): Promise<T> {
    if (this.#resources === undefined) throw new Error("Session resources are not available here");
    // A session that has ended must not get a resource that nothing would dispose.
    if (!await this.#sessions.exists(this.id)) throw new Error("The session has ended");
    return await this.#resources.get(this.id, key, open, options);
  }

  /** Reads a value; undefined when absent. */
  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#sessions.stateValue(this.id, key) as Promise<T | undefined>;
  }

  /** Writes a value (`undefined` deletes). */
  set(key: string, value: unknown): Promise<void> {
    return this.#sessions.setStateValue(this.id, key, value);
  }

  /** Deletes a value. */
  delete(key: string): Promise<void> {
    return this.#sessions.setStateValue(this.id, key, undefined);
  }

  /** Atomically replaces a value with `fn(current)` and returns the new value. */
  update<T>(key: string, fn: (current: T | undefined) => T): Promise<T> {
    return this.#sessions.changeStateValue(
      this.id,
      key,
      fn as (current: unknown) => unknown,
    ) as Promise<T>;
  }
}
