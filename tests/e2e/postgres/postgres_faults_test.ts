/**
 * Faults of the Postgres backend fail closed, against a real PostgreSQL 15 this file starts,
 * locks, stops and restarts: a statement past its deadline (a table locked elsewhere) and an
 * exhausted pool are refused as storage unavailable, and the statement is cancelled on the
 * server; a Postgres stopped mid-use makes requests `503` + `Retry-After` at once, never a
 * hang nor a crash, told once per outage; after a restart the same process serves again.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import postgres from "postgres";
import { createMcpHandler, defineTool, StorageUnavailableError } from "../../../mod.ts";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import { initializeMessage, postRequest, readAnswer, until, within } from "../../helpers.ts";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";

let server: TestPostgres | undefined;
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  await migratePostgres(server.url);
});
after(async () => {
  await server?.stop();
});

const record = (id: string) => ({
  id,
  ownerKey: "user:alice",
  protocolVersion: "2025-11-25",
  clientCapabilities: {},
  createdAt: Date.now(),
  expiresAt: Date.now() + 600_000,
});

itPostgres(
  "a statement past its deadline and a call waiting on an exhausted pool fail closed; the statement is cancelled",
  async () => {
    const reports: Error[] = [];
    const backend = await createPostgresBackend({ url: server!.url }, {
      namespace: "deadline",
      poolSize: 1,
      statementTimeoutMs: 500,
      listen: false,
      onError: (error) => reports.push(error as Error),
    });
    const locker = postgres(server!.url, { max: 1, onnotice: () => {} });
    const observer = postgres(server!.url, { max: 1, onnotice: () => {} });
    try {
      const store = backend.sessionStore;
      assert.equal(await store.create(record("s1"), 10, Date.now()), true);
      let release!: () => void;
      const released = new Promise<void>((resolve) => release = resolve);
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => locked = resolve);
      const transaction = locker.begin(async (tx) => {
        await tx`LOCK TABLE tether_sessions IN ACCESS EXCLUSIVE MODE`;
        locked();
        await released;
      });
      await holding;
      // The first waits on the lock, the second for the pool's only connection.
      const outcomes = await within(
        Promise.allSettled([store.get("s1", Date.now()), store.get("s1", Date.now())]),
        5_000,
        "both calls to fail by their deadline",
      );
      for (const outcome of outcomes) {
        assert.equal(outcome.status, "rejected");
        assert.ok((outcome as PromiseRejectedResult).reason instanceof StorageUnavailableError);
      }
      // The server stopped waiting too: the deadline cancelled the statement.
      await until(
        async () => {
          const waiting = await observer`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'tether' AND wait_event_type = 'Lock'`;
          return waiting[0].n === 0;
        },
        "the blocked statement to be cancelled",
        3_000,
        50,
      );
      release();
      await transaction;
      assert.equal((await store.get("s1", Date.now()))?.id, "s1", "served again");
      assert.deepEqual(
        reports.map((error) => error.name),
        ["StorageOutageError", "StorageRecoveredError"],
        "one outage, told once, then its end",
      );
    } finally {
      await locker.end({ timeout: 1 });
      await observer.end({ timeout: 1 });
      await backend.close();
    }
  },
);

itPostgres(
  "a transaction past its deadline rolls back: nothing commits after its caller was told 503",
  async () => {
    const backend = await createPostgresBackend({ url: server!.url }, {
      namespace: "late-commit",
      poolSize: 2,
      statementTimeoutMs: 300,
      listen: false,
      onError: () => {},
    });
    const locker = postgres(server!.url, { max: 1, onnotice: () => {} });
    try {
      const store = backend.sessionStore;
      assert.equal(await store.create(record("late"), 10, Date.now()), true);
      assert.equal(await store.updateState("late", "n", () => 1, 1_000), 1);
      // Another client holds the session's row: the update waits for it past its deadline.
      let release!: () => void;
      const released = new Promise<void>((resolve) => release = resolve);
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => locked = resolve);
      const transaction = locker.begin(async (tx) => {
        await tx`SELECT 1 FROM tether_sessions
          WHERE namespace = 'late-commit' AND id = 'late' FOR UPDATE`;
        locked();
        await released;
      });
      await holding;
      await assert.rejects(
        within(store.updateState("late", "n", (n) => (n as number) + 1, 1_000), 5_000, "503"),
        StorageUnavailableError,
      );
      // The late update gets the row once it is free; then it must roll back, not commit 2.
      release();
      await transaction;
      // Row locks queue in order: this read takes the row once the late update has ended. It is
      // the locker's, with no deadline: the late one's rollback may take longer than 300 ms on a
      // loaded machine, which the store's own 300 ms deadline would count as a failure.
      const [row] = await locker.begin(async (tx) => {
        await tx`SELECT 1 FROM tether_sessions
          WHERE namespace = 'late-commit' AND id = 'late' FOR UPDATE`;
        return await tx`SELECT value FROM tether_session_state
          WHERE namespace = 'late-commit' AND session_id = 'late' AND key = 'n'`;
      });
      assert.equal(row?.value, "1", "the update answered 503 did not commit afterwards");
    } finally {
      await locker.end({ timeout: 1 });
      await backend.close();
    }
  },
);

const echo = defineTool({
  name: "echo",
  description: "Echoes",
  handler: () => ({ content: [{ type: "text" as const, text: "ok" }] }),
});

itPostgres(
  "Postgres stopped mid-use: 503 + Retry-After at once, no hang, no crash; served again after its restart",
  async () => {
    const reports: Error[] = [];
    const handlerErrors: unknown[] = [];
    const backend = await createPostgresBackend({ url: server!.url }, {
      namespace: "restart",
      statementTimeoutMs: 1_000,
      connectTimeoutMs: 1_000,
      onError: (error) => reports.push(error as Error),
    });
    const handler = createMcpHandler({
      name: "app",
      version: "1.0.0",
      tools: [echo],
      sessions: { store: backend.sessionStore },
      observe: { onError: (error) => handlerErrors.push(error) },
    });
    const call = (sessionId: string, id: number) =>
      handler(postRequest(
        { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: {} } },
        { sessionId, protocolVersion: "2025-11-25" },
      ));
    const open = async () => {
      const response = await handler(postRequest(initializeMessage()));
      assert.equal(response.status, 200, await response.clone().text());
      await response.body?.cancel();
      return response.headers.get("mcp-session-id")!;
    };
    try {
      const session = await open();
      assert.equal((await readAnswer(await call(session, 1))).message.result.content[0].text, "ok");
      await server!.halt("immediate");
      for (let id = 2; id < 5; id++) {
        const refused = await within(call(session, id), 5_000, "a refusal, not a hang");
        assert.equal(refused.status, 503);
        assert.equal(refused.headers.get("retry-after"), "1");
        await refused.body?.cancel();
      }
      const initialize = await within(
        handler(postRequest(initializeMessage())),
        5_000,
        "initialize refused",
      );
      assert.equal(initialize.status, 503);
      await initialize.body?.cancel();
      assert.equal(reports[0]?.name, "StorageOutageError");
      assert.equal(
        reports.filter((error) => error.name === "StorageOutageError").length,
        1,
        "told once per outage",
      );
      await server!.restart();
      // The pool reconnects on its own: the next requests are served by the same process.
      let served = "";
      await until(
        async () => {
          try {
            const fresh = await open();
            served = (await readAnswer(await call(fresh, 9))).message?.result?.content?.[0]?.text;
            return served === "ok";
          } catch {
            return false;
          }
        },
        "requests to be served after the restart",
        15_000,
        200,
      );
      assert.equal(served, "ok");
      assert.ok(reports.some((error) => error.name === "StorageRecoveredError"), "its end told");
    } finally {
      await handler.close();
      await backend.close();
    }
  },
);
