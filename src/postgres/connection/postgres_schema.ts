/**
 * The Postgres backend's schema, by versioned migration: `tether_schema` holds the version, each
 * step below takes it one further, and {@linkcode migratePostgres} applies the missing steps in
 * one transaction under an advisory lock (two instances migrating at once apply each step once).
 * {@linkcode checkSchema} refuses, at startup, a schema that is missing, older or newer than this
 * code, with a message naming what to run. It never migrates on its own.
 * @module
 */

import postgres from "postgres";
import { hostChoice } from "./postgres_hosts.ts";
import type { PostgresSql } from "./postgres_gate.ts";
import { EVENT_LOG_STEP } from "../event_log/event_log_schema.ts";
import { EVENT_LOG_APPEND_STEP } from "../event_log/event_log_append_schema.ts";
import { EVENT_LOG_BATCH_STEP } from "../event_log/event_log_batch_schema.ts";
import { BUS_SCHEMA_STEP } from "../bus/bus_schema.ts";
import { TASKS_SQL } from "../tasks/postgres_tasks_schema.ts";
import { DPOP_OWNER_SQL, DPOP_SQL } from "../auth/postgres_dpop_schema.ts";

/**
 * The schema version this code reads and writes (`tether_schema`'s highest row).
 *
 * @example
 * ```ts
 * import { SCHEMA_VERSION } from "@tether/mcp/postgres";
 * console.log(`this tether needs the Postgres schema at version ${SCHEMA_VERSION}`);
 * ```
 */
export const SCHEMA_VERSION = 7;

/** The command that migrates, as the refusals name it (internal to the backend). */
export const MIGRATE_COMMAND =
  "migratePostgres(url) from @tether/mcp/postgres, or `node scripts/postgres_migrate.ts <url>` in tether's repository";

/**
 * Version 1: sessions (a row each, its deadline a column), their state (a row per key, removed
 * with the session), rate-limit budgets (a row per key, its deadline the time it is full again),
 * and the functions that check a cap and write in one step. Every row carries a `namespace`
 * (the backend's option), so applications can share one database.
 */
const STEP_1 = `
CREATE TABLE tether_sessions (
  namespace text NOT NULL,
  id text NOT NULL,
  owner_key text NOT NULL,
  record jsonb NOT NULL,
  created_at double precision NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, id)
);
CREATE INDEX tether_sessions_deadline ON tether_sessions (namespace, expires_at);
CREATE INDEX tether_sessions_owner ON tether_sessions (namespace, owner_key);
CREATE INDEX tether_sessions_expiry ON tether_sessions (expires_at);
CREATE TABLE tether_session_state (
  namespace text NOT NULL,
  session_id text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (namespace, session_id, key),
  FOREIGN KEY (namespace, session_id) REFERENCES tether_sessions (namespace, id) ON DELETE CASCADE
);
CREATE TABLE tether_rate_limits (
  namespace text NOT NULL,
  key text NOT NULL,
  full_at double precision NOT NULL,
  PRIMARY KEY (namespace, key)
);
CREATE INDEX tether_rate_limits_expiry ON tether_rate_limits (full_at);

-- Inserts a session unless its owner holds p_max_per_owner ('owner-full') or the namespace
-- holds p_max ('full'); 'exists' when the id is taken. Creates of one namespace take its
-- advisory lock, so the counts and the insert are one step across instances.
CREATE FUNCTION tether_create_session(
  p_namespace text, p_id text, p_owner text, p_record jsonb,
  p_created double precision, p_expires double precision, p_max bigint, p_max_per_owner bigint
) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('tether_sessions:' || p_namespace, 0));
  IF (SELECT count(*) FROM tether_sessions
      WHERE namespace = p_namespace AND owner_key = p_owner) >= p_max_per_owner THEN
    RETURN 'owner-full';
  END IF;
  IF (SELECT count(*) FROM tether_sessions WHERE namespace = p_namespace) >= p_max THEN
    RETURN 'full';
  END IF;
  INSERT INTO tether_sessions (namespace, id, owner_key, record, created_at, expires_at)
  VALUES (p_namespace, p_id, p_owner, p_record, p_created, p_expires)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN RETURN 'exists'; END IF;
  RETURN 'created';
END $$;

-- Writes one state key (p_value NULL deletes) under the session's row lock: 1 written (or the
-- session is gone: nothing to write), 0 the current value is not p_expected (only when
-- p_check), -bytes when the state would exceed p_max bytes (keys and JSON values, as counted
-- by every store).
CREATE FUNCTION tether_write_state(
  p_namespace text, p_id text, p_key text, p_value text, p_max bigint,
  p_expected text, p_check boolean
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  current_value text;
  used bigint;
BEGIN
  PERFORM 1 FROM tether_sessions WHERE namespace = p_namespace AND id = p_id FOR UPDATE;
  IF NOT FOUND THEN RETURN 1; END IF;
  SELECT value INTO current_value FROM tether_session_state
  WHERE namespace = p_namespace AND session_id = p_id AND key = p_key;
  IF p_check AND coalesce(current_value, '') <> p_expected THEN RETURN 0; END IF;
  IF p_value IS NULL THEN
    DELETE FROM tether_session_state
    WHERE namespace = p_namespace AND session_id = p_id AND key = p_key;
    RETURN 1;
  END IF;
  SELECT coalesce(sum(octet_length(key) + octet_length(value)), 0) INTO used
  FROM tether_session_state
  WHERE namespace = p_namespace AND session_id = p_id AND key <> p_key;
  used := used + octet_length(p_key) + octet_length(p_value);
  IF used > p_max THEN RETURN -used; END IF;
  INSERT INTO tether_session_state (namespace, session_id, key, value)
  VALUES (p_namespace, p_id, p_key, p_value)
  ON CONFLICT (namespace, session_id, key) DO UPDATE SET value = excluded.value;
  RETURN 1;
END $$;
`;

