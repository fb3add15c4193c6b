/**
 * The Postgres SessionStore, RateLimitStore and MessageBus meet the contracts every store meets
 * (memory, Redis), against a real PostgreSQL 15 cluster this file starts: one migrated database,
 * a fresh namespace per test (an empty store on shared tables).
 */
import { after, before } from "node:test";
import postgres from "postgres";
import { PostgresGate, type PostgresSql } from "../../../src/postgres/connection/postgres_gate.ts";
import { migratePostgres } from "../../../src/postgres/connection/postgres_schema.ts";
import { PostgresSessionStore } from "../../../src/postgres/sessions/postgres_session_store.ts";
import { PostgresRateLimitStore } from "../../../src/postgres/limits/postgres_rate_limit_store.ts";
import { describeSessionStore } from "../../contracts/session_store_contract.ts";
import { describeRateLimitStore } from "../../contracts/rate_limit_store_contract.ts";
import { describeMessageBus } from "../../contracts/message_bus_contract.ts";
import { PostgresBus } from "../../../src/postgres/bus/postgres_bus.ts";
import { openWakeups, type Wakeups } from "../../../src/postgres/connection/postgres_wakeups.ts";
import type { MessageBus } from "../../../src/storage/mod.ts";
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

/** Buses of one namespace on `on` (one listening connection each, as instances have). */
function busFactory(on: () => { sql: PostgresSql; gate: PostgresGate }) {
  const made: { bus: PostgresBus; wakeups: Wakeups }[] = [];
  return {
    addressed: true,
    connected(count: number): MessageBus[] {
      const { sql, gate } = on();
      const namespace = `bus${++n}`;
      const buses: MessageBus[] = [];
      for (let i = 0; i < count; i++) {
        const wakeups = openWakeups({
          url: server!.url,
          pool: sql,
          gate,
          listen: true,
          timeoutMs: 5_000,
        });
        const bus = new PostgresBus(gate, wakeups, namespace, true, { onError: () => {} });
        made.push({ bus, wakeups });
        buses.push(bus);
      }
      return buses;
    },
    use: (bus: MessageBus, sessionId: string) => (bus as PostgresBus).hold(sessionId, 60_000),
    failing(): MessageBus {
      // A pool on a port nothing listens on (1): the publish is refused, not dropped.
      const down = postgres("postgres://postgres@127.0.0.1:1/postgres", {
        max: 1,
        connect_timeout: 1,
        onnotice: () => {},
      });
      const gate = new PostgresGate(down, "down", 3_000, () => {});
      const wakeups = openWakeups({ url: "", pool: down, gate, listen: false, timeoutMs: 1_000 });
      made.push({
        bus: new PostgresBus(gate, wakeups, "down", false, { onError: () => {} }),
        wakeups: { ...wakeups, close: () => down.end({ timeout: 0 }) },
      });
      return made[made.length - 1].bus;
    },
    async cleanup(): Promise<void> {
      for (const { bus, wakeups } of made.splice(0)) {
        await bus.close();
        await wakeups.close();
      }
    },
  };
}
describePostgres(
  "Postgres contracts",
  () => describeMessageBus("PostgresBus", busFactory(() => ({ sql: sql!, gate }))),
);
describePostgres("Postgres contracts, prepared statements", () =>
  describeMessageBus(
    "PostgresBus (prepared statements)",
    busFactory(() => ({ sql: prepared!, gate: preparedGate })),
  ));
