/**
 * Every Postgres seam together: three instances, each with its own `createPostgresBackend`
 * (pool and listener) on one database, wired with `sessions.store`, `streams.eventLog`, `bus`
 * and a rate-limit store, behind a round-robin balancer (the official SDK client over real HTTP,
 * each request to the next instance). A session made on one instance is served on the others with
 * owner binding; a progress stream cut on one is resumed on another while the tool runs on, woken
 * and polling-only; a call followed only from another instance past `orphanTimeoutMs` is kept
 * (the follower's lease goes by the Postgres bus); a lost answer resumed elsewhere cancels the run.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { defineTool, type McpHandler } from "../../../mod.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
  type PostgresBackendOptions,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import type { StreamOptions } from "../../../src/config/delivery_options.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { deferred, sleep, untilAborted } from "../../helpers.ts";
import { rawInitialize, rawPost } from "../interop/helpers.ts";
import { rotatingClient } from "../../support/rotating_client.ts";
import { assertLostAnswerCancels } from "../../support/lost_answer.ts";
import { handlerOn, increment } from "./postgres_flows.ts";
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

interface Instance {
  name: string;
  url: string;
  handler: McpHandler;
  backend: PostgresBackend;
}

/** What the `steps` tool did, and where. */
interface Probe {
  /** Resolved once a resume (`Last-Event-ID`) has been answered: `steps` goes on after it. */
  resumed: ReturnType<typeof deferred<void>>;
  /** The instance `steps` ran on. */
  ranOn?: string;
  /** How each `steps` call ended: `done`, or its signal's reason. */
  ends: string[];
  /** The signal of the first `waits` call. */
  waits?: Promise<AbortSignal>;
}

interface Setup {
  backend?: PostgresBackendOptions;
  streams?: StreamOptions;
  /** Wire `bus: backend.bus` (the default); false shows what the bus carries. */
  bus?: boolean;
  /** How long `steps` runs after the resume, ms. */
  stepsMs?: number;
}

let namespaces = 0;

/** Three instances on one fresh namespace, each on its own port and backend. */
async function startInstances(probe: Probe, setup: Setup = {}): Promise<Instance[]> {
  const namespace = `three${++namespaces}`;
  const waits = untilAborted("waits");
  probe.waits = waits.signal;
  const steps = (name: string) =>
    defineTool({
      name: "steps",
      handler: async (_input, ctx) => {
        probe.ranOn = name;
        for (let i = 1; i <= 3; i++) await ctx.progress(i, 6);
        ctx.closeStream(); // the client must resume to hear the rest
        await probe.resumed.promise; // from here another instance follows the stream
        try {
          for (let i = 4; i <= 6; i++) {
            await sleep((setup.stepsMs ?? 300) / 3, ctx.signal);
            await ctx.progress(i, 6);
          }
        } catch {
          probe.ends.push(`${name}:${String(ctx.signal.reason)}`);
          return "stopped";
        }
        probe.ends.push(`${name}:done`);
        return `${name} done`;
      },
    });
  const instances: Instance[] = [];
  for (const name of ["A", "B", "C"]) {
    const backend = await createPostgresBackend({ url: server!.url }, {
      namespace,
      onError: () => {},
      ...setup.backend,
    });
    const handler = handlerOn(backend, {
      tools: [
        increment,
        steps(name),
        waits.tool,
        defineTool({ name: "small", handler: () => "kept" }),
      ],
      streams: { retryMs: 50, ...setup.streams, eventLog: backend.eventLog },
      ...(setup.bus === false ? {} : { bus: backend.bus }),
      limits: {
        rateLimits: {
          perPrincipal: { limit: 1_000, windowSeconds: 3_600 },
          store: backend.rateLimitStore,
        },
      },
    });
    const running = await serveHandler(handler, 0);
    opened.push(() => backend.close(), () => running.close(), () => handler.close({ graceMs: 0 }));
    instances.push({ name, url: `${running.url}/mcp`, handler, backend });
  }
  return instances;
}

const newProbe = (): Probe => ({ resumed: deferred<void>(), ends: [] });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;

