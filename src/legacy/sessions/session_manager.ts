/**
 * Session lifecycle on top of a {@linkcode SessionStore}, and the store's only
 * caller: minting ids, computing deadlines (idle TTL bounded by the absolute
 * TTL), the cap, resolving the `Mcp-Session-Id` header of a request to a
 * session the caller owns, and the session state's values (`ctx.session`,
 * awaited replies) within `maxStateBytes`. It answers every refusal with a
 * refusal value (rendered by the transport); a store's failure is thrown to
 * the caller (fail closed); it does not know what runs inside a session.
 * `scripts/check_store_callers.ts` keeps every other module off the store.
 * @module
 */

import { shareFull } from "../../limits/principal_shares.ts";
import { type Refusal, refuse } from "../../http/refusal.ts";
import { isAnonymous, ownerKeyOf, type Principal } from "../../protocol/context/request_context.ts";
import { isPromiseLike, type MaybePromise } from "../../protocol/maybe_async.ts";
import { ClientMetadataPool } from "./client_metadata_pool.ts";
import { MemorySessionStore } from "../../storage/sessions/memory_session_store.ts";
import { isWellFormedSessionId } from "./session_id.ts";
import type {
  ExpiredSession,
  SessionChanges,
  SessionRecord,
  SessionStore,
  SessionUse,
} from "../../storage/sessions/session_store.ts";

/**
 * The `sessions` settings the {@linkcode SessionManager} reads, named as the
 * options name them; the two TTLs as the store's {@linkcode SessionUse}
 * declares them.
 *
 * @example
 * ```ts
 * import type { SessionLimits } from "./session_manager.ts";
 * const principalsAtShare = (limits: SessionLimits): number =>
 *   Math.ceil(limits.maxSessions / limits.maxSessionsPerPrincipal);
 * ```
 */
export interface SessionLimits extends Omit<SessionUse, "ownerKey"> {
  maxSessions: number;
  /** Sessions one authenticated principal may hold (Infinity: no share). */
  maxSessionsPerPrincipal: number;
  /** Sessions the anonymous principal (every anonymous caller together) may hold. */
  maxAnonymousSessions: number;
  retryAfterSeconds: number;
  /** The size limit of one session's state, bytes of JSON (`sessions.maxStateBytes`). */
  maxStateBytes: number;
}

/** Settings of the {@linkcode SessionManager}: its limits, and what it is given to work with. */
export interface SessionManagerOptions extends SessionLimits {
  now: () => number;
  generateId: () => string;
  /** Sweeps expired sessions (ending their work); called when the store is full. */
  sweepWhenFull: () => Promise<void>;
}

/** Minimum spacing of the extra sweeps run when the store is full, so an initialize flood at the cap stays O(1). */
const FULL_SWEEP_INTERVAL_MS = 1_000;

/** A resolved session, or the refusal of the request. */
export type SessionResolution = { ok: true; session: SessionRecord } | {
  ok: false;
  refusal: Refusal;
};

const SESSION_HEADER = "mcp-session-id";

/** Creates, resolves and ends sessions, and reads and writes their state. */
export class SessionManager {
  /** The store the sessions live in: called by this class only. */
  readonly #store: SessionStore;
  /** True when this manager made the store (a {@linkcode MemorySessionStore}), so {@linkcode close} closes it. */
  readonly #ownsStore: boolean;
  #options: SessionManagerOptions;
  #lastFullSweep = -Infinity;
  /** One frozen copy of each client's metadata, shared by its sessions. */
  readonly #clientMetadata = new ClientMetadataPool();
  /** Owner keys of the sessions the last heartbeat kept alive (keepAlive). */
  #beatOwners = new Map<string, string>();
  /** Sessions a heartbeat found gone: never touched again (ids are never reused). */
  #beatGone = new Set<string>();

  /** Wraps `store` with lifecycle rules; without one, a {@linkcode MemorySessionStore} of its own. */
  constructor(store: SessionStore | undefined, options: SessionManagerOptions) {
    this.#ownsStore = store === undefined;
    this.#store = store ?? new MemorySessionStore();
    this.#options = options;
  }

