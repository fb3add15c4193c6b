/**
 * What a request costs Postgres, against a real PostgreSQL 15 this file starts: a session used
 * again and again gets a new row version only when its deadline moves by the touch's step; a
 * write nobody follows sends no NOTIFY, and one a follower marked does; every instance adds its
 * bytes to its own budget row (the sum is the data held) and the sweep folds the row of an
 * instance that closed; a schema at version 4, with its streams and budget, migrates to 5 and
 * a version-4 instance's write still counts.
 */
import assert from "node:assert/strict";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import { touchSlackMs } from "../../../src/postgres/sessions/session_touch.ts";
import { until, within } from "../../helpers.ts";
import {
  itPostgres,
  migratedPostgresWithClientForFile,
  withPostgresAt,
} from "./postgres_server.ts";

const { server, sql: db } = migratedPostgresWithClientForFile();

function backend(namespace: string, options: Parameters<typeof createPostgresBackend>[1] = {}) {
  return createPostgresBackend({ url: server().url }, {
    namespace,
    statementTimeoutMs: 15_000,
    onError: () => {},
    ...options,
  });
}

itPostgres("a session used again and again gets a new row version once per step", async () => {
  const b = await backend("touch");
  try {
    const store = b.sessionStore;
    const idle = 60_000;
    const use = { ownerKey: "user:alice", idleTtlMs: idle, absoluteTtlMs: 3_600_000 };
    const now = 1_000_000;
    await store.create(
      { id: "s", ownerKey: "user:alice", createdAt: now, expiresAt: now + idle } as never,
      10,
      now,
    );
    const version = async () =>
      (await db()`SELECT xmin::text AS v, expires_at FROM tether_sessions
        WHERE namespace = 'touch' AND id = 's'`)[0];
    const first = await version();
    const step = touchSlackMs(idle);
    assert.equal(step, 600);
    for (const at of [now + 1, now + 10, now + step - 1]) {
      const read = await store.getAndTouch!("s", at, use);
      assert.equal(read?.id, "s");
      assert.equal(read?.expiresAt, now + idle, "the deadline as stored");
    }
    assert.deepEqual(await version(), first, "no new row version within the step");
    const moved = await store.getAndTouch!("s", now + step, use);
    assert.equal(moved?.expiresAt, now + step + idle, "moved once the step is reached");
    assert.notEqual((await version()).v, first.v);
    // Another owner's read answers the record untouched, in the same single statement.
    const mallory = await store.getAndTouch!("s", now + 5 * step, { ...use, ownerKey: "x" });
    assert.equal(mallory?.ownerKey, "user:alice");
    assert.equal(mallory?.expiresAt, now + step + idle);
    // Never past the last use plus the idle TTL.
    assert.equal(await store.get("s", now + step + idle), undefined);
    // A move onto the absolute deadline is written however small (the expiry is told absolute).
    const capped = { ...use, absoluteTtlMs: idle + 2 * step + 10 };
    await store.getAndTouch!("s", now + 2 * step, capped); // to now + 2 step + idle (a step)
    const last = await store.getAndTouch!("s", now + 2 * step + 20, capped);
    assert.equal(last?.expiresAt, now + idle + 2 * step + 10, "onto the absolute deadline");
    const again = (await version()).v;
    await store.getAndTouch!("s", now + 2 * step + 30, capped);
    assert.equal((await version()).v, again, "at the absolute deadline, never written again");
  } finally {
    await b.close();
  }
});

itPostgres("a write nobody follows sends no NOTIFY; a followed stream's writes do", async () => {
  const [a, b] = [
    await backend("quiet"),
    await backend("quiet", {
      eventLog: { pollIntervalMs: 60_000 },
    }),
  ];
  const heard: string[] = [];
  const listener = await db().listen("tether_events", (payload) => heard.push(payload));
  try {
    await a.eventLog.open("s", "call", { requestIds: [1] });
    let last = await a.eventLog.append("s", "call", "one");
    await a.eventLog.appendMany!("s", "call", ["two", "three"]);
    last = await a.eventLog.append("s", "call", "four");
    // A NOTIFY a write sent would have come by now (the follower below is woken by one).
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(heard, [], "no follower, no NOTIFY");
    const following = b.eventLog.waitAfter!("s", last, { timeoutMs: 30_000 });
    await until(
      async () => {
        const [row] = await db()`SELECT followed_until FROM tether_event_streams
        WHERE namespace = 'quiet' AND session_id = 's' AND stream_id = 'call'`;
        return Number(row.followed_until) > 0;
      },
      "the follower's mark",
      10_000,
      20,
    );
    const next = await a.eventLog.append("s", "call", "five");
    const woken = await within(following, 10_000, "the NOTIFY to wake B (its poll: a minute)");
    assert.deepEqual(woken?.events, [{ id: next, data: "five" }]);
    await until(() => heard.length > 0, "the NOTIFY", 5_000, 20);
  } finally {
    await listener.unlisten();
    await a.close();
    await b.close();
  }
});

