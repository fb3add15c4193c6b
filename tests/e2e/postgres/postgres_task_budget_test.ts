/**
 * The task store's bounds hold across instances, against a real PostgreSQL 15 this file starts:
 * two backends (each its own pool) settling results at once never keep more than the total
 * result budget nor more than a principal's share of it, never create more than the owner's cap
 * of unfinished tasks; and the backend's sweep deletes expired tasks (their result bytes free
 * again) and expired DPoP proofs, in batches, leaving live ones.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import type { StoredTask } from "../../../src/extensions/tasks/mod.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
} from "../../../src/postgres/postgres_backend.ts";
import { EXPIRY_BATCH } from "../../../src/postgres/postgres_expiry.ts";
import { itPostgres, migratedPostgresForFile } from "./postgres_server.ts";

const postgresServer = migratedPostgresForFile();
let n = 0;

function task(taskId: string, ownerKey: string): StoredTask {
  const now = Date.now();
  return {
    taskId,
    ownerKey,
    status: "working",
    createdAt: now,
    lastUpdatedAt: now,
    ttlMs: 600_000,
    pollIntervalMs: 500,
  };
}

/** A tool result whose JSON is `bytes` long (ASCII). */
function resultOf(bytes: number): Record<string, unknown> {
  const empty = JSON.stringify({ content: [{ type: "text", text: "" }] }).length;
  return { content: [{ type: "text", text: "x".repeat(bytes - empty) }] };
}

