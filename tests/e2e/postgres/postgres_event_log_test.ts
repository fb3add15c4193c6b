/**
 * The Postgres event log between instances, against a real PostgreSQL 15 this file starts (the
 * behaviours of one log are the contract's, postgres_event_log_contracts_test.ts): two instances
 * writing at once into one byte budget pass it by at most a chunk each (docs/postgres.md) and its
 * rows always equal the data held; a
 * follower on one instance is woken by the other's NOTIFY, not its poll; a writer that closed
 * is reported lost with the requests its stream answered; rows past their deadline are ignored
 * by reads and gone after one sweep, in batches, with the streams of a session whose record the
 * sweep deleted.
 */
import assert from "node:assert/strict";
import {
  createPostgresBackend,
  type PostgresBackend,
} from "../../../src/postgres/postgres_backend.ts";
import { EVENT_EXPIRY_BATCH } from "../../../src/postgres/postgres_expiry.ts";
import { lookEvery } from "../../../src/postgres/event_log/event_log_budget.ts";
import { until, within } from "../../helpers.ts";
import { itPostgres, migratedPostgresWithClientForFile } from "./postgres_server.ts";
import type { PostgresEventLog } from "../../../src/postgres/event_log/postgres_event_log.ts";

const { server, sql: db } = migratedPostgresWithClientForFile();

/** Two instances (backends of their own: pools, listeners) on one namespace. */
async function twoInstances(
  namespace: string,
  options: Parameters<typeof createPostgresBackend>[1] = {},
): Promise<[PostgresBackend, PostgresBackend]> {
  const make = () =>
    createPostgresBackend({ url: server().url }, {
      namespace,
      statementTimeoutMs: 15_000,
      onError: () => {},
      ...options,
    });
  return [await make(), await make()];
}

/**
 * Bytes of event data the namespace's rows hold, as its budget rows, its sessions, its streams, its
 * batches' counts and its events (the batches' arrays) say.
 */
async function totals(namespace: string) {
  const [row] = await db()`SELECT
    (SELECT coalesce(sum(bytes), 0)::bigint FROM tether_event_budget
      WHERE namespace = ${namespace}) AS budget,
    (SELECT coalesce(sum(bytes), 0)::bigint FROM tether_event_sessions
      WHERE namespace = ${namespace}) AS sessions,
    (SELECT coalesce(sum(bytes), 0)::bigint FROM tether_event_streams
      WHERE namespace = ${namespace}) AS streams,
    (SELECT coalesce(sum(b.bytes), 0)::bigint FROM tether_event_batches b
      JOIN tether_event_streams s ON s.id = b.stream WHERE s.namespace = ${namespace}) AS batches,
    (SELECT coalesce(sum(octet_length(array_to_string(b.data, ''))), 0)::bigint
      FROM tether_event_batches b JOIN tether_event_streams s ON s.id = b.stream
      WHERE s.namespace = ${namespace}) AS events`;
  return {
    budget: Number(row.budget),
    sessions: Number(row.sessions),
    streams: Number(row.streams),
    batches: Number(row.batches),
    events: Number(row.events),
  };
}

itPostgres(
  "two instances writing at once pass the byte budget by a chunk each at most; its rows equal the data",
  async () => {
    const namespace = "budget-two";
    const maxTotalBytes = 20_000;
    const [a, b] = await twoInstances(namespace, { eventLog: { maxTotalBytes } });
    try {
      // 2 × 30 sessions, each a stream of 4 × 250 bytes: 60,000 bytes offered to 20,000.
      const write = async (backend: PostgresBackend, tag: string, i: number) => {
        const log = backend.eventLog;
        await log.open(`${tag}${i}`, "a", { requestIds: [i] });
        await log.appendMany!(`${tag}${i}`, "a", ["x".repeat(250), "y".repeat(250)]);
        await log.append(`${tag}${i}`, "a", "z".repeat(250));
        await log.appendMany!(`${tag}${i}`, "a", ["w".repeat(250)], { complete: i % 2 === 0 });
      };
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => [write(a, "a", i), write(b, "b", i)]).flat(),
      );
      const held = await totals(namespace);
      // The documented bound: each instance reads the total once it has written a chunk since
      // its last look, so at most a chunk each (312 bytes here) goes unseen. Until 2026-11-29
      // writes that landed while a look ran were never looked at: 1,500 bytes over, once on Bun.
      const bound = maxTotalBytes + 2 * lookEvery(maxTotalBytes);
      assert.ok(held.events <= bound, `held ${held.events} bytes of ${maxTotalBytes} (+ 2 chunks)`);
      assert.ok(held.events >= maxTotalBytes / 2, `positive control: ${held.events} bytes kept`);
      assert.deepEqual(held, {
        budget: held.events,
        sessions: held.events,
        streams: held.events,
        batches: held.events,
        events: held.events,
      }, "every count agrees with the data");
      // The newest streams stay: a resume of the last written (from its loss, if it had one)
      // replays its events.
      const kept = await db()`SELECT session_id, lost FROM tether_event_streams
        WHERE namespace = ${namespace} AND bytes > 0 ORDER BY written DESC LIMIT 1`;
      const replay = await b.eventLog.replayAfter(kept[0].session_id, `a:${kept[0].lost}`);
      assert.ok(replay !== undefined && replay.events.length > 0, "the newest stream is kept");
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => [
          a.eventLog.deleteSession(`b${i}`),
          b.eventLog.deleteSession(`a${i}`),
        ]).flat(),
      );
      assert.deepEqual(await totals(namespace), {
        budget: 0,
        sessions: 0,
        streams: 0,
        batches: 0,
        events: 0,
      });
    } finally {
      await a.close();
      await b.close();
    }
  },
);

