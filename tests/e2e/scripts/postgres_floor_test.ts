/**
 * The Postgres floor (bench/servers/floor_postgres.ts) keeps the promises the scale-out rows charge
 * to it, across two instances on one PostgreSQL: a session made on one is served on the other; every
 * event of a stream written on one is replayed by the other after a `Last-Event-ID`; a cancel posted
 * to the other ends the call where it runs; its tables are logged, as tether's are; and it sends
 * Postgres only what it says (pg_stat_statements: 1 statement per JSON call, 2 per burst 10-progress
 * call). The floors run on Node 24, as the bench starts them, whichever runtime runs this test.
 */

import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { type ServerProcess, startServer } from "../../../bench/lib/proc.ts";
import { initialize, post, type Target } from "../../../bench/scale_out/calls.ts";
import { type BenchPostgres, startBenchPostgres } from "../../../bench/scale_out/postgres.ts";
import { MCP_PATH } from "../../../bench/lib/protocol.ts";
import { freeRigPort } from "../../../scripts/rig_processes.ts";
import { describePostgres } from "../postgres/postgres_server.ts";

/** How long a cancelled call's stream may take to end. */
const END_WITHIN_MS = 5_000;
/** The deadline of every other answer, whole. */
const ANSWER_WITHIN_MS = 10_000;
const deadline = () => AbortSignal.timeout(ANSWER_WITHIN_MS);
const PREFIX = "floortest_";

const call = (id: number, name: string, args: Record<string, unknown> = {}) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args, _meta: { progressToken: `p${id}` } },
  });

/** The SSE events of a body: id and data. */
const eventsOf = (text: string) =>
  text.split("\n\n").filter((event) => event.includes("data: {")).map((event) => ({
    id: /^id: (.*)$/m.exec(event)![1],
    data: JSON.parse(/^data: (.*)$/m.exec(event)![1]),
  }));

describePostgres("the Postgres floor on two instances", () => {
  let pg: BenchPostgres;
  const floors: ServerProcess[] = [];
  let a: Target;
  let b: Target;

  before(async () => {
    pg = await startBenchPostgres();
    for (const name of ["a", "b"]) {
      const args = ["--postgres", pg.url(`floortest-${name}`), "--prefix", PREFIX];
      floors.push(
        await startServer("node", "bench/servers/floor_postgres.ts", args, {
          port: await freeRigPort(),
        }),
      );
    }
    const [urlA, urlB] = floors.map((floor) => `http://127.0.0.1:${floor.port}${MCP_PATH}`);
    const sessionId = await initialize(urlA);
    a = { url: urlA, sessionId };
    b = { url: urlB, sessionId };
  });

  after(async () => {
    for (const floor of floors) await floor.stop();
    await pg?.stop();
  });

  it("serves a session made on one instance on the other, and refuses an unknown one", async () => {
    const answer = await post(b, call(1, "echo", { text: "hello" }), deadline());
    assert.equal(answer.status, 200);
    assert.deepEqual((await answer.json()).result.content, [{ type: "text", text: "hello" }]);
    const unknown = await post(
      { url: b.url, sessionId: "nobody" },
      call(2, "echo", { text: "" }),
      deadline(),
    );
    assert.equal(unknown.status, 404);
    await unknown.text();
  });

  it("sends Postgres one statement per JSON call and 2 per burst 10-progress call", async () => {
    await pg.resetStatements();
    const answer = await post(a, call(3, "echo", { text: "hello" }), deadline());
    await answer.text();
    // The reads and resets of pg_stat_statements are not counted.
    assert.equal((await pg.statements()).all, 1);
    await pg.resetStatements();
    const burst = await post(b, call(4, "progress10"), deadline());
    const events = eventsOf(await burst.text());
    assert.equal(events.length, 11);
    assert.equal(events[10].data.result.content[0].text, "done");
    // The touch with the route's insert; the events' row with the route's delete.
    assert.equal((await pg.statements()).all, 2, await pg.statementList());
  });

  it("replays every event after a Last-Event-ID on the other instance, in order", async () => {
    for (const name of ["progress10spread", "progress10"]) {
      const answer = await post(a, call(5, name), deadline());
      const events = eventsOf(await answer.text());
      assert.deepEqual(events.map((event) => event.data.params?.progress), [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        undefined,
      ]);
      const resumed = await fetch(b.url, {
        headers: { "mcp-session-id": b.sessionId, "last-event-id": events[2].id },
        signal: deadline(),
      });
      assert.equal(resumed.status, 200);
      assert.deepEqual(eventsOf(await resumed.text()), events.slice(3), name);
    }
    const gone = await fetch(b.url, {
      headers: { "mcp-session-id": "nobody", "last-event-id": "s:1" },
      signal: deadline(),
    });
    assert.equal(gone.status, 404);
    await gone.text();
  });

  it("ends a call on its instance when the cancel is posted to the other", async () => {
    const answer = await post(a, call(6, "progress10spread"), deadline());
    const reader = answer.body!.getReader();
    // The priming event, then the first progress: the call runs on A.
    let text = "";
    while (!text.includes('"progress":1,')) {
      const { value, done } = await reader.read();
      assert.equal(done, false);
      text += new TextDecoder().decode(value);
    }
    const cancel = await post(
      b,
      JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 6 },
      }),
      deadline(),
    );
    assert.equal(cancel.status, 202);
    await cancel.text();
    const ended = AbortSignal.timeout(END_WITHIN_MS);
    for (;;) {
      const { value, done } = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) =>
          ended.addEventListener("abort", () => reject(new Error("the stream did not end")))
        ),
      ]);
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.ok(!text.includes('"result"'), "a cancelled call sends no answer");
    assert.ok(!text.includes('"progress":10,'), "the call stopped before its last tick");
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
