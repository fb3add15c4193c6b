/**
 * A connection lost in the middle of a transaction (the path to Postgres cut, no goodbye) fails
 * the call as storage unavailable and leaves the process up: postgres.js 3.4 would otherwise
 * send its ROLLBACK on the dead connection from a `setImmediate` and throw an uncaught TypeError
 * (porsager/postgres#1154). Then the pool reconnects and serves. Real PostgreSQL 15.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import postgres from "postgres";
import { StorageUnavailableError } from "../../../mod.ts";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import { until, within } from "../../helpers.ts";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";
import { startTcpCut, type TcpCut } from "./tcp_cut.ts";

let server: TestPostgres | undefined;
let relay: TcpCut | undefined;
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  await migratePostgres(server.url);
  relay = await startTcpCut(server.port);
});
after(async () => {
  await relay?.close();
  await server?.stop();
});

itPostgres(
  "a transaction whose connection is cut: 503-style failure, no crash, then served again",
  async () => {
    const backend = await createPostgresBackend(
      { url: `postgres://postgres@127.0.0.1:${relay!.port}/postgres` },
      { namespace: "cut", poolSize: 1, statementTimeoutMs: 5_000, onError: () => {} },
    );
    const direct = postgres(server!.url, { max: 2, onnotice: () => {} });
    try {
      const store = backend.sessionStore;
      const now = Date.now();
      const record = {
        id: "s1",
        ownerKey: "user:alice",
        protocolVersion: "2025-11-25",
        clientCapabilities: {},
        createdAt: now,
        expiresAt: now + 600_000,
      };
      assert.equal(await store.create(record, 10, now), true);
      // Another client holds the session's row: the update's transaction waits inside.
      let release!: () => void;
      const released = new Promise<void>((resolve) => release = resolve);
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => locked = resolve);
      const holder = direct.begin(async (tx) => {
        await tx`SELECT 1 FROM tether_sessions WHERE namespace = 'cut' AND id = 's1' FOR UPDATE`;
        locked();
        await released;
      });
      await holding;
      const update = store.updateState("s1", "n", (n) => ((n as number) ?? 0) + 1, 1_000);
      await until(
        async () => {
          const waiting = await direct`SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE application_name = 'tether' AND wait_event_type = 'Lock'`;
          return waiting[0].n === 1;
        },
        "the update to wait for the row lock",
        5_000,
        20,
      );
      relay!.cut();
      await assert.rejects(
        within(update, 5_000, "the update to fail"),
        (error) => error instanceof StorageUnavailableError,
      );
      // What postgres.js would have sent on the dead connection runs on the next turns.
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();
      await holder;
      assert.equal(
        await within(
          store.updateState("s1", "n", (n) => ((n as number) ?? 0) + 1, 1_000),
          5_000,
          "the next update",
        ),
        1,
        "served again, the cut update left nothing",
      );
    } finally {
      await direct.end({ timeout: 1 });
      await backend.close();
    }
  },
);
