/**
 * The event log's events stored by batch (schema 6), against a real PostgreSQL 15 this file
 * starts: an append is one row whatever its events; a session's count of streams, which the cap
 * reads, follows the streams the budget evicts; and a schema at version 5 with its events
 * migrates to 6, each event a batch of one, while a version-5 instance's query of
 * `tether_events` reads on through the view.
 */
import assert from "node:assert/strict";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import {
  itPostgres,
  migratedPostgresWithClientForFile,
  withPostgresAt,
} from "./postgres_server.ts";

const { server, sql: db } = migratedPostgresWithClientForFile();

function backend(namespace: string, eventLog: Record<string, number> = {}) {
  return createPostgresBackend({ url: server().url }, {
    namespace,
    statementTimeoutMs: 15_000,
    onError: () => {},
    eventLog,
  });
}

itPostgres("an append is one row, its events an array from its first sequence number", async () => {
  const b = await backend("rows");
  try {
    await b.eventLog.open("s", "a", { requestIds: [1] });
    await b.eventLog.appendMany!("s", "a", ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]);
    await b.eventLog.appendMany!("s", "a", ["p9", "p10", "answer"], { complete: true });
    const rows = await db()`SELECT b.seq::int AS seq, b.data, b.bytes::int AS bytes
      FROM tether_event_batches b JOIN tether_event_streams s ON s.id = b.stream
      WHERE s.namespace = 'rows' ORDER BY b.seq`;
    assert.deepEqual(rows.map((row) => [row.seq, row.data.length, row.bytes]), [
      [1, 8, 16],
      [9, 3, 11],
    ]);
  } finally {
    await b.close();
  }
});

itPostgres(
  "a stream the budget evicts leaves its session's count, so the cap keeps the rest",
  async () => {
    const b = await backend("count", { maxStreamsPerSession: 3, maxTotalBytes: 1_000 });
    try {
      const log = b.eventLog;
      for (const stream of ["a", "b", "c"]) {
        await log.appendMany!("s", stream, ["x".repeat(100)], { complete: true });
      }
      // Another session's running stream passes the budget: s's least recently written finished
      // stream ("a") goes whole.
      await log.appendMany!("t", "big", ["y".repeat(750)]);
      assert.equal(await log.replayAfter("s", "a:0"), undefined, "evicted");
      const counts = async () =>
        (await db()`SELECT es.session_id, es.streams, (SELECT count(*)::int FROM tether_event_streams s
        WHERE s.namespace = es.namespace AND s.session_id = es.session_id) AS actual
      FROM tether_event_sessions es WHERE es.namespace = 'count' ORDER BY 1`).map((row) => [
          row.session_id,
          row.streams,
          row.actual,
        ]);
      assert.deepEqual(await counts(), [["s", 2, 2], ["t", 1, 1]]);
      // A fourth stream of s makes three: none of the others is dropped.
      await log.appendMany!("s", "d", ["z"], { complete: true });
      for (const stream of ["b", "c", "d"]) {
        assert.equal((await log.replayAfter("s", `${stream}:0`))?.events.length, 1, stream);
      }
      // A fifth passes the cap: the oldest ("b") goes.
      await log.appendMany!("s", "e", ["z"], { complete: true });
      assert.equal(await log.replayAfter("s", "b:0"), undefined, "past the cap");
      assert.deepEqual(await counts(), [["s", 3, 3], ["t", 1, 1]]);
    } finally {
      await b.close();
    }
  },
);

itPostgres(
  "version 5 with events migrates to 6: each event a batch, read on through the view",
  async () => {
    await withPostgresAt(5, async (old, sql) => {
      // A version-5 instance's write, as it calls it: three events, then one.
      const write = (stream: string, data: string[]) =>
        sql`SELECT stream FROM tether_event_append('v', 's', ${stream}, ${data}::text[], true,
          false, 'w', '[]', 1000, 64, 1048576, ${Date.now()}, 60000, 'w')`;
      const [{ stream }] = await write("x", ["one", "two", "three"]);
      await write("y", ["other"]);
      assert.equal(await migratePostgres(old.url), 5);
      const batches = await sql`SELECT seq::int AS seq, data, bytes::int AS bytes
        FROM tether_event_batches WHERE stream = ${stream} ORDER BY seq`;
      assert.deepEqual(batches.map((row) => [row.seq, row.data, row.bytes]), [
        [1, ["one"], 3],
        [2, ["two"], 3],
        [3, ["three"], 5],
      ]);
      const [session] = await sql`SELECT streams FROM tether_event_sessions
        WHERE namespace = 'v' AND session_id = 's'`;
      assert.equal(session.streams, 2, "the session's streams counted");
      const upgraded = await createPostgresBackend({ url: old.url }, {
        namespace: "v",
        onError: () => {},
      });
      try {
        await upgraded.eventLog.appendMany!("s", "x", ["four", "five"]);
        const replay = await upgraded.eventLog.replayAfter("s", "x:2");
        assert.deepEqual(replay?.events.map((e) => e.data), ["three", "four", "five"]);
      } finally {
        await upgraded.close();
      }
      // A version-5 instance's read, as it queries: one row per event.
      const read = await sql`SELECT seq::int AS seq, data FROM tether_events
        WHERE stream = ${stream} AND seq > 1 ORDER BY seq LIMIT 1000`;
      assert.deepEqual(read.map((row) => [row.seq, row.data]), [
        [2, "two"],
        [3, "three"],
        [4, "four"],
        [5, "five"],
      ]);
    });
  },
);
