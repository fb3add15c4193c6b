/**
 * Expiry on Postgres, against a real PostgreSQL 15 this file starts: rows carry their
 * deadlines; the backend's sweep deletes the namespace's expired rate-limit budgets and the
 * sessions past their deadline plus the grace, in bounded batches, all of them in one sweep,
 * each row once when instances sweep at once (`SKIP LOCKED`), and nothing live; the bus's
 * expired rows of its five tables (a session's holders only past the grace); the session
 * store's own sweep reports expired sessions in batches up to its per-sweep bound.
 */
import assert from "node:assert/strict";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { EXPIRY_BATCH } from "../../../src/postgres/postgres_expiry.ts";
import { PostgresGate } from "../../../src/postgres/connection/postgres_gate.ts";
import {
  PostgresSessionStore,
  SWEEP_BATCH,
} from "../../../src/postgres/sessions/postgres_session_store.ts";
import { itPostgres, migratedPostgresWithClientForFile } from "./postgres_server.ts";

const { server, sql: db } = migratedPostgresWithClientForFile();

const NOW = 1_700_000_000_000;

/** `count` session rows of `namespace` whose deadline is `expiresAt`, ids `<tag><i>`. */
async function insertSessions(namespace: string, tag: string, count: number, expiresAt: number) {
  await db()`INSERT INTO tether_sessions (namespace, id, owner_key, record, created_at, expires_at)
    SELECT ${namespace}, ${tag} || i, 'user:alice',
      jsonb_build_object('id', ${tag} || i, 'ownerKey', 'user:alice'), ${
    NOW - 1_000_000
  }, ${expiresAt}
    FROM generate_series(1, ${count}) AS i`;
  await db()`INSERT INTO tether_session_state (namespace, session_id, key, value)
    SELECT ${namespace}, ${tag} || i, 'k', '1' FROM generate_series(1, ${count}) AS i`;
}

/** `count` rate-limit rows of `namespace` full again at `fullAt`. */
async function insertBudgets(namespace: string, tag: string, count: number, fullAt: number) {
  await db()`INSERT INTO tether_rate_limits (namespace, key, full_at)
    SELECT ${namespace}, ${tag} || i, ${fullAt} FROM generate_series(1, ${count}) AS i`;
}

async function count(table: "tether_sessions" | "tether_rate_limits", namespace: string) {
  const rows = table === "tether_sessions"
    ? await db()`SELECT count(*)::int AS n FROM tether_sessions WHERE namespace = ${namespace}`
    : await db()`SELECT count(*)::int AS n FROM tether_rate_limits WHERE namespace = ${namespace}`;
  return rows[0].n as number;
}

itPostgres(
  "one sweep deletes every expired row in batches, the state with its session, and nothing live",
  async () => {
    const namespace = "sweep";
    const expired = EXPIRY_BATCH * 2 + 500; // three batches
    await insertBudgets(namespace, "old", expired, NOW - 1);
    await insertBudgets(namespace, "live", 10, NOW + 60_000);
    await insertBudgets("other", "old", 5, NOW - 1); // another namespace: not this sweep's
    await insertSessions(namespace, "gone", EXPIRY_BATCH + 200, NOW - 60_001); // past the grace
    await insertSessions(namespace, "grace", 7, NOW - 1_000); // expired, within the grace
    await insertSessions(namespace, "live", 3, NOW + 1_000);
    const backend = await createPostgresBackend({ url: server().url }, {
      namespace,
      listen: false,
      expiryGraceMs: 60_000,
    });
    try {
      assert.deepEqual(await backend.sweepExpired(NOW), {
        rateLimits: expired,
        sessions: EXPIRY_BATCH + 200,
        events: 0,
        bus: 0,
        tasks: 0,
        dpopProofs: 0,
      });
      assert.equal(await count("tether_rate_limits", namespace), 10, "the live budgets stay");
      assert.equal(await count("tether_rate_limits", "other"), 5, "another namespace's stay");
      assert.equal(await count("tether_sessions", namespace), 10, "within the grace, and live");
      const state = await db()`SELECT count(*)::int AS n FROM tether_session_state
        WHERE namespace = ${namespace}`;
      assert.equal(state[0].n, 10, "the swept sessions' state went with them");
      assert.deepEqual(await backend.sweepExpired(NOW), {
        rateLimits: 0,
        sessions: 0,
        events: 0,
        bus: 0,
        tasks: 0,
        dpopProofs: 0,
      });
      // A budget read after its deadline is a full budget, swept or not.
      const take = await backend.rateLimitStore.take("old1", { limit: 3, windowSeconds: 60 }, NOW);
      assert.deepEqual([take.ok, take.remaining], [true, 2]);
    } finally {
      await backend.close();
    }
  },
);

