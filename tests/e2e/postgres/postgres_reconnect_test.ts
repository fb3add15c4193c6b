/**
 * An instance whose statements timed out while its pool reconnected through an outage serves
 * again once Postgres does, against a real PostgreSQL 15 this file starts. postgres.js 3.4 left
 * a connection that opened for a statement cancelled meanwhile out of its pool (opened, never
 * used), so the instance answered 503 long after the restart; the gate now empties such a
 * statement (it runs as `SELECT 1`) instead of cancelling it. And the pool retries to connect at
 * most every 2 s, where postgres.js's own wait grew to 20 s.
 */
import assert from "node:assert/strict";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import { StorageUnavailableError } from "../../../src/storage/mod.ts";
import { itPostgres, startPostgres } from "./postgres_server.ts";

const quota = { limit: 1_000, windowSeconds: 60 };

itPostgres(
  "statements timed out through an outage leave the pool serving after the restart",
  async () => {
    const server = await startPostgres();
    try {
      await migratePostgres(server.url);
      const backend = await createPostgresBackend({ url: server.url }, {
        namespace: "reconnect",
        poolSize: 1,
        statementTimeoutMs: 300,
        connectTimeoutMs: 1_000,
        onError: () => {},
      });
      try {
        const take = () => backend.rateLimitStore.take("k", quota, Date.now());
        assert.equal((await take()).ok, true, "positive control: served before the outage");
        await server.halt("fast");
        // Traffic through the outage: each statement fails, and the pool's connection keeps
        // reconnecting, each time for a statement that times out while it waits.
        const downUntil = Date.now() + 6_000;
        let refused = 0;
        while (Date.now() < downUntil) {
          await assert.rejects(take(), StorageUnavailableError);
          refused++;
        }
        assert.ok(refused >= 5, `refused ${refused} times`);
        await server.restart();
        const restarted = Date.now();
        let served: Awaited<ReturnType<typeof take>> | undefined;
        while (served === undefined && Date.now() - restarted < 10_000) {
          try {
            served = await take();
          } catch (error) {
            if (!(error instanceof StorageUnavailableError)) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        // The pool retries at most every 2 s (postgres.js's own wait grew to 20 s).
        assert.ok(served !== undefined, "served again within 10 s of the restart");
        // The budget refilled over the outage: only this take is spent, none of the timed-out
        // ones ran late (each would have spent a unit as the connection opened).
        assert.equal(served.remaining, quota.limit - 1, "the timed-out takes ran as nothing");
      } finally {
        await backend.close();
      }
    } finally {
      await server.stop();
    }
  },
);
