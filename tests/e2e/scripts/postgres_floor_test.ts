/**
 * The Postgres floor (bench/servers/floor_postgres.ts) keeps the promises the scale-out rows charge
 * to it, across two instances on one PostgreSQL: a session made on one is served on the other; every
 * event of a stream written on one is replayed by the other after a `Last-Event-ID`; a cancel posted
 * to the other ends the call where it runs (floor_pair.ts checks these three, as for the Redis
 * floor); its tables are logged, as tether's are; and it sends Postgres only what it says
 * (pg_stat_statements: 1 statement per JSON call, 2 per burst 10-progress call).
 */

import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { type BenchPostgres, startBenchPostgres } from "../../../bench/scale_out/postgres.ts";
import { describePostgres } from "../postgres/postgres_server.ts";
import {
  assertCancelledFromOther,
  assertResumedOnOther,
  assertSessionShared,
  eventsOf,
  floorCall,
  type FloorPair,
  postWithin,
  startFloorPair,
} from "./floor_pair.ts";

const PREFIX = "floortest_";

describePostgres("the Postgres floor on two instances", () => {
  let pg: BenchPostgres;
  let pair: FloorPair;

  before(async () => {
    pg = await startBenchPostgres();
    const names = ["a", "b"];
    pair = await startFloorPair(
      "bench/servers/floor_postgres.ts",
      (i) => ["--postgres", pg.url(`floortest-${names[i]}`), "--prefix", PREFIX],
    );
  });

  after(async () => {
    await pair?.stop();
    await pg?.stop();
  });

  it("serves a session made on one instance on the other, and refuses an unknown one", async () => {
    await assertSessionShared(pair);
  });

  it("sends Postgres one statement per JSON call and 2 per burst 10-progress call", async () => {
    await pg.resetStatements();
    const answer = await postWithin(pair.a, floorCall(3, "echo", { text: "hello" }));
    await answer.text();
    // The reads and resets of pg_stat_statements are not counted.
    assert.equal((await pg.statements()).all, 1);
    await pg.resetStatements();
    const burst = await postWithin(pair.b, floorCall(4, "progress10"));
    const events = eventsOf(await burst.text());
    assert.equal(events.length, 11);
    assert.equal(events[10].data.result.content[0].text, "done");
    // The touch with the route's insert; the events' row with the route's delete.
    assert.equal((await pg.statements()).all, 2, await pg.statementList());
  });

  it("replays every event after a Last-Event-ID on the other instance, in order", async () => {
    for (const name of ["progress10spread", "progress10"]) {
      await assertResumedOnOther(pair, name, 5);
    }
    const gone = await fetch(pair.b.url, {
      headers: { "mcp-session-id": "nobody", "last-event-id": "s:1" },
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(gone.status, 404);
    await gone.text();
  });

  it("ends a call on its instance when the cancel is posted to the other", async () => {
    await assertCancelledFromOther(pair, 6);
  });

  it("keeps its rows in logged tables, as tether does", async () => {
    const kinds = await pg.psql(
      `SELECT relname, relpersistence FROM pg_class WHERE relname LIKE '${PREFIX}%' AND relkind = 'r' ORDER BY 1`,
    );
    assert.equal(
      kinds.trim(),
      [`${PREFIX}events|p`, `${PREFIX}routes|p`, `${PREFIX}sessions|p`].join("\n"),
    );
  });
});
