/**
 * The default {@linkcode SessionStore}: a Map in this process. Per idle session
 * it holds the record itself (no wrapper: a lookup among 100,000 sessions
 * misses the cache once per object it reads) and, once state is written, an
 * entry in a second Map, and per owner a count (for the share per principal);
 * no timers, closures or server objects. Lookups are O(1); `sweep` is O(n) and is
 * called by the handler's single timer. Expired records are only ever removed
 * by `sweep`, which reports them, so the handler can end their streams and work. It does NOT share sessions between
 * processes: use a shared store for that.
 * @module
 */

import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import type {
  ExpiredSession,
  SessionChanges,
  SessionRecord,
  SessionStore,
  SessionUse,
} from "./session_store.ts";

/** A session's state: its keys' JSON and their size in UTF-8 bytes (keys included). */
interface State {
  values: Map<string, string>;
  bytes: number;
}

/**
 * Keeps sessions in memory. Use one instance per handler.
 *
 * @example
 * ```ts
 * import { MemorySessionStore } from "@tether/mcp/storage";
 * const store = new MemorySessionStore();
 * ```
 */
export class MemorySessionStore implements SessionStore {
  #records = new Map<string, SessionRecord>();
  /** State by session id; a session that never wrote any has no entry. */
  #states = new Map<string, State>();
  /** Sessions held by owner key; an owner holding none has no entry. */
  #owned = new Map<string, number>();

  /**
   * Inserts the session unless `maxPerOwner` records of its owner
   * (`"owner-full"`) or `maxSessions` records in all (false) are held;
   * expired ones count until swept.
   */
  create(
    session: SessionRecord,
    maxSessions: number,
    _now: number,
    maxPerOwner = Infinity,
  ): Promise<boolean | "owner-full"> {
    const owned = this.#owned.get(session.ownerKey) ?? 0;
    if (owned >= maxPerOwner) return Promise.resolve("owner-full");
    if (this.#records.size >= maxSessions || this.#records.has(session.id)) {
      return Promise.resolve(false);
    }
    this.#records.set(session.id, session);
    this.#owned.set(session.ownerKey, owned + 1);
    return Promise.resolve(true);
  }

  /** Removes `id`'s record and state and gives its owner's place back; false when it was not held. */
  #remove(id: string): boolean {
    const record = this.#records.get(id);
    if (record === undefined) return false;
    this.#records.delete(id);
    if (this.#states.size > 0) this.#states.delete(id);
    const owner = record.ownerKey;
    const owned = (this.#owned.get(owner) ?? 1) - 1;
    if (owned > 0) this.#owned.set(owner, owned);
    else this.#owned.delete(owner);
    return true;
  }

  /** Returns the live record; undefined when unknown or expired (expired ones wait for `sweep`). */
  get(id: string, now: number): Promise<SessionRecord | undefined> {
    const record = this.#records.get(id);
    return Promise.resolve(record === undefined || record.expiresAt <= now ? undefined : record);
  }

  /**
   * `get`, and for the owner `touch` to `min(now + idle, createdAt + absolute)`,
   * in one step; at once, with no promise (the handler's path for every
   * sessionful request).
   */
  getAndTouch(id: string, now: number, use: SessionUse): SessionRecord | undefined {
    const record = this.#records.get(id);
    if (record === undefined || record.expiresAt <= now) return undefined;
    if (record.ownerKey === use.ownerKey) {
      record.expiresAt = Math.min(now + use.idleTtlMs, record.createdAt + use.absoluteTtlMs);
    }
    return record;
  }

  /** Moves the session's deadline. */
  touch(id: string, expiresAt: number): Promise<void> {
    const record = this.#records.get(id);
    if (record !== undefined) record.expiresAt = expiresAt;
    return Promise.resolve();
  }

  /** Applies log-level and subscription changes. */
  update(id: string, changes: SessionChanges): Promise<void> {
    const record = this.#records.get(id);
    if (record === undefined) return Promise.resolve();
    if (changes.logLevel !== undefined) record.logLevel = changes.logLevel;
    if (changes.subscribe !== undefined) {
      const list = record.subscriptions ?? (record.subscriptions = []);
      if (!list.includes(changes.subscribe)) list.push(changes.subscribe);
    }
    if (changes.unsubscribe !== undefined && record.subscriptions !== undefined) {
      record.subscriptions = record.subscriptions.filter((uri) => uri !== changes.unsubscribe);
    }
    return Promise.resolve();
  }

  /** Reads one state key as a fresh copy. */
  readState(id: string, key: string): Promise<unknown> {
    const json = this.#states.get(id)?.values.get(key);
    return Promise.resolve(json === undefined ? undefined : JSON.parse(json));
  }

  /** Writes (or with `undefined`, deletes) one state key. */
  writeState(id: string, key: string, value: unknown, maxBytes: number): Promise<void> {
    try {
      if (this.#records.has(id)) this.#write(id, key, value, maxBytes);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Read-modify-write of one key with no await in between, so it is atomic here. */
  updateState(
    id: string,
    key: string,
    update: (current: unknown) => unknown,
    maxBytes: number,
  ): Promise<unknown> {
    try {
      if (!this.#records.has(id)) return Promise.resolve(undefined);
      const json = this.#states.get(id)?.values.get(key);
      const next = update(json === undefined ? undefined : JSON.parse(json));
      this.#write(id, key, next, maxBytes);
      return Promise.resolve(next === undefined ? undefined : JSON.parse(JSON.stringify(next)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Writes one key of a held session's state (`undefined` deletes it); throws past `maxBytes`. */
  #write(id: string, key: string, value: unknown, maxBytes: number): void {
    const state = this.#states.get(id);
    const previous = state?.values.get(key);
    const previousBytes = previous === undefined ? 0 : utf8Length(key) + utf8Length(previous);
    if (value === undefined) {
      if (previous !== undefined) {
        state!.values.delete(key);
        state!.bytes -= previousBytes;
      }
      return;
    }
    const json = JSON.stringify(value);
    if (json === undefined) {
      throw new TypeError(`Session state value for "${key}" is not JSON-serialisable`);
    }
    const bytes = (state?.bytes ?? 0) - previousBytes + utf8Length(key) + utf8Length(json);
    if (bytes > maxBytes) {
      throw new RangeError(`Session state would grow to ${bytes} bytes (limit ${maxBytes})`);
    }
    if (state === undefined) this.#states.set(id, { values: new Map([[key, json]]), bytes });
    else {
      state.values.set(key, json);
      state.bytes = bytes;
    }
  }

  /** Removes a session and its state. */
  delete(id: string): Promise<boolean> {
    return Promise.resolve(this.#remove(id));
  }

  /** Removes every expired session and returns their records. */
  sweep(now: number): Promise<ExpiredSession[]> {
    const removed: ExpiredSession[] = [];
    for (const [id, record] of this.#records) {
      if (record.expiresAt <= now) {
        this.#remove(id);
        removed.push(record);
      }
    }
    return Promise.resolve(removed);
  }

  /** The number of sessions held. */
  size(): Promise<number> {
    return Promise.resolve(this.#records.size);
  }

  /** Drops every session. */
  close(): Promise<void> {
    this.#records.clear();
    this.#states.clear();
    this.#owned.clear();
    return Promise.resolve();
  }
}
