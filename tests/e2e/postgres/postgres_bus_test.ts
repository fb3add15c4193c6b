/**
 * The Postgres bus addressed to owners, and its bounds, against a real PostgreSQL 15: a
 * session's message reaches only the instances that used the session (of five), an instance
 * that never came alive or closed gets nothing and leaves the session's holders, `release` keeps
 * an instance that used the session since (and instances that got a session's message while
 * holding nothing of it release it, through four handlers), each inbox keeps at most `maxLength` rows and
 * `maxBytes` bytes (the newest), a message over `maxMessageBytes` is refused, and the expiry sweep
 * deletes the rows past their deadlines.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import postgres from "postgres";
import {
  createPostgresBackend,
  type PostgresBackend,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import type { PostgresSql } from "../../../src/postgres/connection/postgres_gate.ts";
import type { PostgresBusOptions } from "../../../src/postgres/bus/bus_options.ts";
import { type BusMessage, BusMessageTooLargeError } from "../../../src/storage/mod.ts";
import { defineTool } from "../../../mod.ts";
import { initialize, makeHandler, postRequest, until } from "../../helpers.ts";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";
import type { PostgresBus } from "../../../src/postgres/bus/postgres_bus.ts";

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

const opened: PostgresBackend[] = [];
afterEach(async () => {
  for (const backend of opened.splice(0)) await backend.close();
});

let namespaces = 0;

/** `count` backends on one fresh namespace, each bus subscribed; what each received. */
async function instances(count: number, bus: Omit<PostgresBusOptions, "onError"> = {}) {
  const namespace = `owners${++namespaces}`;
  const made: { backend: PostgresBackend; got: BusMessage[] }[] = [];
  for (let i = 0; i < count; i++) {
    const backend = await createPostgresBackend({ url: server!.url }, {
      namespace,
      onError: () => {},
      bus,
    });
    opened.push(backend);
    const got: BusMessage[] = [];
    await backend.bus.subscribe((message) => got.push(message));
    made.push({ backend, got });
  }
  return { namespace, made };
}

async function holders(namespace: string, sessionId: string): Promise<string[]> {
  const rows = await sql`SELECT instance_id FROM tether_bus_holders
    WHERE namespace = ${namespace} AND session_id = ${sessionId} ORDER BY instance_id`;
  return rows.map((row) => String(row.instance_id));
}

itPostgres("a session's message reaches only the instance that used it, of five", async () => {
  const { made } = await instances(5);
  await (made[3].backend.bus as PostgresBus).hold("s", 60_000);
  await made[0].backend.bus.publish({ type: "cancel", sessionId: "s", requestId: 1 });
  // Each publisher's order is kept: once everyone has the broadcast, the cancel went where it went.
  await made[0].backend.bus.publish({ type: "resource-updated", uri: "test://r" });
  await until(
    () => made.slice(1).every(({ got }) => got.some((message) => message.type !== "cancel")),
    "the broadcast reached the four others",
  );
  assert.deepEqual(
    made.map(({ got }) => got.map((message) => message.type)),
    [[], ["resource-updated"], ["resource-updated"], ["cancel", "resource-updated"], [
      "resource-updated",
    ]],
  );
});

itPostgres(
  "an instance never alive or closed gets nothing and leaves the holders; release keeps recent use",
  async () => {
    const { namespace, made } = await instances(2);
    const [a, closed] = made.map(({ backend }) => backend);
    // A backend whose bus never subscribed: no row says it is alive (as one killed long ago).
    const never = await createPostgresBackend({ url: server!.url }, {
      namespace,
      onError: () => {},
    });
    opened.push(never);
    await (never.bus as PostgresBus).hold("s", 60_000);
    await (closed.bus as PostgresBus).hold("s", 60_000);
    assert.equal((await holders(namespace, "s")).length, 2);
    await (closed.bus as PostgresBus).close();
    assert.deepEqual(
      await holders(namespace, "s"),
      [(never.bus as PostgresBus).instanceId],
      "close leaves at once",
    );
    await a.bus.publish({ type: "cancel", sessionId: "s", requestId: 1 });
    assert.deepEqual(await holders(namespace, "s"), [], "the dead one left the holders");
    const rows = await sql`SELECT count(*)::int AS n FROM tether_bus_messages
      WHERE namespace = ${namespace}`;
    assert.equal(rows[0].n, 0, "nothing written for either");

    const before = Date.now() - 1_000;
    await (a.bus as PostgresBus).hold("t", 60_000);
    await a.bus.release!("t", before);
    assert.deepEqual(
      await holders(namespace, "t"),
      [(a.bus as PostgresBus).instanceId],
      "used since: kept",
    );
    await a.bus.release!("t", Date.now() + 1);
    assert.deepEqual(await holders(namespace, "t"), [], "not used since: released");
  },
);