/** Rows of every bus table in `namespace`: `expired` past their deadline, one live each. */
async function insertBusRows(namespace: string, expired: number, holderDeadline: number) {
  const rows = (table: string, tag: string, n: number, at: number) => {
    const series = db()`generate_series(1, ${n}) AS i`;
    switch (table) {
      case "instances":
        return db()`INSERT INTO tether_bus_instances (namespace, id, alive_until, expires_at)
          SELECT ${namespace}, ${tag} || i, ${at}, ${at} FROM ${series}`;
      case "messages":
        return db()`INSERT INTO tether_bus_messages
          (namespace, instance_id, origin, body, bytes, expires_at)
          SELECT ${namespace}, ${tag}, 'o', 'b', 1, ${at} FROM ${series}`;
      case "requests":
        return db()`INSERT INTO tether_bus_requests
          (namespace, owner_key, request_key, instance_id, expires_at)
          SELECT ${namespace}, 'user:alice', ${tag} || i, 'i', ${at} FROM ${series}`;
      case "marks":
        return db()`INSERT INTO tether_bus_cancel_marks
          (namespace, owner_key, request_key, expires_at)
          SELECT ${namespace}, 'user:alice', ${tag} || i, ${at} FROM ${series}`;
      default:
        return db()`INSERT INTO tether_bus_holders
          (namespace, session_id, instance_id, used_at, expires_at)
          SELECT ${namespace}, ${tag} || i, 'i', ${at}, ${at} FROM ${series}`;
    }
  };
  for (const table of ["instances", "messages", "requests", "marks"]) {
    await rows(table, "old", expired, NOW - 1);
    await rows(table, "live", 1, NOW + 1_000);
  }
  await rows("holders", "old", expired, holderDeadline);
  await rows("holders", "live", 1, NOW + 1_000);
}

/** The rows of every bus table of `namespace`, by table. */
async function busRows(namespace: string): Promise<number[]> {
  const rows = await db()`SELECT
    (SELECT count(*)::int FROM tether_bus_instances WHERE namespace = ${namespace}) AS instances,
    (SELECT count(*)::int FROM tether_bus_messages WHERE namespace = ${namespace}) AS messages,
    (SELECT count(*)::int FROM tether_bus_requests WHERE namespace = ${namespace}) AS requests,
    (SELECT count(*)::int FROM tether_bus_cancel_marks WHERE namespace = ${namespace}) AS marks,
    (SELECT count(*)::int FROM tether_bus_holders WHERE namespace = ${namespace}) AS holders`;
  const { instances, messages, requests, marks, holders } = rows[0];
  return [instances, messages, requests, marks, holders];
}

itPostgres(
  "the bus's expired rows go in one sweep, in batches; a session's holders only past the grace",
  async () => {
    const namespace = "bus-sweep";
    const expired = EXPIRY_BATCH + 5; // two batches a table
    await insertBusRows(namespace, expired, NOW - 60_001); // the holders past the grace
    await insertBusRows("bus-grace", 3, NOW - 1_000); // the holders within the grace
    const backends = await Promise.all(
      [namespace, "bus-grace"].map((name) =>
        createPostgresBackend({ url: server().url }, {
          namespace: name,
          listen: false,
          expiryGraceMs: 60_000,
        })
      ),
    );
    try {
      assert.equal((await backends[0].sweepExpired(NOW)).bus, 5 * expired);
      assert.deepEqual(await busRows(namespace), [1, 1, 1, 1, 1], "the live rows stay");
      assert.equal((await backends[1].sweepExpired(NOW)).bus, 4 * 3);
      assert.deepEqual(await busRows("bus-grace"), [1, 1, 1, 1, 4], "holders within the grace");
      assert.equal((await backends[0].sweepExpired(NOW)).bus, 0);
    } finally {
      await Promise.all(backends.map((backend) => backend.close()));
    }
  },
);

itPostgres("instances sweeping at once delete each expired row once (SKIP LOCKED)", async () => {
  const namespace = "together";
  const expired = EXPIRY_BATCH * 3;
  await insertBudgets(namespace, "old", expired, NOW - 1);
  const backends = await Promise.all(
    [1, 2, 3].map(() => createPostgresBackend({ url: server().url }, { namespace, listen: false })),
  );
  try {
    const swept = await Promise.all(backends.map((backend) => backend.sweepExpired(NOW)));
    assert.equal(swept.reduce((sum, counts) => sum + counts.rateLimits, 0), expired);
    assert.equal(await count("tether_rate_limits", namespace), 0);
  } finally {
    await Promise.all(backends.map((backend) => backend.close()));
  }
});

itPostgres(
  "the session store's sweep reports expired sessions in batches, up to maxSweptPerSweep a sweep",
  async () => {
    const namespace = "store-sweep";
    await insertSessions(namespace, "old", SWEEP_BATCH + 300, NOW - 1);
    await insertSessions(namespace, "live", 2, NOW + 1);
    const gate = new PostgresGate(db(), server().url, 5_000, () => {});
    const store = new PostgresSessionStore(gate, { namespace, maxSweptPerSweep: 600 });
    const first = await store.sweep(NOW);
    assert.equal(first.length, 600, "bounded per sweep");
    assert.ok(
      first.every((session) => session.expiresAt === NOW - 1 && session.id.startsWith("old")),
    );
    assert.equal((await store.sweep(NOW)).length, 200, "the rest at the next sweep");
    assert.deepEqual(await store.sweep(NOW), []);
    assert.equal(await store.size(), 2);
  },
);
