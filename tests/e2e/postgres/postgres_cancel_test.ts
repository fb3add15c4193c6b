/**
 * A statement past the gate's deadline is cancelled over a new connection to the server. When
 * that cancel request fails (a server going down resets or refuses it) the failure is dropped:
 * an unhandled rejection would crash the process. Real Postgres behind a relay that stops
 * accepting connections while the statement's own connection goes on. Likewise the array-type
 * read postgres.js starts on each new connection (and whose promise it drops): the backend's pool
 * reads the types once, so connections opened after a fault never send it.
 * @module
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import postgres from "postgres";
import { StorageUnavailableError } from "../../../mod.ts";
import { PostgresGate } from "../../../src/postgres/connection/postgres_gate.ts";
import { createPostgresBackend, migratePostgres } from "../../../src/postgres/mod.ts";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";
import { startTcpCut } from "./tcp_cut.ts";

let server: TestPostgres | undefined;
before(async () => {
  if (!postgresSkip) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

itPostgres(
  "a cancel request the server refuses is dropped, never an unhandled rejection",
  async () => {
    const relay = await startTcpCut(server!.port);
    const sql = postgres(`postgres://postgres@127.0.0.1:${relay.port}/postgres`, {
      max: 1,
      onnotice: () => {},
    });
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    try {
      await sql`select 1`; // the pool's one connection goes through the relay
      relay.refuse(); // the cancel request's new connection is refused
      const gate = new PostgresGate(sql, "postgres://127.0.0.1/postgres", 200, () => {});
      await assert.rejects(
        gate.run("session store", (sql) => sql`select pg_sleep(1)`),
        StorageUnavailableError,
      );
      // The next statement waits for the sleep on the one connection; the refusal came long before.
      assert.equal((await sql`select 1 as one`)[0]?.one, 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unhandled, [], "the failed cancel request was not left unhandled");
    } finally {
      process.off("unhandledRejection", record);
      await sql.end({ timeout: 1 });
      await relay.close();
    }
  },
);

itPostgres(
  "the pool reads the array types once: connections reopened after a cut never read them again",
  async () => {
    await migratePostgres(`postgres://postgres@127.0.0.1:${server!.port}/postgres`);
    const relay = await startTcpCut(server!.port);
    const backend = await createPostgresBackend(
      { url: `postgres://postgres@127.0.0.1:${relay.port}/postgres` },
      { listen: false, onError: () => {} },
    );
    const TYPES_READ = "pg_catalog.pg_type";
    try {
      assert.equal(relay.sent(TYPES_READ), 1, "the first connection read the types");
      for (let round = 0; round < 3; round++) {
        relay.cut(); // every pool connection dies; the next statements open new ones
        const deadline = Date.now() + 10_000;
        for (;;) {
          try {
            await Promise.all([0, 1, 2].map(() => backend.sweepExpired()));
            break;
          } catch (error) {
            if (!(error instanceof StorageUnavailableError) || Date.now() > deadline) throw error;
          }
        }
      }
      assert.equal(relay.sent(TYPES_READ), 1, "no reopened connection read them again");
    } finally {
      await backend.close();
      await relay.close();
    }
  },
);
