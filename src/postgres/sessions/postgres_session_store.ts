/**
 * A {@linkcode SessionStore} in Postgres, so several tether instances share sessions: a row of
 * `tether_sessions` per session (its record as JSON, its owner and deadline as columns) and a
 * row of `tether_session_state` per state key, removed with the session. Every statement is
 * one round trip; the caps (`maxSessions`, the share per owner) and the state's byte bound are
 * checked and written in one step by functions of the schema, so instances never pass them
 * together. Reads ignore rows past their deadline; `sweep` deletes them in bounded batches
 * (`FOR UPDATE SKIP LOCKED`: each expiry is reported by the one instance that deleted it).
 *
 * Scope: records and state only (streams and the bus are other seams; with `holder`, an owner's
 * touch records the bus's holder in the same statement: bus/bus_holders.ts). The clock is the
 * caller's (`now`), as in every store: instances' clocks should agree (NTP).
 * @module
 */

import type {
  ExpiredSession,
  SessionChanges,
  SessionRecord,
  SessionStore,
  SessionUse,
} from "../../storage/sessions/session_store.ts";
import type {
  PostgresGate,
  PostgresSql,
  PostgresTransaction,
} from "../connection/postgres_gate.ts";
import { touchHolding } from "../bus/bus_holders.ts";
import { touchSession, touchSlackMs } from "./session_touch.ts";
import { POSTGRES_DEFAULTS } from "../postgres_defaults.ts";

/**
 * Options of {@linkcode PostgresSessionStore}.
 *
 * @example
 * ```ts
 * import type { PostgresSessionStoreOptions } from "./postgres_session_store.ts";
 * const options: PostgresSessionStoreOptions = { namespace: "tenant-a" };
 * ```
 */
export interface PostgresSessionStoreOptions {
  /**
   * The namespace of the store's rows: stores of different namespaces share the tables and
   * never see each other's sessions.
   * @default {"tether"}
   */
  namespace?: string;
  /**
   * Expired sessions one sweep deletes at most (in batches of 500, each its own statement);
   * the rest wait for the next sweep.
   * @default {10_000}
   */
  maxSweptPerSweep?: number;
  /**
   * The bus instance each read-and-touch by the owner records as a holder of the session, in
   * the same statement, so the session's bus messages come to this instance
   * (`createPostgresBackend` sets it to its bus's id).
   * @default undefined
   */
  holder?: string;
}

/** Rows one sweep statement deletes at most. */
export const SWEEP_BATCH = 500;

/** "No limit" for a cap, as Postgres's bigint takes it. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** A row of `tether_sessions` as the stores read it. */
interface SessionRow {
  record: unknown;
  expires_at: number;
}

/**
 * Sessions in Postgres, shared by every instance on the same database and namespace. Made by
 * `createPostgresBackend` (its `sessionStore`), which checks the schema first.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createPostgresBackend } from "@tether/mcp/postgres";
 *
 * const backend = await createPostgresBackend({ url: "postgres://app@127.0.0.1:5432/app" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   sessions: { store: backend.sessionStore },
 * });
 * ```
 */
export class PostgresSessionStore implements SessionStore {
  readonly #gate: PostgresGate;
  readonly #namespace: string;
  readonly #maxSwept: number;
  readonly #holder: string | undefined;

  /** A store whose statements pass `gate`. */
  constructor(gate: PostgresGate, options: PostgresSessionStoreOptions = {}) {
    this.#gate = gate;
    const DEFAULT = POSTGRES_DEFAULTS.PostgresSessionStoreOptions;
    this.#namespace = namespaceOf(options.namespace ?? DEFAULT.namespace);
    const maxSwept = options.maxSweptPerSweep ?? DEFAULT.maxSweptPerSweep;
    if (!Number.isSafeInteger(maxSwept) || maxSwept < 1) {
      throw new RangeError(
        `PostgresSessionStore option maxSweptPerSweep must be a positive integer, got ${maxSwept}`,
      );
    }
    this.#maxSwept = maxSwept;
    this.#holder = options.holder;
  }

