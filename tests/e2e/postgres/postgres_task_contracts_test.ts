/**
 * The Postgres TaskStore and DpopReplayStore meet the contracts every store meets (memory,
 * Redis), against a real PostgreSQL 15 cluster this file starts: one migrated database, a fresh
 * namespace per test (an empty store on shared tables), with and without server-side prepared
 * statements.
 */
import { after, before } from "node:test";
import postgres from "postgres";
import { PostgresGate, type PostgresSql } from "../../../src/postgres/connection/postgres_gate.ts";
import { migratePostgres } from "../../../src/postgres/connection/postgres_schema.ts";
import { PostgresTaskStore } from "../../../src/postgres/tasks/postgres_task_store.ts";
import { PostgresDpopReplayStore } from "../../../src/postgres/auth/postgres_dpop_replay_store.ts";
import { describeTaskStore } from "../../contracts/task_store_contract.ts";
import { describeDpopReplayStore } from "../../contracts/dpop_replay_store_contract.ts";
import {
  describePostgres,
  postgresSkip,
  startPostgres,
  type TestPostgres,
} from "./postgres_server.ts";

let server: TestPostgres | undefined;
const gates: Record<"unnamed" | "prepared", PostgresGate | undefined> = {
  unnamed: undefined,
  prepared: undefined,
};
const clients: PostgresSql[] = [];
let n = 0;
// Generous deadlines: these suites pin behaviour on a machine other suites may load.
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  await migratePostgres(server.url);
  for (const mode of ["unnamed", "prepared"] as const) {
    const sql = postgres(server.url, { max: 3, prepare: mode === "prepared", onnotice: () => {} });
    clients.push(sql);
    gates[mode] = new PostgresGate(sql, server.url, 15_000, () => {});
  }
});
after(async () => {
  for (const sql of clients) await sql.end({ timeout: 1 });
  await server?.stop();
});

for (const mode of ["unnamed", "prepared"] as const) {
  const label = mode === "prepared" ? " (prepared statements)" : "";
  describePostgres(`Postgres task and DPoP contracts${label}`, () => {
    describeTaskStore(
      `PostgresTaskStore${label}`,
      (now, bounds) =>
        new PostgresTaskStore(gates[mode]!, { ...bounds, now, namespace: `t${++n}` }),
    );
    describeDpopReplayStore(
      `PostgresDpopReplayStore${label}`,
      () => new PostgresDpopReplayStore(gates[mode]!, { namespace: `d${++n}` }),
    );
  });
}
