/**
 * Resumable streams across two instances on one Postgres (sessions and the event log both
 * there), through the official SDK client over real HTTP: a tool's progress stream is cut on
 * instance A (`ctx.closeStream()`), the client resumes with `Last-Event-ID`, a load balancer
 * sends the resume to instance B, and B follows the stream A goes on writing: every progress
 * event once, in order, then the answer. Woken by LISTEN/NOTIFY (the poll a minute away, so only
 * the wake-ups can carry it in time), and polling-only (no NOTIFY at all).
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import {
  createPostgresBackend,
  type PostgresBackendOptions,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { deferred, sleep, until } from "../../helpers.ts";
import { Client, StreamableHTTPClientTransport } from "../interop/helpers.ts";
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

/** Two instances behind one URL: resumes (`Last-Event-ID`) go to B, everything else to A. */
async function twoInstancesBehindOneUrl(options: PostgresBackendOptions) {
  const followedOnB = deferred();
  /** B's wake-ups listen (always true when polling-only). */
  let bListens = () => true;
  const steps = defineTool({
    name: "steps",
    handler: async (_input, ctx) => {
      for (let i = 1; i <= 3; i++) await ctx.progress(i, 6);
      ctx.closeStream(); // the client must resume to hear the rest
      await followedOnB.promise; // written while B follows
      // B listens, and its first wake-up (the one each LISTEN gives) has passed: from now on
      // only A's notifications wake it before its follower's ten-second wait ends.
      await until(bListens, "B listens", 10_000, 20);
      await sleep(200);
      for (let i = 4; i <= 6; i++) await ctx.progress(i, 6);
      return "done";
    },
  });
  const backends = [
    await createPostgresBackend({ url: server!.url }, { ...options, onError: () => {} }),
    await createPostgresBackend({ url: server!.url }, { ...options, onError: () => {} }),
  ];
  if (options.listen !== false) bListens = () => backends[1].wakeups.listening;
  const [a, b]: McpHandler[] = backends.map((backend) =>
    createMcpHandler({
      name: "resume",
      version: "1.0.0",
      tools: [steps],
      sessions: { store: backend.sessionStore },
      streams: { eventLog: backend.eventLog, retryMs: 50 },
      observe: { onError: () => {} },
    })
  );
  const resumes: string[] = [];
  const balancer = Object.assign(async (request: Request) => {
    const lastEventId = request.headers.get("last-event-id");
    if (lastEventId === null) return await a(request);
    resumes.push(lastEventId);
    const response = await b(request); // B replayed what A wrote, and follows the rest
    followedOnB.resolve();
    return response;
  }, { close: async () => {} });
  const running = await serveHandler(balancer, 0);
  return {
    url: `${running.url}/mcp`,
    resumes,
    async close() {
      followedOnB.resolve();
      await running.close();
      for (const handler of [a, b]) await handler.close({ graceMs: 0 });
      for (const backend of backends) await backend.close();
    },
  };
}

/** Calls `steps` through the SDK client; the progress it heard and the answer. */
async function callThroughTheCut(options: PostgresBackendOptions) {
  const served = await twoInstancesBehindOneUrl(options);
  const client = new Client({ name: "resume", version: "1.0.0" }, { capabilities: {} });
  client.onerror = () => {};
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(served.url)));
    const progress: number[] = [];
    const result = await client.callTool({ name: "steps", arguments: {} }, undefined, {
      timeout: 8_000, // under the follower's ten-second wait: a missed wake-up fails the call
      onprogress: (update: { progress: number }) => progress.push(update.progress),
    });
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6], "every progress event once, in order");
    assert.deepEqual(result.content, [{ type: "text", text: "done" }], "then the answer");
    assert.equal(served.resumes.length, 1, "one resume, served by B");
    assert.match(served.resumes[0], /:3$/, "from the last event the client heard");
  } finally {
    await client.close();
    await served.close();
  }
}

itPostgres(
  "SDK client: a progress stream cut on A, resumed on B, follows what A writes (NOTIFY)",
  async () => {
    await callThroughTheCut({ namespace: "resume-listen", eventLog: { pollIntervalMs: 60_000 } });
  },
);

itPostgres(
  "SDK client: the same in polling-only mode, the latency bounded by the poll interval",
  async () => {
    await callThroughTheCut({
      namespace: "resume-poll",
      listen: false,
      eventLog: { pollIntervalMs: 50 },
    });
  },
);