  #run<T>(make: (sql: PostgresSql) => Promise<T>): Promise<T> {
    return this.#gate.run("session store", make);
  }

  /** Inserts the session unless a cap refuses it (one step: see the module doc). */
  async create(
    session: SessionRecord,
    maxSessions: number,
    _now: number,
    maxPerOwner = Infinity,
  ): Promise<boolean | "owner-full"> {
    const { expiresAt, ...rest } = session;
    const rows = await this.#run((sql) =>
      sql`SELECT tether_create_session(
        ${this.#namespace}, ${session.id}, ${session.ownerKey}, ${
        JSON.stringify(rest)
      }::text::jsonb,
        ${session.createdAt}, ${expiresAt}, ${capOf(maxSessions)}, ${capOf(maxPerOwner)}
      ) AS outcome`
    );
    const outcome = rows[0]?.outcome;
    if (outcome === "owner-full") return "owner-full";
    return outcome === "created";
  }

  /** The live record; undefined when unknown or expired at `now`. */
  async get(id: string, now: number): Promise<SessionRecord | undefined> {
    const rows = await this.#run((sql) =>
      sql`SELECT record, expires_at FROM tether_sessions
      WHERE namespace = ${this.#namespace} AND id = ${id} AND expires_at > ${now}`
    );
    return recordOf(rows[0] as SessionRow | undefined);
  }

  /**
   * `get` and, for the owner, `touch`, in one statement (another owner's record is read
   * untouched, for the caller to refuse). The deadline is written only when it moves by
   * {@linkcode touchSlackMs} or more: a session used again and again costs a read, not a
   * row version per request, and never lives past its last use plus its idle TTL.
   */
  async getAndTouch(
    id: string,
    now: number,
    use: SessionUse,
  ): Promise<SessionRecord | undefined> {
    const idle = Math.min(use.idleTtlMs, NO_LIMIT);
    const absolute = Math.min(use.absoluteTtlMs, NO_LIMIT);
    const slack = touchSlackMs(idle);
    const namespace = this.#namespace;
    const ownerKey = use.ownerKey;
    const holder = this.#holder;
    const rows = await this.#run((sql) =>
      holder === undefined
        ? touchSession(sql, { namespace, id, now, ownerKey, idle, absolute, slack })
        : touchHolding(sql, { namespace, id, now, ownerKey, idle, absolute, slack, holder })
    );
    return recordOf(rows[0] as SessionRow | undefined);
  }

  /** Moves the session's deadline. */
  async touch(id: string, expiresAt: number): Promise<void> {
    await this.#run((sql) =>
      sql`UPDATE tether_sessions SET expires_at = ${expiresAt}
      WHERE namespace = ${this.#namespace} AND id = ${id}`
    );
  }

  /** Applies log-level and subscription changes in one statement. */
  async update(id: string, changes: SessionChanges): Promise<void> {
    const level = changes.logLevel ?? null;
    const subscribe = changes.subscribe ?? null;
    const unsubscribe = changes.unsubscribe ?? null;
    // The subscriptions without `unsubscribe`, then `subscribe` appended unless held; an
    // empty list is dropped from the record (as every store keeps it).
    await this.#run((sql) =>
      sql`UPDATE tether_sessions SET record = (
        WITH kept AS (
          SELECT value FROM jsonb_array_elements_text(
            coalesce(record -> 'subscriptions', '[]'::jsonb)) WITH ORDINALITY AS t(value, n)
          WHERE ${unsubscribe}::text IS NULL OR value <> ${unsubscribe}::text
          ORDER BY n
        ), list AS (
          SELECT coalesce(jsonb_agg(value), '[]'::jsonb) ||
            CASE WHEN ${subscribe}::text IS NULL
              OR EXISTS (SELECT 1 FROM kept WHERE value = ${subscribe}::text)
            THEN '[]'::jsonb ELSE jsonb_build_array(${subscribe}::text) END AS value
          FROM kept
        )
        SELECT CASE WHEN jsonb_array_length(list.value) = 0
          THEN (record - 'subscriptions')
          ELSE jsonb_set(record, '{subscriptions}', list.value) END
          || CASE WHEN ${level}::text IS NULL THEN '{}'::jsonb
            ELSE jsonb_build_object('logLevel', ${level}::text) END
        FROM list
      )
      WHERE namespace = ${this.#namespace} AND id = ${id}`
    );
  }

  /** Reads one key of the session's state (a fresh copy). */
  async readState(id: string, key: string): Promise<unknown> {
    const rows = await this.#run((sql) =>
      sql`SELECT value FROM tether_session_state
      WHERE namespace = ${this.#namespace} AND session_id = ${id} AND key = ${key}`
    );
    const value = rows[0]?.value;
    return typeof value === "string" ? JSON.parse(value) : undefined;
  }

  /** Writes one key (`undefined` deletes); a RangeError past `maxBytes`. */
  async writeState(id: string, key: string, value: unknown, maxBytes: number): Promise<void> {
    const json = encoded(key, value);
    const result = await this.#run((sql) => this.#write(sql, id, key, json, maxBytes));
    refuseOversize(result, maxBytes);
  }

  /**
   * Replaces one key with `update(current)` in one transaction that holds the session's row
   * lock: concurrent updates run one after the other, none is lost or retried.
   */
  async updateState(
    id: string,
    key: string,
    update: (current: unknown) => unknown,
    maxBytes: number,
  ): Promise<unknown> {
    return await this.#gate.transaction("session store", async (sql) => {
      // The lock first, then the read: a statement that waited for the lock reads from a
      // snapshot taken before it, so the value must come from a statement after it.
      await sql`SELECT 1 FROM tether_sessions
        WHERE namespace = ${this.#namespace} AND id = ${id} FOR UPDATE`;
      const rows = await sql`SELECT value FROM tether_session_state
        WHERE namespace = ${this.#namespace} AND session_id = ${id} AND key = ${key}`;
      const raw = rows[0]?.value;
      const next = update(typeof raw === "string" ? JSON.parse(raw) : undefined);
      const json = encoded(key, next);
      refuseOversize(
        await this.#write(sql, id, key, json, maxBytes),
        maxBytes,
      );
      return json === null ? undefined : JSON.parse(json);
    });
  }

  /** One call of `tether_write_state`: 1 written, -bytes past the bound. */
  async #write(
    on: PostgresSql | PostgresTransaction,
    id: string,
    key: string,
    json: string | null,
    maxBytes: number,
  ): Promise<number> {
    // No compare-and-set here (`updateState` holds the row lock instead): p_check is false.
    const sql = on as PostgresSql; // a transaction takes the same statements
    const rows = await sql`SELECT tether_write_state(
      ${this.#namespace}, ${id}, ${key}, ${json}::text, ${capOf(maxBytes)}, '', false
    ) AS result`;
    return Number(rows[0]?.result);
  }

  /** Removes a session and its state; true when it existed. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.#run((sql) =>
      sql`DELETE FROM tether_sessions WHERE namespace = ${this.#namespace} AND id = ${id}
      RETURNING 1 AS one`
    );
    return rows.length > 0;
  }

  /**
   * Deletes the sessions expired at `now`, in batches of {@linkcode SWEEP_BATCH} (each one
   * statement, skipping rows another instance is deleting), up to `maxSweptPerSweep`;
   * returns each one this call deleted.
   */
  async sweep(now: number): Promise<ExpiredSession[]> {
    const expired: ExpiredSession[] = [];
    while (expired.length < this.#maxSwept) {
      const limit = Math.min(SWEEP_BATCH, this.#maxSwept - expired.length);
      const rows = await this.#run((sql) =>
        sql`DELETE FROM tether_sessions WHERE (namespace, id) IN (
          SELECT namespace, id FROM tether_sessions
          WHERE namespace = ${this.#namespace} AND expires_at <= ${now}
          ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
        ) RETURNING id, created_at, expires_at`
      );
      for (const row of rows) {
        expired.push({
          id: String(row.id),
          createdAt: Number(row.created_at),
          expiresAt: Number(row.expires_at),
        });
      }
      if (rows.length < limit) break;
    }
    return expired;
  }

  /** The number of sessions held (expired ones until swept). */
  async size(): Promise<number> {
    const rows = await this.#run((sql) =>
      sql`SELECT count(*)::int AS n FROM tether_sessions WHERE namespace = ${this.#namespace}`
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Nothing to release: the backend owns the connections (`backend.close()`). */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A namespace option, its default already applied (each store's is in `POSTGRES_DEFAULTS`):
 * 1 to 200 characters; throws a `RangeError` otherwise.
 *
 * @example
 * ```ts
 * import { namespaceOf } from "./postgres_session_store.ts";
 * namespaceOf("tenant-a"); // "tenant-a"
 * ```
 */
export function namespaceOf(namespace: string): string {
  if (typeof namespace !== "string" || namespace.length === 0 || namespace.length > 200) {
    throw new RangeError("a Postgres namespace is a string of 1 to 200 characters");
  }
  return namespace;
}

/**
 * A cap as Postgres's bigint takes it (Infinity: no limit).
 *
 * @example
 * ```ts
 * import { capOf } from "./postgres_session_store.ts";
 * capOf(Infinity); // Number.MAX_SAFE_INTEGER
 * ```
 */
export function capOf(cap: number): number {
  return Number.isFinite(cap) ? Math.max(0, Math.floor(cap)) : NO_LIMIT;
}

/** The record of a row, with its deadline; undefined for no row. */
function recordOf(row: SessionRow | undefined): SessionRecord | undefined {
  if (row === undefined) return undefined;
  const record = typeof row.record === "string" ? JSON.parse(row.record) : row.record;
  return { ...(record as object), expiresAt: Number(row.expires_at) } as SessionRecord;
}

/** A state value's JSON (null deletes); a TypeError for a value JSON cannot hold. */
function encoded(key: string, value: unknown): string | null {
  if (value === undefined) return null;
  const json = JSON.stringify(value);
  if (json === undefined) {
    throw new TypeError(`Session state value for "${key}" is not JSON-serialisable`);
  }
  return json;
}

function refuseOversize(result: number, maxBytes: number): void {
  if (result < 0) {
    throw new RangeError(`Session state would grow to ${-result} bytes (limit ${maxBytes})`);
  }
}
