/**
 * Faults of the Postgres event log fail closed, against a real PostgreSQL 15 this file starts,
 * locks, stops and restarts. A stream cut by a fault (its tables locked past the statement
 * deadline, so its next event cannot be logged) ends with `-32603`, and once Postgres answers
 * again the writer records that end, so a `Last-Event-ID` resume on another instance ends with
 * an answer for the call's id (as on Redis, tests/e2e/redis/stranded_stream_test.ts). A Postgres
 * stopped while instance B follows A's stream: requests get `503` + `Retry-After` at once, no
 * hang; after the restart B's follower, still connected, gets what A writes after.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import postgres from "postgres";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
  type PostgresBackendOptions,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import {
  bodilessRequest,
  deferred,
  initialize,
  messagesOf,
  postRequest,
  readSseUntil,
  until,
  within,
} from "../../helpers.ts";
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

interface Instance {
  handler: McpHandler;
  backend: PostgresBackend;
}

/** An instance whose tool `two-steps` sends progress 1, waits for `gate`, then progress 2. */
async function instance(
  gate: Promise<void>,
  options: PostgresBackendOptions,
  tail: "wait-for-abort" | "answer",
): Promise<Instance> {
  const backend = await createPostgresBackend({ url: server!.url }, {
    onError: () => {},
    ...options,
  });
  const handler = createMcpHandler({
    name: "faults",
    version: "1.0.0",
    observe: { onError: () => {} },
    streams: { heartbeatMs: 0, responseMode: "sse", eventLog: backend.eventLog },
    sessions: { store: backend.sessionStore },
    tools: [
      defineTool({
        name: "two-steps",
        handler: async (_input, ctx) => {
          await ctx.progress(1, 2);
          await gate;
          await ctx.progress(2, 2).catch(() => {});
          // Long work: it stops when its signal aborts (the stream could not be logged).
          if (tail === "wait-for-abort" && !ctx.signal.aborted) {
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          }
          return "stepped";
        },
      }),
      defineTool({ name: "ping", handler: () => "pong" }),
    ],
  });
  return { handler, backend };
}

async function closeAll(instances: Instance[]): Promise<void> {
  for (const { handler, backend } of instances) {
    await handler.close({ graceMs: 0 });
    await backend.close();
  }
}

/** Starts `two-steps` on `a`; the live body's reader and the id of its progress event. */
async function startCall(a: Instance, session: { id: string; protocolVersion: string }) {
  const headers = { sessionId: session.id, protocolVersion: session.protocolVersion };
  const response = await a.handler(postRequest({
    jsonrpc: "2.0",
    id: 7,
    method: "tools/call",
    params: { name: "two-steps", _meta: { progressToken: "p" } },
  }, headers));
  assert.equal(response.status, 200);
  const live = response.body!.getReader();
  const first = await readSseUntil(live, (events) => messagesOf(events).length >= 1, 10_000);
  const progressId = first.events.find((event) => event.data !== "" && event.id)?.id;
  assert.ok(progressId, "the progress event has an id to resume from");
  return { live, progressId, headers };
}

itPostgres(
  "a stream cut by a fault: a resume on another instance ends with an answer for the call's id",
  async () => {
    const gate = deferred();
    const options = { namespace: "stranded", statementTimeoutMs: 500, listen: false };
    const [a, b] = [
      await instance(gate.promise, options, "wait-for-abort"),
      await instance(gate.promise, options, "wait-for-abort"),
    ];
    const locker = postgres(server!.url, { max: 1, onnotice: () => {} });
    try {
      const session = await initialize(a.handler);
      const { live, progressId, headers } = await startCall(a, session);
      // The event log's tables locked past three statement deadlines: the next write fails.
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => locked = resolve);
      const transaction = locker.begin(async (tx) => {
        await tx`LOCK TABLE tether_event_sessions IN ACCESS EXCLUSIVE MODE`;
        locked();
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      });
      await holding;
      gate.resolve();
      const cut = await readSseUntil(live, () => false, 10_000);
      assert.ok(cut.ended, "the live stream ended");
      const liveError = messagesOf(cut.events).find((message) => message.id === 7);
      assert.equal(liveError?.error?.code, -32603, "positive control: the fault cut the stream");
      await transaction;

      // Another instance, once Postgres answers again: the resume ends with an answer for id 7.
      const resumeOnB = () =>
        b.handler(bodilessRequest("GET", { ...headers, headers: { "last-event-id": progressId } }));
      let resumed = await resumeOnB();
      for (const deadline = Date.now() + 10_000; resumed.status === 503;) {
        await resumed.body?.cancel();
        assert.ok(Date.now() < deadline, "Postgres answers again within 10 s");
        await new Promise((resolve) => setTimeout(resolve, 200));
        resumed = await resumeOnB();
      }
      assert.equal(resumed.status, 200);
      const reader = resumed.body!.getReader();
      const replay = await readSseUntil(
        reader,
        (events) => messagesOf(events).some((message) => message.id === 7),
        30_000,
      );
      const answer = messagesOf(replay.events).find((message) => message.id === 7);
      assert.ok(answer, "the resume carries an answer for the call's id within 30 s");
      assert.ok(answer.result !== undefined || answer.error !== undefined);
      await reader.cancel().catch(() => {});
    } finally {
      await locker.end({ timeout: 1 });
      await closeAll([a, b]);
    }
  },
);

itPostgres(
  "Postgres stopped while B follows A's stream: 503s, no hang; after the restart B gets the rest",
  async () => {
    const gate = deferred();
    // The writer's heartbeat outlives the restart (a loaded machine may take seconds to restart).
    const options = {
      namespace: "stopped",
      statementTimeoutMs: 1_000,
      connectTimeoutMs: 1_000,
      eventLog: { instanceTimeoutMs: 30_000 },
    };
    const [a, b] = [
      await instance(gate.promise, options, "answer"),
      await instance(gate.promise, options, "answer"),
    ];
    try {
      const session = await initialize(a.handler);
      const { live, progressId, headers } = await startCall(a, session);
      await live.cancel(); // the client left A, and resumes on B
      const resumed = await b.handler(
        bodilessRequest("GET", { ...headers, headers: { "last-event-id": progressId } }),
      );
      assert.equal(resumed.status, 200);
      const follower = resumed.body!.getReader();

      // A clean stop (a crash would do too: the test server commits synchronously).
      await server!.halt("fast");
      const ping = (target: Instance, id: number) =>
        target.handler(postRequest(
          { jsonrpc: "2.0", id, method: "tools/call", params: { name: "ping", arguments: {} } },
          headers,
        ));
      for (const [target, id] of [[a, 20], [b, 21]] as const) {
        const refused = await within(ping(target, id), 5_000, "a refusal, not a hang");
        assert.equal(refused.status, 503);
        assert.equal(refused.headers.get("retry-after"), "1");
        await refused.body?.cancel();
      }
      await server!.restart();
      await until(
        async () => {
          const response = await ping(a, 22);
          await response.body?.cancel();
          return response.status === 200;
        },
        "A reaches Postgres again",
        15_000,
        200,
      );
      gate.resolve(); // A writes the rest now

      const rest = await readSseUntil(
        follower,
        (events) => messagesOf(events).some((message) => message.id === 7),
        20_000,
      );
      const messages = messagesOf(rest.events);
      assert.deepEqual(
        messages.map((m) => m.params?.progress ?? m.result?.content[0].text),
        [2, "stepped"],
        "the follower went on after the restart",
      );
      await follower.cancel().catch(() => {});
    } finally {
      await closeAll([a, b]);
    }
  },
);
