/**
 * The Postgres EventLog meets the contract every event log meets (memory, Redis), against a real
 * PostgreSQL 15 cluster this file starts: one migrated database, a fresh namespace per log (an
 * empty log alone in its budget on shared tables). Three ways: woken by LISTEN/NOTIFY, the same
 * with server-side prepared statements, and polling-only (no wake-ups).
 */
import { after, before } from "node:test";
import postgres from "postgres";
import { PostgresGate, type PostgresSql } from "../../../src/postgres/connection/postgres_gate.ts";
import { migratePostgres } from "../../../src/postgres/connection/postgres_schema.ts";
import { openWakeups, type Wakeups } from "../../../src/postgres/connection/postgres_wakeups.ts";
import { PostgresEventLog } from "../../../src/postgres/event_log/postgres_event_log.ts";
import { describeEventLog } from "../../contracts/event_log_contract.ts";
import {
  describePostgres,
  postgresSkip,
  startPostgres,
  type TestPostgres,
} from "./postgres_server.ts";

let server: TestPostgres | undefined;
const clients: PostgresSql[] = [];
let gate: PostgresGate;
let preparedGate: PostgresGate;
let wakeups: Wakeups;
let n = 0;
// Generous deadlines: these suites pin behaviour on a machine other suites may load.
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  await migratePostgres(server.url);
  const sql = postgres(server.url, { max: 3, prepare: false, onnotice: () => {} });
  const prepared = postgres(server.url, { max: 3, prepare: true, onnotice: () => {} });
  clients.push(sql, prepared);
  // As createPostgresBackend's schema check does: a first statement reads the array types into
  // the pool's serializers, so a test run alone sends its first `text[]` as an array.
  for (const client of clients) await client`SELECT 1`;
  gate = new PostgresGate(sql, server.url, 15_000, () => {});
  preparedGate = new PostgresGate(prepared, server.url, 15_000, () => {});
  wakeups = openWakeups({ url: server.url, pool: sql, gate, listen: true, timeoutMs: 5_000 });
});
after(async () => {
  await wakeups?.close();
  for (const sql of clients) await sql.end({ timeout: 1 });
  await server?.stop();
});

describePostgres("Postgres event log contract", () =>
  describeEventLog(
    "PostgresEventLog",
    () => new PostgresEventLog(gate, { namespace: `e${++n}` }, wakeups),
    {
      tailing: true,
      appendMany: true,
      bounded: (bounds) =>
        new PostgresEventLog(gate, { namespace: `eb${++n}`, ...bounds }, wakeups),
    },
  ));
describePostgres("Postgres event log contract, prepared statements", () =>
  describeEventLog(
    "PostgresEventLog (prepared statements)",
    () => new PostgresEventLog(preparedGate, { namespace: `p${++n}` }, wakeups),
    {
      tailing: true,
      appendMany: true,
      bounded: (bounds) => new PostgresEventLog(preparedGate, { namespace: `pb${++n}`, ...bounds }),
    },
  ));
describePostgres("Postgres event log contract, polling only", () =>
  describeEventLog(
    "PostgresEventLog (polling only)",
    () => new PostgresEventLog(gate, { namespace: `q${++n}`, pollIntervalMs: 50 }),
    { tailing: true, appendMany: true },
  ));