  /** What the store's `getAndTouch` needs of a use by `ownerKey`: the TTLs from the settings. */
  #use(ownerKey: string): SessionUse {
    const options = this.#options;
    return { ownerKey, idleTtlMs: options.idleTtlMs, absoluteTtlMs: options.absoluteTtlMs };
  }

  /** The deadline of a session touched at `now`. */
  deadline(createdAt: number, now: number): number {
    return Math.min(now + this.#options.idleTtlMs, createdAt + this.#options.absoluteTtlMs);
  }

  /**
   * Creates a session owned by `principal`. Refused with `429` when that
   * principal holds its share of sessions already (`maxSessionsPerPrincipal`,
   * or `maxAnonymousSessions` for the anonymous principal), with `503` when
   * the server holds `maxSessions` live sessions. `clientMetadataJson`: the
   * client's `[capabilities, clientInfo or null]` as JSON
   * (`clientMetadataJson`); the record keeps a frozen copy shared with every
   * session whose client sent the same.
   */
  async create(
    principal: Principal,
    protocolVersion: string,
    clientMetadataJson: string,
  ): Promise<SessionResolution> {
    const now = this.#options.now();
    const id = this.#options.generateId();
    if (!isWellFormedSessionId(id)) {
      throw new TypeError(
        "generateSessionId returned an id that is not 1-256 visible ASCII characters",
      );
    }
    const { capabilities, clientInfo } = this.#clientMetadata.share(clientMetadataJson);
    const record: SessionRecord = {
      id,
      ownerKey: ownerKeyOf(principal),
      protocolVersion,
      clientCapabilities: capabilities,
      createdAt: now,
      expiresAt: this.deadline(now, now),
      ...(clientInfo === undefined ? {} : { clientInfo }),
    };
    const { maxSessions } = this.#options;
    const ownShare = isAnonymous(principal)
      ? this.#options.maxAnonymousSessions
      : this.#options.maxSessionsPerPrincipal;
    // A share as large as the pool is none: past the pool the answer is the pool's 503.
    const share = ownShare >= maxSessions ? Infinity : ownShare;
    let created = await this.#store.create(record, maxSessions, now, share);
    // The owner's or the server's expired sessions count until swept: sweep (at most once a second), retry.
    if (created !== true && now - this.#lastFullSweep >= FULL_SWEEP_INTERVAL_MS) {
      this.#lastFullSweep = now;
      await this.#options.sweepWhenFull();
      created = await this.#store.create(record, maxSessions, now, share);
    }
    if (created === true) return { ok: true, session: record };
    return {
      ok: false,
      refusal: created === "owner-full"
        ? shareFull("sessions", share, this.#options.retryAfterSeconds)
        : this.full(),
    };
  }

  /** The 503 sent when the cap is reached. */
  full(): Refusal {
    return refuse(503, "Service Unavailable: too many sessions, retry later", {
      headers: { "retry-after": String(this.#options.retryAfterSeconds) },
      step: "session-cap",
    });
  }

  /**
   * Resolves the request's session header. Missing → 400; malformed, unknown,
   * expired or deleted → 404 (the client must initialize again); owned by
   * another principal → 403 with no detail, and the session is not touched.
   * A resolved session's idle deadline moves forward. At once, with no
   * promise, when the store's `getAndTouch` answers at once (the in-memory
   * store); a store's throw is thrown. `headers`: the request's, when the
   * caller holds them (each read of `request.headers` costs on Deno.serve).
   */
  resolve(
    request: Request,
    principal: Principal,
    headers: Headers = request.headers,
  ): MaybePromise<SessionResolution> {
    const id = headers.get(SESSION_HEADER);
    if (id === null) {
      return {
        ok: false,
        refusal: refuse(400, "Bad Request: Mcp-Session-Id header is required", { step: "session" }),
      };
    }
    if (!isWellFormedSessionId(id)) return { ok: false, refusal: sessionNotFound() };
    const now = this.#options.now();
    const ownerKey = ownerKeyOf(principal);
    if (this.#store.getAndTouch === undefined) return this.#resolveInSteps(id, now, ownerKey);
    // One step when the store can (a shared store: one round trip); it touches the owner's only.
    const found = this.#store.getAndTouch(id, now, this.#use(ownerKey));
    return isPromiseLike(found)
      ? this.#resolveLater(found, ownerKey)
      : ownedResolution(found, ownerKey);
  }

  /** {@linkcode resolve} over a store whose `getAndTouch` answers with a promise. */
  async #resolveLater(
    found: PromiseLike<SessionRecord | undefined>,
    ownerKey: string,
  ): Promise<SessionResolution> {
    return ownedResolution(await found, ownerKey);
  }

  /** {@linkcode resolve} over a store without `getAndTouch`: `get`, then `touch` for the owner. */
  async #resolveInSteps(id: string, now: number, ownerKey: string): Promise<SessionResolution> {
    const session = await this.#store.get(id, now);
    const resolution = ownedResolution(session, ownerKey);
    if (resolution.ok) await this.#store.touch(id, this.deadline(session!.createdAt, now));
    return resolution;
  }

  /**
   * Moves the deadlines of the sessions with open streams here (each SSE
   * heartbeat), as if each had just been used. With the store's
   * `getAndTouch` a session is one step (one script on a shared store) once
   * an earlier beat read its owner; owners are kept for the sessions of the
   * last beat only. A session a beat found gone (ended elsewhere while its
   * stream stays open here) is not touched again. A failure goes to
   * `onError`; settles when every session's step did.
   */
  keepAlive(ids: Iterable<string>, onError: (error: unknown) => void): Promise<void> {
    const owners = new Map<string, string>();
    const gone = new Set<string>();
    const steps: Promise<void>[] = [];
    for (const id of ids) {
      if (this.#beatGone.has(id)) {
        gone.add(id);
        continue;
      }
      const known = this.#beatOwners.get(id);
      steps.push(
        this.#keepAliveOne(id, known).then((owner) => {
          if (owner === undefined) gone.add(id);
          else owners.set(id, owner);
        }, (error) => {
          if (known !== undefined) owners.set(id, known); // the store failed: still its owner
          onError(error);
        }),
      );
    }
    this.#beatOwners = owners;
    this.#beatGone = gone;
    return Promise.all(steps).then(() => {});
  }

  /** One session's keep-alive; its owner key, once read (undefined when it is gone). */
  async #keepAliveOne(id: string, ownerKey: string | undefined): Promise<string | undefined> {
    const now = this.#options.now();
    if (ownerKey !== undefined && this.#store.getAndTouch !== undefined) {
      return (await this.#store.getAndTouch(id, now, this.#use(ownerKey)))?.ownerKey;
    }
    const session = await this.#store.get(id, now);
    if (session !== undefined) await this.#store.touch(id, this.deadline(session.createdAt, now));
    return session?.ownerKey;
  }

  /** Removes expired sessions; returns their ids and which deadline ended each. */
  async sweep(): Promise<{ id: string; reason: "idle" | "absolute" }[]> {
    const absoluteTtlMs = this.#options.absoluteTtlMs;
    return (await this.#store.sweep(this.#options.now())).map((session: ExpiredSession) => ({
      id: session.id,
      // A deadline is min(last use + idle TTL, creation + absolute TTL): it equals the latter when that bound applied.
      reason: session.expiresAt >= session.createdAt + absoluteTtlMs ? "absolute" : "idle",
    }));
  }

  /** True when the session exists and has not expired. */
  async exists(id: string): Promise<boolean> {
    return await this.#store.get(id, this.#options.now()) !== undefined;
  }

  /** The session's record, unless it is gone or expired. */
  get(id: string): Promise<SessionRecord | undefined> {
    return this.#store.get(id, this.#options.now());
  }

  /** Applies protocol-level changes to a session (its log level, its resource subscriptions). */
  update(id: string, changes: SessionChanges): Promise<void> {
    return this.#store.update(id, changes);
  }

  /** Removes a session's record; true when it existed (of two racing ends, the one that removed it). */
  end(id: string): Promise<boolean> {
    return this.#store.delete(id);
  }

  /** Sessions in the store. */
  count(): Promise<number> {
    return this.#store.size();
  }

  /** The value under `key` in the session's state; undefined when absent. Rejects when the store fails. */
  stateValue(id: string, key: string): Promise<unknown> {
    return this.#store.readState(id, key);
  }

  /**
   * Sets the value under `key` in the session's state (`undefined` removes
   * it). Rejects with a RangeError when the state would outgrow
   * `maxStateBytes`, and when the store fails.
   */
  setStateValue(id: string, key: string, value: unknown): Promise<void> {
    return this.#store.writeState(id, key, value, this.#options.maxStateBytes);
  }

  /**
   * Replaces the value under `key` with `change(current)`, atomically across
   * the instances sharing the store, and returns the new value. Same limits
   * as {@linkcode setStateValue}.
   */
  changeStateValue(
    id: string,
    key: string,
    change: (current: unknown) => unknown,
  ): Promise<unknown> {
    return this.#store.updateState(id, key, change, this.#options.maxStateBytes);
  }

  /** Closes the store when this manager made it; a store the application gave stays open (it is the application's). */
  close(): Promise<void> {
    return this.#ownsStore ? this.#store.close() : Promise.resolve();
  }
}

/**
 * A looked-up session as its resolution: unknown → 404; another principal's
 * → 403. Owner binding: a session id is not a credential. Only the principal
 * that initialized the session may use it; anyone else learns nothing about
 * it. Kind and id are compared, so an anonymous session is not a user's
 * named "anonymous".
 */
function ownedResolution(
  session: SessionRecord | undefined,
  ownerKey: string,
): SessionResolution {
  if (session === undefined) return { ok: false, refusal: sessionNotFound() };
  if (session.ownerKey !== ownerKey) {
    return { ok: false, refusal: refuse(403, "Forbidden", { step: "session" }) };
  }
  return { ok: true, session };
}

function sessionNotFound(): Refusal {
  return refuse(404, "Session not found or expired: start a new session with initialize", {
    step: "session",
  });
}
