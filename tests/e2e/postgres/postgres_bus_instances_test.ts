/**
 * Three tether instances on one real PostgreSQL 15, each on its own port with its own backend
 * (pool and listener), sessions and bus on Postgres, events in memory: a cancel POSTed to B stops
 * the tool running on A, a DELETE on B ends A's call and listening stream, an elicitation reply
 * POSTed to another instance reaches the tool waiting where it runs (the official SDK client,
 * rotating its requests), notifications reach A's listening stream, and a 2026-07-28 cancel on
 * B reaches the call on A; the same with wake-ups (`LISTEN`: one listening connection per
 * instance, whatever the sessions) and polling-only (none).
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { createMcpHandler, defineTool, type McpHandler, type Principal } from "../../../mod.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { abortReason, deferred, until } from "../../helpers.ts";
import { modernNotification, modernRequest } from "../../support/modern_helpers.ts";
import {
  rawDelete,
  rawGet,
  rawInitialize,
  rawPost,
  SseReader,
  WAIT_MS,
} from "../interop/helpers.ts";
import {
  describePostgres,
  postgresSkip,
  startPostgres,
  type TestPostgres,
} from "./postgres_server.ts";
import { it } from "node:test";
import { rotatingClient } from "../../support/rotating_client.ts";

let server: TestPostgres | undefined;
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  await migratePostgres(server.url);
});
after(async () => {
  await server?.stop();
});

interface Instance {
  name: string;
  url: string;
  handler: McpHandler;
  backend: PostgresBackend;
}

interface Probe {
  held: ReturnType<typeof deferred<void>>;
  /** The signal of each `hold` call, and where it ran. */
  signals: { name: string; signal: AbortSignal }[];
}

const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

let namespaces = 0;

/** Three instances on one fresh namespace; `listen: false` makes them polling-only. */
async function startInstances(listen: boolean, probe: Probe): Promise<Instance[]> {
  const namespace = `bus_e2e${++namespaces}`;
  const instances: Instance[] = [];
  for (const name of ["A", "B", "C"]) {
    const backend = await createPostgresBackend({ url: server!.url }, {
      namespace,
      listen,
      onError: () => {},
      // Woken: no poll nor liveness refresh (which reads too) in time, only wake-ups deliver;
      // polling-only: a short poll.
      bus: listen ? { pollIntervalMs: 60_000, aliveMs: 300_000 } : { pollIntervalMs: 200 },
    });
    const handler = createMcpHandler({
      name: "bus",
      version: "1.0.0",
      observe: { onError: () => {} },
      auth: {
        authenticate: (request): Principal | undefined => {
          const match = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "");
          return match === null ? undefined : { id: match[1] };
        },
      },
      sessions: { store: backend.sessionStore },
      bus: backend.bus,
      tools: [
        defineTool({
          name: "hold",
          handler: async (_input, ctx) => {
            probe.signals.push({ name, signal: ctx.signal });
            probe.held.resolve();
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
            return "stopped";
          },
        }),
        defineTool({
          name: "ask",
          handler: async (_input, ctx) => {
            const answer = await ctx.elicit({
              message: "Name?",
              requestedSchema: { type: "object", properties: { name: { type: "string" } } },
            });
            return `${name} heard ${answer.action}:${String(answer.content?.name)}`;
          },
        }),
      ],
    });
    const running = await serveHandler(handler, 0);
    opened.push(() => backend.close(), () => running.close(), () => handler.close({ graceMs: 0 }));
    instances.push({ name, url: `${running.url}/mcp`, handler, backend });
  }
  return instances;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function newProbe(): Probe {
  return { held: deferred<void>(), signals: [] };
}

/** The rotating SDK client, answering every elicitation with "Ada"; closed after the test. */
async function rotatingAlice(instances: Instance[]) {
  const rotating = await rotatingClient(instances, "alice", {
    setup: (client) =>
      client.setRequestHandler(ElicitRequestSchema, () => ({
        action: "accept",
        content: { name: "Ada" },
      })),
  });
  opened.push(() => rotating.close());
  return rotating;
}

