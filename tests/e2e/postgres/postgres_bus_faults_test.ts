/**
 * Faults of the Postgres bus, against a real PostgreSQL 15 this file starts, two instances with
 * a backend each: a listening connection killed (`pg_terminate_backend`) and kept from coming
 * back while a cancel is sent loses the wake-up, yet the cancel reaches the tool once it listens
 * again (read from the table; the poll is a minute away); a Postgres stopped makes a 2026-07-28
 * cancel `503` + `Retry-After` within the deadline, never a hang, and after a restart the next
 * cancel reaches the call, on the same processes.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { defineTool, type McpHandler, type Principal } from "../../../mod.ts";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import {
  abortReason,
  deferred,
  initialize,
  makeHandler,
  postRequest,
  sleep,
  until,
  within,
} from "../../helpers.ts";
import { modernNotification, modernRequest } from "../../support/modern_helpers.ts";
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

const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** A `hold` tool: each call's signal, and a promise of the first call running. */
function holdTool() {
  const signals: AbortSignal[] = [];
  const held = deferred<void>();
  const tool = defineTool({
    name: "hold",
    handler: async (_input, ctx) => {
      signals.push(ctx.signal);
      held.resolve();
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      return "stopped";
    },
  });
  return { tool, signals, held: held.promise };
}

/** An instance on `namespace`: its listener connects as `listenUrl`, it polls once a minute. */
async function instance(
  namespace: string,
  tool: ReturnType<typeof holdTool>["tool"],
  options: { listenUrl?: string; sessions?: boolean } = {},
): Promise<McpHandler> {
  const backend = await createPostgresBackend({ url: server!.url, listenUrl: options.listenUrl }, {
    namespace,
    onError: () => {},
    // Room for a loaded machine: a stopped Postgres is refused at once (connection refused).
    statementTimeoutMs: 5_000,
    // No poll nor liveness refresh (which reads too) within the test: only wake-ups deliver.
    bus: { pollIntervalMs: 60_000, aliveMs: 300_000 },
  });
  const handler = makeHandler({
    tools: [tool],
    bus: backend.bus,
    auth: {
      authenticate: (): Principal => ({ id: "alice" }),
    },
    ...(options.sessions === false ? {} : { sessions: { store: backend.sessionStore } }),
  });
  opened.push(() => backend.close(), () => handler.close({ graceMs: 0 }));
  return handler;
}

itPostgres(
  "a cancel sent while A's listener was dropped reaches the tool on A once it listens again",
  async () => {
    // A's listener connects as a role of its own, so it can be kept from coming back.
    await server!.psql("CREATE ROLE bus_listener LOGIN");
    const listenUrl = server!.url.replace("postgres@", "bus_listener@");
    const hold = holdTool();
    const a = await instance("dropped", hold.tool, { listenUrl });
    const b = await instance("dropped", hold.tool);
    const session = await initialize(a);
    const headers = { sessionId: session.id, protocolVersion: session.protocolVersion };
    const call = a(postRequest(
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "hold", arguments: {} } },
      headers,
    ));
    await hold.held;
    await until(
      async () => (await listening("bus_listener")) === 1,
      "A's listener is connected",
      10_000,
    );
    await server!.psql("ALTER ROLE bus_listener NOLOGIN");
    await server!.psql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'bus_listener'",
    );
    await until(async () => (await listening("bus_listener")) === 0, "A's listener is gone");
    const cancel = await b(postRequest({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 7 },
    }, headers));
    assert.equal(cancel.status, 202);
    // The wake-up went nowhere and the next poll is a minute away: nothing reached A yet.
    await sleep(500);
    assert.equal(hold.signals[0].aborted, false, "not delivered while A cannot listen");
    await server!.psql("ALTER ROLE bus_listener LOGIN");
    assert.equal(await abortReason(hold.signals[0], 15_000), "cancelled");
    await (await call).body?.cancel();
  },
);

itPostgres(
  "Postgres stopped: a 2026-07-28 cancel is 503 + Retry-After at once; after a restart the next one reaches the call",
  async () => {
    const hold = holdTool();
    const a = await instance("stopped", hold.tool, { sessions: false });
    const b = await instance("stopped", hold.tool, { sessions: false });
    for (const handler of [a, b]) {
      await (await handler(modernRequest("tools/list", {}, { id: "warm" }))).text();
    }
    const response = await a(
      modernRequest("tools/call", { name: "hold", arguments: {} }, { id: "long" }),
    );
    await hold.held;
    // Its record is written once the call outlived its grace.
    await until(async () => (await records("stopped")) === 1, "A records the call", 10_000);
    await server!.halt("fast");
    try {
      const refused = await within(
        b(modernNotification("notifications/cancelled", { requestId: "long" })),
        8_000,
        "the refusal",
      );
      assert.equal(refused.status, 503);
      assert.ok(Number(refused.headers.get("retry-after")) >= 1, "Retry-After");
      await refused.body?.cancel();
      assert.equal(hold.signals[0].aborted, false, "nothing reached A");
    } finally {
      await server!.restart();
    }
    // The same processes: B's pool reconnects, A's reader reads again.
    let status = 0;
    await until(
      async () => {
        const cancel = await b(
          modernNotification("notifications/cancelled", { requestId: "long" }),
        );
        status = cancel.status;
        await cancel.body?.cancel();
        return status === 202;
      },
      "B takes the cancel again",
      20_000,
    );
    assert.equal(await abortReason(hold.signals[0], 15_000), "cancelled");
    await response.body?.cancel();
  },
);

/** Listening connections of `role`. */
async function listening(role: string): Promise<number> {
  const out = await server!.psql(
    `SELECT count(*) FROM pg_stat_activity WHERE usename = '${role}'`,
  );
  return Number(out.trim());
}

/** Request records of `namespace`. */
async function records(namespace: string): Promise<number> {
  const out = await server!.psql(
    `SELECT count(*) FROM tether_bus_requests WHERE namespace = '${namespace}'`,
  );
  return Number(out.trim());
}
