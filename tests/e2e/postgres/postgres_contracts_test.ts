/**
 * The Postgres SessionStore and RateLimitStore meet the contracts every store meets (memory,
 * Redis), against a real PostgreSQL 15 cluster this file starts: one migrated database, a fresh
 * namespace per test (an empty store on shared tables).
 */
import { after, before } from "node:test";
import postgres from "postgres";
import { PostgresGate, type PostgresSql } from "../../../src/postgres/connection/postgres_gate.ts";
import { migratePostgres } from "../../../src/postgres/connection/postgres_schema.ts";
import { PostgresSessionStore } from "../../../src/postgres/sessions/postgres_session_store.ts";
import { PostgresRateLimitStore } from "../../../src/postgres/limits/postgres_rate_limit_store.ts";
import { describeSessionStore } from "../../contracts/session_store_contract.ts";
import { describeRateLimitStore } from "../../contracts/rate_limit_store_contract.ts";
import {
  describePostgres,
  postgresSkip,
  startPostgres,
  type TestPostgres,
} from "./postgres_server.ts";

let server: TestPostgres | undefined;
let sql: PostgresSql | undefined;
let gate: PostgresGate;
let prepared: PostgresSql | undefined;
let preparedGate: PostgresGate;
let n = 0;
// Generous deadlines: these suites pin behaviour on a machine other suites may load; the
// deadlines themselves are postgres_faults_test.ts's subject.
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  sql = postgres(server.url, {
    max: 3,
    prepare: false,
    onnotice: () => {},
  });
  await migratePostgres(server!.url);
  gate = new PostgresGate(sql, server.url, 15_000, () => {});
  // The same statements as server-side prepared ones (the backend's preparedStatements: true).
  prepared = postgres(server.url, {
    max: 3,
    prepare: true,
    onnotice: () => {},
  });
  preparedGate = new PostgresGate(prepared, server.url, 15_000, () => {});
});
after(async () => {
  await prepared?.end({ timeout: 1 });
  await sql?.end({ timeout: 1 });
  await server?.stop();
});

describePostgres("Postgres contracts", () =>
  describeSessionStore(
    "PostgresSessionStore",
    () => new PostgresSessionStore(gate, { namespace: `t${++n}` }),
    { getAndTouch: true },
  ));
describePostgres("Postgres contracts", () =>
  describeRateLimitStore(
    "PostgresRateLimitStore",
    () => new PostgresRateLimitStore(gate, { namespace: `rl${++n}` }),
  ));
describePostgres("Postgres contracts, prepared statements", () =>
  describeSessionStore(
    "PostgresSessionStore (prepared statements)",
    () => new PostgresSessionStore(preparedGate, { namespace: `p${++n}` }),
    { getAndTouch: true },
  ));
describePostgres("Postgres contracts, prepared statements", () =>
  describeRateLimitStore(
    "PostgresRateLimitStore (prepared statements)",
    () => new PostgresRateLimitStore(preparedGate, { namespace: `prl${++n}` }),
  ));