/**
/**
 * Version 2: the event log (resumable streams shared by every instance): its sessions, streams,
 * events, byte budget and writers' heartbeats, and the functions that write them
 * (event_log/event_log_schema.ts).
 */
const STEP_2 = EVENT_LOG_STEP;

/** Version 3: the message bus (src/postgres/bus/bus_schema.ts). */
const STEP_3 = BUS_SCHEMA_STEP;

/**
 * Version 4: tasks (a row each, its result beside its record, the result budget's functions)
 * and claimed DPoP proofs (a row each), every row with its deadline.
 */
const STEP_4 = TASKS_SQL + DPOP_SQL;

/**
 * Version 5: the event log's cheaper write (event_log/event_log_append_schema.ts): bytes booked
 * by each instance in batches, a `NOTIFY` only for a stream someone follows.
 */
const STEP_5 = EVENT_LOG_APPEND_STEP;

/**
 * Version 6: the event log's events stored by batch, a row per append
 * (event_log/event_log_batch_schema.ts), and the cap on a session's streams read from a count.
 */
const STEP_6 = EVENT_LOG_BATCH_STEP;

/**
 * Version 7: each claimed DPoP proof's owner, and the claim that keeps each principal to its
 * share of the replay cache (auth/postgres_dpop_schema.ts).
 */
const STEP_7 = DPOP_OWNER_SQL;

/** The steps, in order: step `i` takes the schema from version `i` to `i + 1`. */
const STEPS: readonly string[] = [STEP_1, STEP_2, STEP_3, STEP_4, STEP_5, STEP_6, STEP_7];

/**
 * Creates or upgrades tether's tables on the database at `url` (a connection of its own,
 * closed after) to {@linkcode SCHEMA_VERSION}, or to `options.to` (a staged upgrade: an earlier
 * version, which instances of this code refuse); resolves with the version it found (0: none).
 * Safe to run again and from several processes at once. Refuses a schema newer than this code.
 *
 * @example
 * ```ts
 * import { migratePostgres } from "@tether/mcp/postgres";
 *
 * const found = await migratePostgres("postgres://app@127.0.0.1:5432/app");
 * console.log(`the tether schema was at version ${found}`);
 * ```
 */
export async function migratePostgres(
  url: string,
  options: { to?: number } = {},
): Promise<number> {
  const to = options.to ?? SCHEMA_VERSION;
  if (!Number.isSafeInteger(to) || to < 1 || to > SCHEMA_VERSION) {
    throw new RangeError(`migratePostgres option to must be a version from 1 to ${SCHEMA_VERSION}`);
  }
  const sql = postgres(url, {
    ...hostChoice(url),
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
  });
  try {
    return await migrateOn(sql, to);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function migrateOn(sql: PostgresSql, to: number): Promise<number> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended('tether_schema', 0))`;
    await tx`CREATE TABLE IF NOT EXISTS tether_schema (
      version integer NOT NULL,
      migrated_at timestamptz NOT NULL DEFAULT now()
    )`;
    const rows = await tx`SELECT max(version) AS version FROM tether_schema`;
    const found = Number(rows[0]?.version ?? 0);
    if (found > SCHEMA_VERSION) throw new Error(newerMessage(found));
    for (let version = found; version < to; version++) {
      await tx.unsafe(STEPS[version]);
      await tx`INSERT INTO tether_schema (version) VALUES (${version + 1})`;
    }
    return found;
  }) as number;
}

function newerMessage(found: number): string {
  return `tether: the Postgres schema is at version ${found}, newer than this tether's ` +
    `${SCHEMA_VERSION}: upgrade tether on every instance`;
}

/**
 * Refuses a database whose schema is not {@linkcode SCHEMA_VERSION}: missing or older (run the
 * migration: the message names it), or newer (upgrade tether). Rejects with the driver's error
 * when Postgres cannot be reached.
 *
 * @example
 * ```ts ignore (internal fragment: `sql`, `gate`, `pool` and `url` are the backend's own)
 * await checkSchema(sql); // throws "tether: the Postgres schema is missing: run …"
 * ```
 */
export async function checkSchema(sql: PostgresSql): Promise<void> {
  const table = await sql`SELECT to_regclass('tether_schema') IS NOT NULL AS present`;
  if (table[0]?.present !== true) {
    throw new Error(
      `tether: the Postgres schema is missing (no tether_schema table): run ${MIGRATE_COMMAND}`,
    );
  }
  const rows = await sql`SELECT max(version) AS version FROM tether_schema`;
  const found = Number(rows[0]?.version ?? 0);
  if (found > SCHEMA_VERSION) throw new Error(newerMessage(found));
  if (found < SCHEMA_VERSION) {
    throw new Error(
      `tether: the Postgres schema is at version ${found}, older than this tether's ` +
        `${SCHEMA_VERSION}: run ${MIGRATE_COMMAND}`,
    );
  }
}