itPostgres(
  "a session made on A is served on B and C: state, owner binding, forged ids",
  async () => {
    const instances = await startInstances(newProbe());
    const first = await rotatingClient(instances, "alice");
    const second = await rotatingClient(instances, "alice");
    opened.push(() => first.close(), () => second.close());
    const counts = [];
    for (let i = 0; i < 4; i++) {
      counts.push(
        textOf(await first.client.callTool({ name: "increment" })),
      );
    }
    counts.push(textOf(await second.client.callTool({ name: "increment" })));
    assert.deepEqual(counts, ["1", "2", "3", "4", "1"], "one state per session, on every instance");
    const served = new Set(first.requests.map((request) => request.instance));
    assert.deepEqual([...served].sort(), ["A", "B", "C"], "every instance served the session");

    const session = await rawInitialize(instances[0].url, { headers: bearer("alice") });
    for (const instance of instances) {
      const list = { jsonrpc: "2.0", id: 1, method: "tools/list" };
      const own = await rawPost(instance.url, session, list, { headers: bearer("alice") });
      assert.equal(own.status, 200, `the owner on ${instance.name}`);
      await own.body?.cancel();
      const stolen = await rawPost(instance.url, session, list, { headers: bearer("mallory") });
      assert.equal(stolen.status, 403, `owner binding on ${instance.name}`);
      await stolen.body?.cancel();
      const forged = await rawPost(instance.url, "f".repeat(43), list, {
        headers: bearer("alice"),
      });
      assert.equal(forged.status, 404, `forged id on ${instance.name}`);
      await forged.body?.cancel();
    }
  },
);

/**
 * Calls `steps` through a rotating SDK client: its stream is cut after three events, the
 * client's resume goes to the next instance, and the tool goes on where it runs.
 */
async function callThroughTheCut(setup: Setup) {
  const probe = newProbe();
  const instances = await startInstances(probe, setup);
  const rotating = await rotatingClient(instances, "alice", {
    maxRetries: 2,
    onResponse: (request) => {
      if (request.lastEventId !== undefined) probe.resumed.resolve();
    },
  });
  opened.push(() => rotating.close(), () => Promise.resolve(probe.resumed.resolve()));
  const progress: number[] = [];
  const result = await rotating.client.callTool({ name: "steps", arguments: {} }, undefined, {
    timeout: 10_000, // the tool runs about 4.5 s; an abandoned call never answers
    onprogress: (update: { progress: number }) => progress.push(update.progress),
  });
  const resumes = rotating.requests.filter((request) => request.lastEventId !== undefined);
  return { probe, progress, result, resumes };
}

/** The answer of a call resumed on another instance: every event once, in order, then it. */
function assertFollowed(outcome: Awaited<ReturnType<typeof callThroughTheCut>>) {
  const { probe, progress, result, resumes } = outcome;
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6], "every progress event once, in order");
  assert.deepEqual(result.content, [{ type: "text", text: `${probe.ranOn} done` }]);
  assert.equal(resumes.length, 1, "one resume");
  assert.notEqual(resumes[0].instance, probe.ranOn, "resumed on another instance");
  assert.match(resumes[0].lastEventId!, /:3$/, "from the last event the client heard");
  assert.deepEqual(probe.ends, [`${probe.ranOn}:done`]);
}

itPostgres(
  "a progress stream cut on A is resumed on B while A runs the tool (NOTIFY)",
  async () => {
    assertFollowed(await callThroughTheCut({}));
  },
);

itPostgres("the same in polling-only mode (listen: false)", async () => {
  assertFollowed(
    await callThroughTheCut({ backend: { listen: false, eventLog: { pollIntervalMs: 100 } } }),
  );
});

// Past the orphan timeout with no connection on A: only the follower's lease, renewed through
// the Postgres bus from B, keeps A from abandoning the call.
itPostgres("a call followed only from B past orphanTimeoutMs is not abandoned by A", async () => {
  assertFollowed(await callThroughTheCut({ streams: { orphanTimeoutMs: 1_500 }, stepsMs: 4_000 }));
});

itPostgres("a lost answer resumed on B answers the error and cancels the run on A", async () => {
  const probe = newProbe();
  const [a, b] = await startInstances(probe, {
    backend: { eventLog: { maxStreamsPerSession: 1 } },
    // The orphan timeout is far off: only the cancellation can stop the run in time.
    streams: { heartbeatMs: 0, responseMode: "sse", orphanTimeoutMs: 60_000 },
  });
  await assertLostAnswerCancels(a.handler, b.handler, probe.waits!, { "x-user": "alice" });
});