itPostgres(
  "a follower on B is woken by A's NOTIFY (its poll is a minute away), told when A stopped",
  async () => {
    const [a, b] = await twoInstances("woken", { eventLog: { pollIntervalMs: 60_000 } });
    try {
      await a.eventLog.open("s", "call", { requestIds: [7] });
      const first = await a.eventLog.append("s", "call", "one");
      const following = b.eventLog.waitAfter!("s", first, { timeoutMs: 30_000 });
      await until(() => b.wakeups.listening, "B listens", 10_000, 20);
      await new Promise((resolve) => setTimeout(resolve, 100)); // B's first read is done
      const second = await a.eventLog.append("s", "call", "two");
      const woken = await within(following, 10_000, "the NOTIFY to wake B");
      assert.deepEqual(woken?.events, [{ id: second, data: "two" }]);
      // A stops without ending its stream (its heartbeat row goes): B's next look says so.
      await a.close();
      const lost = await within(
        b.eventLog.waitAfter!("s", second, { timeoutMs: 30_000 }),
        10_000,
        "the writer to be reported lost",
      );
      assert.deepEqual(lost?.writerLost, { requestIds: [7] });
      // B closes: its followers' waits reject (a follower pauses between retries, never spins).
      const waiting = b.eventLog.waitAfter!("s", second, { timeoutMs: 30_000 });
      await (b.eventLog as PostgresEventLog).close();
      await assert.rejects(within(waiting, 5_000, "the wait to end"), /closed/);
      await assert.rejects(b.eventLog.waitAfter!("s", second, { timeoutMs: 30_000 }), /closed/);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

itPostgres(
  "rows past their deadline are ignored, and one sweep deletes them in batches with nothing live",
  async () => {
    const namespace = "event-expiry";
    let clock = 1_700_000_000_000;
    const backend = await createPostgresBackend({ url: server().url }, {
      namespace,
      listen: false,
      expiryGraceMs: 0,
      onError: () => {},
      eventLog: { ttlSeconds: 60, now: () => clock },
    });
    try {
      const log = backend.eventLog;
      const old = EVENT_EXPIRY_BATCH * 2 + 50; // three batches
      for (let i = 0; i < old; i++) {
        await log.appendMany!(`old${i}`, "a", ["x".repeat(100), "y".repeat(100)]);
      }
      clock += 61_000;
      assert.equal(await log.replayAfter("old0", "a:0"), undefined, "a read ignores it");
      // A session whose record is in tether_sessions goes with that record, whatever its TTL.
      await backend.sessionStore.create(
        {
          id: "recorded",
          ownerKey: "user:alice",
          protocolVersion: "2025-11-25",
          clientCapabilities: {},
          createdAt: clock,
          expiresAt: clock + 1_000,
        },
        10,
        clock,
      );
      await log.appendMany!("recorded", "a", ["r"]);
      await log.appendMany!("live", "a", ["l"]);
      assert.ok(await log.replayAfter("recorded", "a:0"), "positive control: within its TTL");
      // The backend's sweep deletes the expired session record, and its streams after it.
      const swept = await backend.sweepExpired(clock + 2_000);
      assert.equal(swept.sessions, 1);
      assert.equal(swept.events, old + 1);
      const [rows] = await db()`SELECT
        (SELECT count(*)::int FROM tether_event_sessions WHERE namespace = ${namespace}) AS sessions,
        (SELECT count(*)::int FROM tether_event_streams WHERE namespace = ${namespace}) AS streams,
        (SELECT coalesce(sum(cardinality(b.data)), 0)::int FROM tether_event_batches b
          JOIN tether_event_streams s ON s.id = b.stream WHERE s.namespace = ${namespace}) AS events,
        (SELECT count(*)::int FROM tether_event_batches) AS everywhere`;
      assert.deepEqual(
        [rows.sessions, rows.streams, rows.events],
        [1, 1, 1],
        "only the live session's",
      );
      assert.equal((await totals(namespace)).budget, 1, "their bytes went back to the budget");
      assert.deepEqual(
        (await log.replayAfter("live", "a:0"))?.events.map((event) => event.data),
        ["l"],
      );
      assert.equal((await backend.sweepExpired(clock)).events, 0, "nothing left to sweep");
    } finally {
      await backend.close();
    }
  },
);