itPostgres(
  "each instance adds its bytes to a row of its own; the sweep folds a closed one's",
  async () => {
    const [a, b] = [await backend("rows"), await backend("rows")];
    const rows = async () =>
      (await db()`SELECT instance, bytes::int AS bytes FROM tether_event_budget
        WHERE namespace = 'rows' AND bytes <> 0 ORDER BY bytes`).map((row) => ({
        instance: String(row.instance),
        bytes: Number(row.bytes),
      }));
    try {
      await a.eventLog.open("sa", "x", { requestIds: [1] });
      await a.eventLog.appendMany!("sa", "x", ["a".repeat(300), "a".repeat(300)]);
      await b.eventLog.open("sb", "x", { requestIds: [1] });
      await b.eventLog.append("sb", "x", "b".repeat(200));
      const written = await rows();
      assert.deepEqual(written.map((row) => row.bytes), [200, 600]);
      assert.ok(written.every((row) => row.instance !== ""), "no shared row took the writes");
      assert.notEqual(written[0].instance, written[1].instance);
      await a.close(); // its heartbeat row goes: the sweep folds its budget row
      await b.sweepExpired();
      const folded = await rows();
      assert.deepEqual(folded.map((row) => row.bytes), [200, 600]);
      assert.equal(folded.find((row) => row.bytes === 600)?.instance, "", "into the base row");
      await b.eventLog.deleteSession("sa");
      await b.eventLog.deleteSession("sb");
      const [{ total }] = await db()`SELECT coalesce(sum(bytes), 0)::int AS total
        FROM tether_event_budget WHERE namespace = 'rows'`;
      assert.equal(total, 0, "every byte given back");
    } finally {
      await a.close();
      await b.close();
    }
  },
);

itPostgres(
  "version 4 with streams and a budget migrates to 5; a version-4 write still counts",
  async () => {
    await withPostgresAt(4, async (old, db) => {
      // A version-4 instance's write, as it calls it.
      const write = (session: string, data: string, maxTotal: number) =>
        db`SELECT stream, first_seq, over FROM tether_event_write('v', ${session}, 'x',
          ARRAY[${data}::text], true, false, 'w', '[]', 1000, 64, 1048576, ${maxTotal},
          ${Date.now()}, 60000)`;
      await write("s4", "a".repeat(100), 1_000_000);
      assert.equal(await migratePostgres(old.url), 4);
      const [budget] = await db`SELECT instance, bytes::int AS bytes FROM tether_event_budget
        WHERE namespace = 'v'`;
      assert.deepEqual({ ...budget }, { instance: "", bytes: 100 }, "the total kept, as the base");
      // During a rolling upgrade an instance of version 4 writes on: counted, over told.
      const [wrote] = await write("s4b", "b".repeat(50), 120);
      assert.equal(Number(wrote.over), 30);
      const upgraded = await createPostgresBackend({ url: old.url }, {
        namespace: "v",
        onError: () => {},
      });
      try {
        await upgraded.eventLog.open("s5", "x", { requestIds: [1] });
        await upgraded.eventLog.append("s5", "x", "c".repeat(25));
        const replay = await upgraded.eventLog.replayAfter("s4", "x:0");
        assert.equal(replay?.events.length, 1, "the version-4 stream reads on");
      } finally {
        await upgraded.close();
      }
      const [sums] = await db`SELECT
        (SELECT sum(bytes)::int FROM tether_event_budget WHERE namespace = 'v') AS budget,
        (SELECT sum(bytes)::int FROM tether_event_sessions WHERE namespace = 'v') AS held`;
      assert.deepEqual({ ...sums }, { budget: 175, held: 175 });
    });
  },
);
