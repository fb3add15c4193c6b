/**
 * The backend through a real PgBouncer (Debian's `pgbouncer`) in transaction mode, with fewer
 * server connections than the instances' pools, so transactions of several clients take turns
 * on one server connection: the pool through PgBouncer and the listener direct serve sessions
 * and rate limits across two instances, wake-ups sent through PgBouncer reach the direct
 * listener, and polling-only mode (`listen: false`, everything through PgBouncer) does too.
 * Real PostgreSQL 15.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import {
  createPostgresBackend,
  type PostgresBackend,
  type PostgresBackendOptions,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import { initialize, within } from "../../helpers.ts";
import { pgbouncerSkip, startPgBouncer, type TestPgBouncer } from "./pgbouncer_server.ts";
import { count, handlerOn, runFlows } from "./postgres_flows.ts";
import {
  describePostgres,
  itPostgres,
  postgresSkip,
  startPostgres,
  type TestPostgres,
} from "./postgres_server.ts";

describePostgres("through PgBouncer in transaction mode", () => {
  let server: TestPostgres | undefined;
  let bouncer: TestPgBouncer | undefined;
  const backends: PostgresBackend[] = [];
  before(async () => {
    if (postgresSkip !== false || pgbouncerSkip !== false) return;
    server = await startPostgres();
    bouncer = await startPgBouncer(server, 2);
    await migratePostgres(server.url);
  });
  after(async () => {
    await Promise.all(backends.map((backend) => backend.close()));
    await bouncer?.stop();
    await server?.stop();
  });

  async function backendOn(namespace: string, options: PostgresBackendOptions) {
    const backend = await createPostgresBackend(
      { url: bouncer!.url, ...(options.listen === false ? {} : { listenUrl: server!.url }) },
      // A generous deadline: refusals are not this file's subject, a loaded machine is slow.
      { namespace, poolSize: 3, statementTimeoutMs: 20_000, onError: () => {}, ...options },
    );
    backends.push(backend);
    return backend;
  }

  /** Transactions PgBouncer served for the database `postgres` so far. */
  async function pooledTransactions(): Promise<number> {
    const stats = await bouncer!.admin("SHOW STATS");
    const row = stats.split("\n").find((line) => line.startsWith("postgres|"));
    assert.ok(row, `PgBouncer's stats name the database: ${stats}`);
    return Number(row.split("|")[1]); // total_xact_count
  }

  itPostgres(
    "the pool through PgBouncer, the listener direct: sessions and rate limits across two instances",
    async () => {
      const before = await pooledTransactions();
      const backendA = await backendOn("bounced", {});
      const backendB = await backendOn("bounced", {});
      const a = handlerOn(backendA);
      const b = handlerOn(backendB);
      const generous = (backend: PostgresBackend) =>
        handlerOn(backend, {
          limits: {
            rateLimits: {
              perPrincipal: { limit: 1_000, windowSeconds: 3_600 },
              store: backend.rateLimitStore,
            },
          },
        });
      const c = generous(backendA);
      const d = generous(backendB);
      try {
        await runFlows(a, b, "bounced");
        // Many statements at once, from 6 client connections over 2 server connections.
        const store = backendA.rateLimitStore;
        const takes = await Promise.all(
          Array.from(
            { length: 60 },
            (_, i) =>
              (i % 2 === 0 ? store : backendB.rateLimitStore).take(
                "burst",
                { limit: 40, windowSeconds: 3_600 },
                Date.now(),
              ),
          ),
        );
        assert.equal(takes.filter((take) => take.ok).length, 40, "one budget, no unit lost");
        // Transactions (a state update holds the session's row lock) at once on both instances:
        // each runs on one server connection, none fails, none is lost.
        const session = await initialize(c, { headers: { "x-user": "many" } });
        const answers = await Promise.all(
          Array.from({ length: 24 }, (_, i) => count(i % 2 === 0 ? c : d, session)),
        );
        assert.deepEqual(
          answers.map(Number).sort((x, y) => x - y),
          Array.from({ length: 24 }, (_, i) => i + 1),
        );
        assert.ok(
          await pooledTransactions() > before + 60,
          "the statements went through PgBouncer",
        );
      } finally {
        await a.close();
        await b.close();
      }
    },
  );

  itPostgres(
    "a wake-up sent through PgBouncer reaches another instance's direct listener",
    async () => {
      const listening = await backendOn("wakes", {});
      const sending = await backendOn("wakes", {});
      const payloads: string[] = [];
      listening.wakeups.on("tether_probe", (payload) => payloads.push(payload));
      await within(
        (async () => {
          while (!listening.wakeups.listening) await new Promise((r) => setTimeout(r, 20));
        })(),
        5_000,
        "the listener to listen",
      );
      sending.wakeups.notify("tether_probe", "id-1");
      await within(
        (async () => {
          while (!payloads.includes("id-1")) await new Promise((r) => setTimeout(r, 20));
        })(),
        5_000,
        "the wake-up to arrive",
      );
    },
  );

  itPostgres(
    "polling-only, everything through PgBouncer: no listening connection, the same flows",
    async () => {
      const listeners = () =>
        server!.psql(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tether listener'",
        );
      const listenersBefore = await listeners();
      const a = await backendOn("polled", { listen: false });
      const b = await backendOn("polled", { listen: false });
      // A subscriber would make a listening backend connect its listener at once.
      a.wakeups.on("tether_probe", () => {});
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await listeners(), listenersBefore, "no listening connection");
      assert.equal(a.wakeups.listening, false);
      const handlerA = handlerOn(a);
      const handlerB = handlerOn(b);
      try {
        await runFlows(handlerA, handlerB, "polled");
      } finally {
        await handlerA.close();
        await handlerB.close();
      }
    },
  );
});