for (const listen of [true, false]) {
  const mode = listen ? "woken by LISTEN/NOTIFY" : "polling-only";
  describePostgres(`three instances on Postgres, ${mode}`, () => {
    it("notifications/cancelled posted to B aborts the tool running on A", async () => {
      const probe = newProbe();
      const [a, b] = await startInstances(listen, probe);
      const session = await rawInitialize(a.url, { headers: bearer("alice") });
      const call = await rawPost(a.url, session, {
        jsonrpc: "2.0",
        id: 41,
        method: "tools/call",
        params: { name: "hold", arguments: {} },
      }, { headers: bearer("alice") });
      await probe.held.promise;
      const cancel = await rawPost(b.url, session, {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 41, reason: "user" },
      }, { headers: bearer("alice") });
      assert.equal(cancel.status, 202);
      assert.equal(await abortReason(probe.signals[0].signal, WAIT_MS), "cancelled");
      assert.equal(probe.signals[0].name, "A");
      await call.body?.cancel();
    });

    it("DELETE on B aborts A's work and ends A's listening stream", async () => {
      const probe = newProbe();
      const [a, b, c] = await startInstances(listen, probe);
      const session = await rawInitialize(a.url, { headers: bearer("alice") });
      const listening = await rawGet(a.url, session, { headers: bearer("alice") });
      assert.equal(listening.status, 200);
      const call = await rawPost(a.url, session, {
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: { name: "hold", arguments: {} },
      }, { headers: bearer("alice") });
      await probe.held.promise;
      assert.equal(await rawDelete(b.url, session, bearer("alice")), 204);
      assert.equal(await abortReason(probe.signals[0].signal, WAIT_MS), "session-ended");
      const reader = new SseReader(listening.body);
      while (await reader.next() !== undefined) { /* until A's listening stream ends */ }
      await call.body?.cancel();
      const gone = await rawPost(c.url, session, { jsonrpc: "2.0", id: 6, method: "tools/list" }, {
        headers: bearer("alice"),
      });
      assert.equal(gone.status, 404, "the session is gone on C too");
      await gone.body?.cancel();
    });

    it("an elicitation reply posted to another instance resumes the tool where it runs (SDK client)", async () => {
      const instances = await startInstances(listen, newProbe());
      const rotating = await rotatingAlice(instances);
      for (let i = 0; i < 3; i++) {
        const result = await rotating.client.callTool({ name: "ask", arguments: {} });
        const text = (result as { content: { text: string }[] }).content[0].text;
        assert.match(text, /^[ABC] heard accept:Ada$/);
        const call = rotating.posts.findLast((post) => post.body.includes('"tools/call"'))!;
        const reply = rotating.posts.findLast((post) => post.body.includes('"action":"accept"'))!;
        assert.equal(text[0], call.instance, "the tool ran where the call was posted");
        assert.notEqual(reply.instance, call.instance, "the reply went to another instance");
      }
    });

    it("notify and broadcast on B and C reach the listening stream on A", async () => {
      const [a, b, c] = await startInstances(listen, newProbe());
      const session = await rawInitialize(a.url, { headers: bearer("alice") });
      const onA = await rawGet(a.url, session, { headers: bearer("alice") });
      const reader = new SseReader(onA.body);
      assert.equal(
        await b.handler.notify(session, { method: "notifications/message", params: { data: "B" } }),
        true,
      );
      await c.handler.broadcast({ method: "notifications/message", params: { data: "C" } });
      const seen: string[] = [];
      while (seen.length < 2) {
        const event = await reader.next();
        assert.ok(event !== undefined, "A's stream stays open");
        if (event.data !== "") seen.push(JSON.parse(event.data).params.data);
      }
      assert.deepEqual(seen.sort(), ["B", "C"]);
      await reader.cancel();
      const listeners = await server!.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tether listener'",
      );
      // A's bus subscribed with its first request (B and C only published): at most one each.
      const count = Number(listeners.trim());
      assert.ok(listen ? count >= 1 && count <= 3 : count === 0, `${count} listeners`);
    });

    it("a 2026-07-28 cancel POSTed to B aborts the call running on A", async () => {
      const probe = newProbe();
      const [a, b] = await startInstances(listen, probe);
      for (const instance of [a, b]) {
        const warm = await instance.handler(modernRequest("tools/list", {}, { id: "warm" }));
        await warm.text();
      }
      // The call's answer opens once it outlived its grace: from then on it is recorded.
      const response = await a.handler(
        modernRequest("tools/call", { name: "hold", arguments: {} }, { id: "modern-1" }),
      );
      await probe.held.promise;
      const cancel = await b.handler(
        modernNotification("notifications/cancelled", { requestId: "modern-1" }),
      );
      assert.equal(cancel.status, 202);
      assert.equal(await abortReason(probe.signals[0].signal, WAIT_MS), "cancelled");
      await response.body?.cancel();
      await until(
        async () => (await runners(`bus_e2e${namespaces}`)) === 0,
        "the call's record goes with its answer",
        WAIT_MS,
      );
    });
  });
}

/** Request records left in `namespace`. */
async function runners(namespace: string): Promise<number> {
  const out = await server!.psql(
    `SELECT count(*) FROM tether_bus_requests WHERE namespace = '${namespace}'`,
  );
  return Number(out.trim());
}
