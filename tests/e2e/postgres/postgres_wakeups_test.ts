/**
 * Wake-ups over LISTEN/NOTIFY, against a real PostgreSQL 15 this file starts: a notification
 * wakes the subscribers of its channel on another instance; when the listening connection is
 * dropped it listens again by itself and wakes every subscriber once (what was missed is read
 * from the tables); polling-only mode opens no listening connection; one listening connection
 * per instance, whatever the channels.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import postgres from "postgres";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import type { PostgresSql } from "../../../src/postgres/connection/postgres_gate.ts";
import { until } from "../../helpers.ts";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";

let server: TestPostgres | undefined;
let sql: PostgresSql;
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  sql = postgres(server.url, { max: 1, onnotice: () => {} });
  await migratePostgres(server.url);
});
after(async () => {
  await sql?.end({ timeout: 1 });
  await server?.stop();
});

async function listeners(): Promise<number> {
  const rows = await sql`SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE application_name = 'tether listener'`;
  return rows[0].n;
}

itPostgres(
  "a notification wakes another instance; a dropped listener listens again and wakes once",
  async () => {
    const a = await createPostgresBackend({ url: server!.url });
    const b = await createPostgresBackend({ url: server!.url });
    try {
      const woken: string[] = [];
      b.wakeups.on("tether_test", (payload) => woken.push(`test:${payload}`));
      b.wakeups.on("tether_other", (payload) => woken.push(`other:${payload}`));
      await until(() => b.wakeups.listening, "b to listen", 5_000, 10);
      woken.length = 0; // the first listen woke each channel once
      assert.equal(await listeners(), 1, "one listening connection for two channels");
      a.wakeups.notify("tether_test", "s1");
      a.wakeups.notify("tether_test", "s1"); // coalesced with the first
      await until(() => woken.includes("test:s1"), "the wake-up", 5_000, 10);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(woken, ["test:s1"], "one wake-up for repeats within a tick");
      woken.length = 0;
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'tether listener'`;
      await until(
        () => woken.includes("test:") && woken.includes("other:"),
        "every subscriber woken after listening again",
        10_000,
        10,
      );
      assert.equal(b.wakeups.listening, true);
      a.wakeups.notify("tether_other", "s2");
      await until(() => woken.includes("other:s2"), "a wake-up after the reconnect", 5_000, 10);
    } finally {
      await a.close();
      await b.close();
    }
    assert.equal(await listeners(), 0, "close ends the listening connection");
  },
);

itPostgres("polling-only mode opens no listening connection and wakes nobody", async () => {
  const backend = await createPostgresBackend({ url: server!.url }, { listen: false });
  try {
    const woken: string[] = [];
    backend.wakeups.on("tether_test", (payload) => woken.push(payload));
    backend.wakeups.notify("tether_test", "s1");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(backend.wakeups.listening, false);
    assert.equal(await listeners(), 0);
    assert.deepEqual(woken, []);
  } finally {
    await backend.close();
  }
});
