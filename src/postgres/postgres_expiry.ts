/**
 * The Postgres backend's own expiry sweep: every `sweepIntervalMs` any live instance deletes
 * the rows of its namespace that are past their deadline and that no handler sweep takes, in
 * batches of {@linkcode EXPIRY_BATCH} (each one statement, `FOR UPDATE SKIP LOCKED`, so
 * instances sweeping at once split the rows instead of waiting on each other): rate-limit
 * budgets full again, tasks past their TTL (with their results), claimed DPoP proofs past their
 * deadline, and sessions more than `expiryGraceMs` past their deadline (the handler's
 * own sweep reports and removes expired sessions first; this one is for a database no handler
 * sweeps, such as after every instance died), and the event log's sessions past their deadline
 * or whose session record went (in batches of {@linkcode EVENT_EXPIRY_BATCH}). A sweep goes on until a batch comes back short,
 * so after every instance died, the first sweep of one that comes back leaves nothing expired.
 * The bus's rows past their deadlines go the same way (bus/bus_expiry.ts).
 * @module
 */

import { unrefTimer } from "../runtime.ts";
import type { PostgresGate, PostgresSql } from "./connection/postgres_gate.ts";
import { BUS_EXPIRING } from "./bus/bus_expiry.ts";

/** Rows one statement of the sweep deletes at most. */
export const EXPIRY_BATCH = 1_000;

/**
 * Sessions of the event log one statement deletes at most, with their streams and events (each
 * session holds at most `maxBytesPerSession` of event data).
 */
export const EVENT_EXPIRY_BATCH = 100;

/**
 * What one sweep deleted.
 *
 * @example
 * ```ts
 * import type { ExpirySweepCounts } from "@tether/mcp/postgres";
 * const report = (counts: ExpirySweepCounts) => console.log(`${counts.tasks} tasks swept`);
 * ```
 */
export interface ExpirySweepCounts {
  /** Rate-limit rows whose budget was full again. */
  rateLimits: number;
  /** Sessions more than the grace past their deadline (with their state). */
  sessions: number;
  /**
   * Sessions of the event log past their deadline, or whose session record (kept in
   * `tether_sessions`) is gone, with their streams and events.
   */
  events: number;
  /** Bus rows past their deadlines (messages, instances, request records, marks, holders). */
  bus: number;
  /** Tasks past their TTL (with their results: their bytes leave the result budget). */
  tasks: number;
  /** Claimed DPoP proofs past their deadline. */
  dpopProofs: number;
}

/**
 * Sweeps the namespace's expired rows at `now` (ms since the epoch), batch after batch until
 * none is left; how many of each it deleted.
 *
 * @example
 * ```ts ignore (internal fragment: `sql`, `gate`, `pool` and `url` are the backend's own)
 * const counts = await sweepExpired(gate, "tether", Date.now(), 60_000);
 * ```
 */
export async function sweepExpired(
  gate: PostgresGate,
  namespace: string,
  now: number,
  graceMs: number,
): Promise<ExpirySweepCounts> {
  const expired = (table: ExpiringTable) =>
    deleteInBatches(gate, expiredIn(table, namespace, table.afterGrace ? now - graceMs : now));
  return {
    // A budget full at `now` is the same as no row.
    rateLimits: await expired(EXPIRING.rateLimits),
    sessions: await expired(EXPIRING.sessions),
    // After the sessions: the streams of the sessions just deleted go in this same sweep.
    events: await deleteInBatches(
      gate,
      async (sql) => {
        const rows = await sql`SELECT tether_event_sweep(
          ${namespace}, ${now}, ${EVENT_EXPIRY_BATCH}) AS count`;
        return { count: Number(rows[0]?.count ?? 0) };
      },
      EVENT_EXPIRY_BATCH,
    ),
    bus: await sum(BUS_TABLES.map((table) => () => expired(table))),
    tasks: await expired(EXPIRING.tasks),
    dpopProofs: await expired(EXPIRING.dpopProofs),
  };
}

/** Runs `steps` one after the other; the sum of what they deleted. */
async function sum(steps: (() => Promise<number>)[]): Promise<number> {
  let total = 0;
  for (const step of steps) total += await step();
  return total;
}

/**
 * A table the sweep deletes from: its name, its key columns (beside `namespace`: together its
 * primary key), its deadline column, and whether its rows wait the grace past that deadline.
 */
interface ExpiringTable {
  readonly table: string;
  readonly key: readonly [string, ...string[]];
  readonly deadline: string;
  /** Rows go `graceMs` after their deadline, not at it. */
  readonly afterGrace?: boolean;
}

/** The tables of {@linkcode sweepExpired} outside the bus whose rows go by their deadline alone. */
const EXPIRING = {
  rateLimits: { table: "tether_rate_limits", key: ["key"], deadline: "full_at" },
  // The handler's own sweep reports and removes expired sessions first: this one waits the grace.
  sessions: { table: "tether_sessions", key: ["id"], deadline: "expires_at", afterGrace: true },
  tasks: { table: "tether_tasks", key: ["id"], deadline: "expires_at" },
  dpopProofs: { table: "tether_dpop_proofs", key: ["key"], deadline: "expires_at" },
} satisfies Record<string, ExpiringTable>;

/** The bus's expiring tables (bus/bus_expiry.ts), in the order the sweep takes them. */
const BUS_TABLES: readonly ExpiringTable[] = BUS_EXPIRING;

/**
 * One batch of the namespace's rows of `table` whose deadline is at or before `before`: one
 * statement, skipping rows another instance is deleting.
 */
function expiredIn(
  { table, key, deadline }: ExpiringTable,
  namespace: string,
  before: number,
): (sql: PostgresSql) => Promise<{ count: number }> {
  return (sql) =>
    sql`DELETE FROM ${sql(table)} WHERE (namespace, ${sql(key)}) IN (
      SELECT namespace, ${sql(key)} FROM ${sql(table)}
      WHERE namespace = ${namespace} AND ${sql(deadline)} <= ${before}
      LIMIT ${EXPIRY_BATCH} FOR UPDATE SKIP LOCKED
    )`;
}

/** Runs the batch `make` builds until one deletes fewer than a batch; how many it deleted. */
async function deleteInBatches(
  gate: PostgresGate,
  make: (sql: PostgresSql) => Promise<{ count: number }>,
  batch = EXPIRY_BATCH,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { count } = await gate.run("expiry sweep", make);
    deleted += count;
    if (count < batch) return deleted;
  }
}

/**
 * Runs {@linkcode sweepExpired} every `intervalMs` (an unref'd timer: it keeps no process
 * alive), one sweep at a time; a failure is reported by the gate's outage reports and the next
 * sweep tries again. Returns the stop function.
 *
 * @example
 * ```ts ignore (internal fragment: `sql`, `gate`, `pool` and `url` are the backend's own)
 * const stop = everyInterval(() => sweepExpired(gate, "tether", Date.now(), 60_000), 30_000);
 * ```
 */
export function everyInterval(sweep: () => Promise<unknown>, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweep().catch(() => {}).finally(() => running = false);
  }, intervalMs);
  unrefTimer(timer);
  return () => clearInterval(timer);
}