itPostgres(
  "an inbox keeps the newest maxLength rows and maxBytes bytes; a message over maxMessageBytes is refused",
  async () => {
    const { namespace, made } = await instances(1, { maxLength: 3, maxBytes: 400 });
    const bus = made[0].backend.bus;
    // An instance alive by its row but reading nothing: its inbox only fills.
    await sql`INSERT INTO tether_bus_instances VALUES
      (${namespace}, 'stuck', ${Date.now() + 600_000}, ${Date.now() + 600_000})`;
    await sql`INSERT INTO tether_bus_holders VALUES
      (${namespace}, 's', 'stuck', ${Date.now()}, ${Date.now() + 600_000})`;
    for (let i = 0; i < 5; i++) {
      await bus.publish({ type: "cancel", sessionId: "s", requestId: i });
    }
    const inbox = async () =>
      (await sql`SELECT body FROM tether_bus_messages
        WHERE namespace = ${namespace} AND instance_id = 'stuck' ORDER BY id`)
        .map((row) => JSON.parse(String(row.body)).requestId ?? "big");
    assert.deepEqual(await inbox(), [2, 3, 4], "the newest three rows");
    const big = { type: "notify", sessionId: "s", notification: { method: "x".repeat(250) } };
    await bus.publish(big as BusMessage);
    assert.deepEqual(await inbox(), [4, "big"], "at most 400 bytes: the oldest went");
    await assert.rejects(
      bus.publish({ type: "notify", sessionId: "s", notification: { method: "y".repeat(500) } }),
      BusMessageTooLargeError,
    );
    assert.deepEqual(await inbox(), [4, "big"], "nothing of the refused message was written");

    // The sweep: past the messages' deadline (4 × aliveMs), the stuck inbox is emptied.
    const swept = await made[0].backend.sweepExpired(Date.now() + 4 * 15_000 + 1_000);
    assert.ok(swept.bus >= 2, `swept ${swept.bus} bus rows`);
    assert.deepEqual(await inbox(), []);
  },
);

itPostgres(
  "instances that hold nothing of a session release it: the next cancel goes to the owner alone",
  async () => {
    const started: AbortSignal[] = [];
    const hold = defineTool({
      name: "hold",
      handler: async (_input, ctx) => {
        started.push(ctx.signal);
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return "cancelled";
      },
    });
    const { namespace, made } = await instances(4);
    const handlers = made.map(({ backend }) => {
      const handler = makeHandler({
        tools: [hold],
        bus: backend.bus,
        sessions: { store: backend.sessionStore },
      });
      opened.push({ close: () => handler.close({ graceMs: 0 }) } as PostgresBackend);
      return handler;
    });
    const session = await initialize(handlers[0]);
    const headers = { sessionId: session.id, protocolVersion: session.protocolVersion };
    const call = (method: string, params: Record<string, unknown>, id?: number) =>
      postRequest({ jsonrpc: "2.0", ...(id === undefined ? {} : { id }), method, params }, headers);
    for (const handler of handlers) await (await handler(call("ping", {}, 9))).text();
    const ids = made.map(({ backend }) => (backend.bus as PostgresBus).instanceId);
    assert.deepEqual(await holders(namespace, session.id), [...ids].sort(), "each served it");
    const roundTrip = async (id: number) => {
      const running = handlers[0](call("tools/call", { name: "hold", arguments: {} }, id));
      await until(() => started.length === id, "the call runs on instance 0");
      const cancel = await handlers[1](call("notifications/cancelled", { requestId: id }));
      assert.equal(cancel.status, 202);
      await until(() => started[id - 1].aborted, "the cancel reached instance 0", 10_000);
      await (await running).text();
    };
    const cancels = () => made.map(({ got }) => got.filter((m) => m.type === "cancel").length);
    await roundTrip(1);
    await until(() => cancels()[2] === 1 && cancels()[3] === 1, "the first cancel reached 2 and 3");
    await until(
      async () => {
        const left = await holders(namespace, session.id);
        return !left.includes(ids[2]) && !left.includes(ids[3]);
      },
      "instances 2 and 3, which hold nothing of it, released the session",
      10_000,
    );
    await roundTrip(2);
    assert.deepEqual(cancels(), [2, 0, 1, 1], "the second reached the owner alone");
  },
);
