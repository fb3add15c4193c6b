/**
 * The `SessionStore` interface: where session records live. It is async so a
 * shared store (Redis) can implement it; nothing outside a store may assume
 * the records are in this process. Expiry is data (`expiresAt` on each
 * record), so a store needs no TTL policy of its own: the handler computes the
 * deadlines, the store keeps and enforces them.
 * @module
 */

import type { LoggingLevel } from "../../protocol/context/logging.ts";

/**
 * What the store keeps about one session. Treat returned records as read-only.
 *
 * @example
 * ```ts
 * import type { SessionRecord } from "@tether/mcp/storage";
 * const expired = (session: SessionRecord, now: number): boolean => session.expiresAt <= now;
 * ```
 */
export interface SessionRecord {
  /** The server-issued session id. */
  readonly id: string;
  /**
   * The owner key (`ownerKeyOf`) of the principal that initialized the
   * session: its kind and id, for owner binding.
   */
  readonly ownerKey: string;
  /** The protocol version negotiated at initialize. */
  readonly protocolVersion: string;
  /** The capabilities the client declared at initialize. */
  readonly clientCapabilities: Record<string, unknown>;
  /** The client's name and version from initialize, if sent. */
  readonly clientInfo?: { name: string; version: string; [key: string]: unknown };
  /** Creation time, ms since the epoch. */
  readonly createdAt: number;
  /** When the session expires unless touched, ms since the epoch (never past the absolute deadline). */
  expiresAt: number;
  /** The minimum level for `notifications/message`, set by `logging/setLevel`. */
  logLevel?: LoggingLevel;
  /** Resource URIs the client subscribed to. */
  subscriptions?: string[];
}

/**
 * A session removed by {@linkcode SessionStore.sweep}: its id, and its
 * creation time and deadline, which tell whether the idle or the absolute
 * TTL ended it. A whole {@linkcode SessionRecord} will do.
 *
 * @example
 * ```ts
 * import type { ExpiredSession } from "@tether/mcp/storage";
 * const swept: ExpiredSession = { id: "abc", createdAt: 0, expiresAt: 1_800_000 };
 * ```
 */
export interface ExpiredSession {
  /** The session id. */
  readonly id: string;
  /** Creation time, ms since the epoch. */
  readonly createdAt: number;
  /** The deadline it expired at, ms since the epoch. */
  readonly expiresAt: number;
}

/**
 * Protocol-level changes to a session record, applied by {@linkcode SessionStore.update}.
 *
 * @example
 * ```ts
 * import type { SessionChanges } from "@tether/mcp/storage";
 * const changes: SessionChanges = { logLevel: "info", subscribe: "docs://readme" };
 * ```
 */
export interface SessionChanges {
  /** New minimum logging level. */
  logLevel?: LoggingLevel;
  /** A resource URI to add to the subscriptions. */
  subscribe?: string;
  /** A resource URI to remove from the subscriptions. */
  unsubscribe?: string;
}

/**
 * Who uses a session, and its time limits: what
 * {@linkcode SessionStore.getAndTouch} needs to move the deadline.
 *
 * @example
 * ```ts
 * import type { SessionUse } from "@tether/mcp/storage";
 * const use: SessionUse = { ownerKey: "user:alice", idleTtlMs: 1_800_000, absoluteTtlMs: 86_400_000 };
 * ```
 */
export interface SessionUse {
  /** The owner key of the caller (see `ownerKeyOf`). */
  ownerKey: string;
  /** Idle time-to-live, ms. */
  idleTtlMs: number;
  /** Absolute time-to-live from creation, ms. */
  absoluteTtlMs: number;
}

/**
 * Storage for session records and each session's small key/value state.
 * Values of the state are JSON-serialisable; stores keep them as copies, so a
 * value read in one request is never the same object another request mutates.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { MemorySessionStore } from "@tether/mcp/storage";
 * const handler = createMcpHandler({
 *   name: "demo", version: "1.0.0",
 *   sessions: { store: new MemorySessionStore() },
 * });
 * ```
 */
export interface SessionStore {
  /**
   * Inserts a new session unless `maxSessions` sessions are held (false), or
   * its owner (`session.ownerKey`) holds `maxPerOwner` already
   * (`"owner-full"`); the check and the insert are one step, so instances
   * sharing a store never pass either cap together. The count per owner
   * must drop on every end: `delete`, `sweep`. Expired sessions may count
   * until swept: the handler sweeps (at most once a second) and retries when
   * a store reports full. `maxPerOwner` is absent from callers that set no
   * share (Infinity); a store that ignores it enforces no share.
   */
  create(
    session: SessionRecord,
    maxSessions: number,
    now: number,
    maxPerOwner?: number,
  ): Promise<boolean | "owner-full">;
  /**
   * Returns the session, or undefined when unknown or expired at `now`.
   * Removing expired sessions is `sweep`'s job, so their ids get reported.
   */
  get(id: string, now: number): Promise<SessionRecord | undefined>;
  /** Records activity: moves the session's deadline to `expiresAt`. */
  touch(id: string, expiresAt: number): Promise<void>;
  /**
   * Optional: `get` and, when the record's owner is `use.ownerKey`, `touch`
   * in one step (one round trip for a shared store). The deadline becomes
   * `min(now + idleTtlMs, createdAt + absoluteTtlMs)`. A record of another
   * owner is returned untouched (the caller answers 403). A store in the
   * handler's own process may answer at once, without a promise: every
   * sessionful request asks this, and each promise on its way costs about as
   * much as one of its checks. A failure may be thrown or rejected alike.
   */
  getAndTouch?(
    id: string,
    now: number,
    use: SessionUse,
  ): SessionRecord | undefined | Promise<SessionRecord | undefined>;
  /** Applies protocol-level changes (log level, subscriptions). */
  update(id: string, changes: SessionChanges): Promise<void>;
  /** Reads one key of the session's state; undefined when absent. */
  readState(id: string, key: string): Promise<unknown>;
  /**
   * Writes one key of the session's state (`undefined` deletes it). Throws a
   * RangeError when the session's state would exceed `maxBytes` of JSON.
   */
  writeState(id: string, key: string, value: unknown, maxBytes: number): Promise<void>;
  /**
   * Atomically replaces one key with `update(current)` and returns the new
   * value; same size rule as `writeState`.
   */
  updateState(
    id: string,
    key: string,
    update: (current: unknown) => unknown,
    maxBytes: number,
  ): Promise<unknown>;
  /** Removes a session and its state; true when it existed. */
  delete(id: string): Promise<boolean>;
  /** Removes every session expired at `now`; returns each one's id, creation time and deadline. */
  sweep(now: number): Promise<ExpiredSession[]>;
  /** The number of sessions held (expired ones not yet swept included). */
  size(): Promise<number>;
  /** Releases the store's resources. */
  close(): Promise<void>;
}