/** Two instances' backends on one namespace, with the task bounds given; closed after `body`. */
async function twoBackends(
  taskStore: { maxTotalResultBytes: number; maxResultBytesPerPrincipal: number },
  body: (a: PostgresBackend, b: PostgresBackend) => Promise<void>,
) {
  const namespace = `b${++n}`;
  const open = () =>
    createPostgresBackend({ url: postgresServer().url }, {
      namespace,
      poolSize: 4,
      statementTimeoutMs: 15_000,
      listen: false,
      onError: () => {},
      taskStore,
    });
  const a = await open();
  const b = await open();
  try {
    await body(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

/** Settles each of `ids` with a result of `bytes`, half through each backend, all at once. */
async function settleAcross(a: PostgresBackend, b: PostgresBackend, ids: string[], bytes: number) {
  const settled = await Promise.all(
    ids.map((id, i) =>
      (i % 2 === 0 ? a : b).taskStore.change(id, {
        type: "settle",
        status: "completed",
        result: resultOf(bytes),
      })
    ),
  );
  return settled.map((one) => one?.status);
}

itPostgres(
  "a principal's share holds with two instances settling at once: only its results fail",
  async () => {
    await twoBackends(
      { maxTotalResultBytes: 1_000_000, maxResultBytesPerPrincipal: 1_000 },
      async (a, b) => {
        const ids = Array.from({ length: 12 }, (_, i) => `alice-${i}`);
        for (const [i, id] of ids.entries()) {
          assert.equal(
            await (i % 2 === 0 ? a : b).taskStore.create(task(id, "user:alice"), 100),
            true,
          );
        }
        const statuses = await settleAcross(a, b, ids, 300);
        assert.equal(statuses.filter((status) => status === "completed").length, 3, "3 × 300 fit");
        assert.equal(statuses.filter((status) => status === "failed").length, 9);
        // Another principal still stores, through either instance.
        await b.taskStore.create(task("bob-1", "user:bob"), 100);
        const bob = await a.taskStore.change("bob-1", {
          type: "settle",
          status: "completed",
          result: resultOf(900),
        });
        assert.equal(bob?.status, "completed");
        assert.deepEqual((await b.taskStore.get("bob-1"))?.result, resultOf(900));
      },
    );
  },
);

itPostgres("the total result budget holds with two instances settling at once", async () => {
  await twoBackends(
    { maxTotalResultBytes: 1_000, maxResultBytesPerPrincipal: 1_000 },
    async (a, b) => {
      const ids = Array.from({ length: 12 }, (_, i) => `t-${i}`);
      for (const [i, id] of ids.entries()) {
        assert.equal(
          await (i % 2 === 0 ? b : a).taskStore.create(task(id, `user:${id}`), 100),
          true,
        );
      }
      const statuses = await settleAcross(a, b, ids, 300);
      assert.equal(statuses.filter((status) => status === "completed").length, 3);
      assert.equal(statuses.filter((status) => status === "failed").length, 9);
    },
  );
});

itPostgres(
  "an owner's cap of unfinished tasks holds with two instances creating at once",
  async () => {
    await twoBackends(
      { maxTotalResultBytes: 1_000_000, maxResultBytesPerPrincipal: 1_000_000 },
      async (a, b) => {
        const created = await Promise.all(
          Array.from(
            { length: 64 },
            (_, i) => (i % 2 === 0 ? a : b).taskStore.create(task(`c-${i}`, "user:carol"), 5),
          ),
        );
        assert.equal(created.filter(Boolean).length, 5);
        assert.equal((await a.taskStore.list("user:carol")).length, 5);
      },
    );
  },
);

itPostgres(
  "the backend's sweep deletes expired tasks and DPoP proofs in batches, and frees their bytes",
  async () => {
    const namespace = `s${++n}`;
    const backend = await createPostgresBackend({ url: postgresServer().url }, {
      namespace,
      statementTimeoutMs: 15_000,
      listen: false,
      onError: () => {},
      taskStore: { maxTotalResultBytes: 1_000, maxResultBytesPerPrincipal: 1_000 },
    });
    const sql = postgres(postgresServer().url, { max: 1, onnotice: () => {} });
    try {
      const store = backend.taskStore;
      const now = Date.now();
      await store.create(
        { ...task("old", "user:alice"), createdAt: now - 10_000, ttlMs: 60_000 },
        9,
      );
      assert.equal(
        (await store.change("old", { type: "settle", status: "completed", result: resultOf(900) }))
          ?.status,
        "completed",
      );
      const expired = EXPIRY_BATCH * 2 + 7;
      await sql`INSERT INTO tether_tasks (namespace, id, owner_key, principal, unfinished, record,
      created_at, expires_at)
      SELECT ${namespace}, 'e' || i, 'user:bob', 'user:bob', true, '{}', 0, ${now - 1}
      FROM generate_series(1, ${expired}) AS i`;
      await sql`INSERT INTO tether_dpop_proofs (namespace, key, expires_at)
      SELECT ${namespace}, 'p' || i, ${now - 1} FROM generate_series(1, ${expired}) AS i`;
      const owner = { key: "user:alice", share: 10 };
      assert.equal(await backend.dpopReplayStore.claim("live", now + 60_000, now, owner), true);
      await store.create(task("live", "user:alice"), 9);
      // At a minute and a bit later, the old task is past its TTL: its 900 bytes are freed.
      const counts = await backend.sweepExpired(now + 51_000);
      assert.equal(counts.tasks, expired + 1);
      assert.equal(counts.dpopProofs, expired);
      const left = await sql`SELECT
      (SELECT count(*)::int FROM tether_tasks WHERE namespace = ${namespace}) AS tasks,
      (SELECT count(*)::int FROM tether_dpop_proofs WHERE namespace = ${namespace}) AS proofs`;
      assert.deepEqual({ ...left[0] }, { tasks: 1, proofs: 1 }, "the live ones stay");
      assert.equal(await backend.dpopReplayStore.claim("live", now + 60_000, now, owner), false);
      const later = await store.change("live", {
        type: "settle",
        status: "completed",
        result: resultOf(900),
      });
      assert.equal(later?.status, "completed", "the swept result's bytes are free again");
    } finally {
      await sql.end({ timeout: 1 });
      await backend.close();
    }
  },
);
