/**
 * Three instances of one server, each on its own port with its own Redis
 * backend (createRedisBackend), and clients that rotate their requests
 * across them: the official SDK client over real HTTP, and raw requests
 * where a test must choose the instance. Every cross-instance flow runs on
 * each topology createRedisBackend takes: one real redis-server, a real
 * Redis Cluster (3 masters + 3 replicas) and a real Sentinel rig.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { createMcpHandler, defineTool, type McpHandler, type Principal } from "../../../mod.ts";
import type { MessageBus } from "../../../src/storage/mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import type { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { deferred, until, VirtualScheduler } from "../../helpers.ts";
import {
  rawDelete,
  rawGet,
  rawInitialize,
  rawPost,
  type SseEvent,
  SseReader,
  WAIT_MS,
} from "../interop/helpers.ts";
import {
  describeRedis,
  redisSkip,
  startRedis,
  startTopology,
  type TestRedis,
} from "./redis_server.ts";
import type { RedisSource } from "../../../src/redis/connection/redis_sources.ts";

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

interface Instance {
  name: string;
  url: string;
  handler: McpHandler;
  backend: RedisBackend;
  close(): Promise<void>;
}

interface Probe {
  held: ReturnType<typeof deferred<void>>;
  /** Why each held call ended, and on which instance. */
  ends: string[];
  /** `count` pauses at 3 and at 6 until these resolve. */
  gates?: ReturnType<typeof deferred<void>>[];
  /** Progress events `count` has sent. */
  counted?: number;
  /** The instance that heard each follower's lease (`stream-followed`), in order. */
  leases: string[];
}

/** `bus`, noting in `probe.leases` each follower's lease it delivers to instance `name`. */
function noticingLeases(bus: RedisBus, probe: Probe, name: string): MessageBus {
  return {
    publish: (message) => bus.publish(message),
    subscribe: (listener) =>
      bus.subscribe((message) => {
        listener(message);
        if (message.type === "stream-followed") probe.leases.push(name);
      }),
    release: (sessionId, unusedSince) => bus.release(sessionId, unusedSince),
    watchHolds: (holds) => bus.watchHolds(holds),
    trackRequest: (ownerKey, requestId) => bus.trackRequest(ownerKey, requestId),
    untrackRequest: (ownerKey, requestId) => bus.untrackRequest(ownerKey, requestId),
  };
}

let prefixes = 0;
/** Where the instances of the topology under test keep their state (each describe sets it). */
let source: RedisSource;

async function startInstances(
  probe: Probe,
  options: { orphanTimeoutMs?: number; scheduler?: VirtualScheduler } = {},
): Promise<Instance[]> {
  const prefix = `three${++prefixes}:`;
  const instances: Instance[] = [];
  for (const name of ["A", "B", "C"]) {
    const backend = await createRedisBackend(source, {
      prefix,
      onError: () => {},
      bus: { blockMs: 1_000 },
      // The log's flush window is on the scheduler's clock too: a manual one would hold each batch.
      ...(options.scheduler === undefined ? {} : { eventLog: { flushWindowMs: 0 } }),
    });
    const handler: McpHandler = createMcpHandler({
      name: "three",
      version: "1.0.0",
      scheduler: options.scheduler,
      observe: {
        onError: () => {},
      },
      streams: {
        orphanTimeoutMs: options.orphanTimeoutMs,
        eventLog: backend.eventLog,
      },
      auth: {
        authenticate: (request): Principal | undefined => {
          const match = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "");
          return match === null ? undefined : { id: match[1] };
        },
      },
      sessions: { store: backend.sessionStore },
      bus: noticingLeases(backend.bus as RedisBus, probe, name),
      tools: [
        defineTool({
          name: "increment",
          handler: async (_input, ctx) =>
            String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
        }),
        defineTool({
          name: "hold",
          handler: async (_input, ctx) => {
            probe.held.resolve();
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
            probe.ends.push(`${name}:${String(ctx.signal.reason)}`);
            return "stopped";
          },
        }),
        defineTool({
          name: "count",
          handler: async (_input, ctx) => {
            for (let i = 1; i <= 10; i++) {
              await ctx.progress(i, 10);
              probe.counted = i;
              if (i === 3) await probe.gates?.[0].promise;
              else if (i === 6) await probe.gates?.[1].promise;
            }
            probe.ends.push(`${name}:${ctx.signal.aborted ? String(ctx.signal.reason) : "done"}`);
            return `${name} counted to 10`;
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
    const server = await serveHandler(handler, 0);
    instances.push({
      name,
      url: `${server.url}/mcp`,
      handler,
      backend,
      async close() {
        await handler.close();
        await server.close();
        await backend.close();
      },
    });
  }
  return instances;
}

/**
 * Runs `body` on fresh instances (see {@linkcode startInstances}) and their probe, and closes
 * every instance after, whatever `body` does. `gates` gives the probe the `count` tool's two
 * pauses; `scheduler` is the instances' clock (a manual one moves on its own once `body` ends,
 * so closing waits on it no longer).
 */
async function withInstances(
  body: (instances: Instance[], probe: Probe) => Promise<void>,
  options: { gates?: boolean; orphanTimeoutMs?: number; scheduler?: VirtualScheduler } = {},
): Promise<void> {
  const probe: Probe = {
    held: deferred<void>(),
    ends: [],
    leases: [],
    ...(options.gates ? { gates: [deferred<void>(), deferred<void>()] } : {}),
  };
  const instances = await startInstances(probe, options);
  try {
    await body(instances, probe);
  } finally {
    options.scheduler?.runFreely();
    for (const instance of instances) await instance.close();
  }
}

/** An SDK client whose every request goes to the next instance in turn. */
async function rotatingClient(
  instances: Instance[],
  token: string,
  setup?: (client: Client) => void,
): Promise<
  { client: Client; posts: { instance: string; body: string }[]; close(): Promise<void> }
> {
  let turn = 0;
  const posts: { instance: string; body: string }[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(instances[0].url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    reconnectionOptions: {
      initialReconnectionDelay: 1_000,
      maxReconnectionDelay: 1_000,
      reconnectionDelayGrowFactor: 1,
      maxRetries: 0,
    },
    fetch: (_input: string | URL, init?: RequestInit) => {
      const instance = instances[turn++ % instances.length];
      if (init?.method === "POST" && typeof init.body === "string") {
        posts.push({ instance: instance.name, body: init.body });
      }
      return fetch(new URL(instance.url), init);
    },
  });
  const client = new Client({ name: "rotating", version: "1.0.0" }, {
    capabilities: { elicitation: {} },
  });
  client.onerror = () => {};
  setup?.(client);
  await client.connect(transport);
  return { client, posts, close: () => client.close() };
}

function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0].text;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const TOPOLOGIES = ["one Redis", "a Redis Cluster", "Sentinel"] as const;

for (const topology of TOPOLOGIES) {
  describeRedis(`three instances on ${topology}`, () => {
    let rig: Awaited<ReturnType<typeof startTopology>> | undefined;
    before(async () => {
      if (topology === "one Redis") {
        source = { url: redis.url };
      } else {
        rig = await startTopology(topology);
        source = rig.source;
      }
    });
    after(async () => {
      await rig?.stop();
    });

    it("any instance serves any session: the counter test, owner binding and forged ids on every instance", () =>
      withInstances(async (instances) => {
        const first = await rotatingClient(instances, "alice");
        const second = await rotatingClient(instances, "alice");
        for (let i = 0; i < 5; i++) {
          const counted = textOf(await first.client.callTool({ name: "increment", arguments: {} }));
          assert.equal(counted, String(i + 1));
        }
        for (let i = 0; i < 3; i++) {
          const counted = textOf(
            await second.client.callTool({ name: "increment", arguments: {} }),
          );
          assert.equal(counted, String(i + 1));
        }
        assert.equal(textOf(await first.client.callTool({ name: "increment" })), "6");
        assert.equal(textOf(await second.client.callTool({ name: "increment" })), "4");

        const session = await rawInitialize(instances[0].url, { headers: bearer("alice") });
        for (const instance of instances) {
          const stolen = await rawPost(instance.url, session, {
            jsonrpc: "2.0",
            id: 1,
            method: "tools/list",
          }, { headers: bearer("mallory") });
          assert.equal(stolen.status, 403, `owner binding on ${instance.name}`);
          await stolen.body?.cancel();
          const forged = await rawPost(instance.url, "f".repeat(43), {
            jsonrpc: "2.0",
            id: 1,
            method: "tools/list",
          }, { headers: bearer("alice") });
          assert.equal(forged.status, 404, `forged id on ${instance.name}`);
          await forged.body?.cancel();
        }
        await first.close();
        await second.close();
      }));

    it("notifications/cancelled posted to B aborts the tool running on A", () =>
      withInstances(async ([a, b], probe) => {
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
        await until(() => probe.ends.length === 1, "the tool on A saw the cancellation", WAIT_MS);
        assert.deepEqual(probe.ends, ["A:cancelled"]);
        await call.body?.cancel();
      }));

    it("DELETE on B aborts A's work and ends A's listening stream", () =>
      withInstances(async ([a, b, c], probe) => {
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
        await until(() => probe.ends.length === 1, "the tool on A was aborted", WAIT_MS);
        assert.deepEqual(probe.ends, ["A:session-ended"]);
        const reader = new SseReader(listening.body);
        while (await reader.next() !== undefined) { /* until A's listening stream ends */ }
        await call.body?.cancel();
        const after = await rawPost(
          c.url,
          session,
          { jsonrpc: "2.0", id: 6, method: "tools/list" },
          {
            headers: bearer("alice"),
          },
        );
        assert.equal(after.status, 404, "the session is gone on C too");
        await after.body?.cancel();
      }));

    it("an elicitation reply posted to another instance resumes the tool waiting where it runs (SDK client, rotating)", () =>
      withInstances(async (instances) => {
        const rotating = await rotatingClient(instances, "alice", (client) => {
          client.setRequestHandler(ElicitRequestSchema, () => ({
            action: "accept",
            content: { name: "Ada" },
          }));
        });
        for (let i = 0; i < 3; i++) {
          const text = textOf(await rotating.client.callTool({ name: "ask", arguments: {} }));
          assert.match(text, /^[ABC] heard accept:Ada$/);
          const call = rotating.posts.findLast((post) => post.body.includes('"tools/call"'))!;
          const reply = rotating.posts.findLast((post) => post.body.includes('"action":"accept"'))!;
          assert.equal(text[0], call.instance, "the tool ran where the call was posted");
          assert.notEqual(reply.instance, call.instance, "the reply went to another instance");
        }
        await rotating.close();
      }));

    it("notify, broadcast and resourceUpdated on any instance reach the listening stream on A; a GET on C takes it over", () =>
      withInstances(async ([a, b, c]) => {
        const session = await rawInitialize(a.url, { headers: bearer("alice") });
        const onA = await rawGet(a.url, session, { headers: bearer("alice") });
        const readerA = new SseReader(onA.body);
        const messages: string[] = [];
        // The bus needs no warm-up: each instance subscribed before serving its first request.
        assert.equal(
          await b.handler.notify(session, {
            method: "notifications/message",
            params: { data: "B" },
          }),
          true,
        );
        await c.handler.broadcast({ method: "notifications/message", params: { data: "C" } });
        while (messages.length < 2) {
          const event = await readerA.next();
          assert.ok(event !== undefined, "A's stream stays open");
          if (event.data !== "") messages.push(JSON.parse(event.data).params.data);
        }
        assert.deepEqual(messages, ["B", "C"]);

        const onC = await rawGet(c.url, session, { headers: bearer("alice") });
        assert.equal(onC.status, 200);
        while (await readerA.next() !== undefined) { /* A's connection closes: taken over */ }
        const readerC = new SseReader(onC.body);
        await a.handler.notify(session, { method: "notifications/message", params: { data: "A" } });
        let data: string | undefined;
        while (data === undefined) {
          const event = await readerC.next();
          assert.ok(event !== undefined);
          if (event.data !== "") data = JSON.parse(event.data).params.data;
        }
        assert.equal(data, "A");
        await readerC.cancel();
      }));

    // The orphan deadline and the follower's lease run on the instances' clock, moved here by
    // hand: the drop, the replay and the follower's start take what real time they take, and
    // the clock passes A's orphan timeout only while C's lease renews it, each renewal heard by
    // A before the clock moves on. Without the lease, A would abandon the work once the clock
    // passed 1.2 s.
    it("Last-Event-ID on C follows a stream A is writing: replay, then live, every event once; A keeps the work", () => {
      const orphanTimeoutMs = 1_200;
      const clock = new VirtualScheduler({ manual: true });
      return withInstances(async ([a, b, c], probe) => {
        const session = await rawInitialize(a.url, { headers: bearer("alice") });
        const call = await rawPost(a.url, session, {
          jsonrpc: "2.0",
          id: 9,
          method: "tools/call",
          params: { name: "count", arguments: {}, _meta: { progressToken: "p" } },
        }, { headers: bearer("alice") });
        const events: SseEvent[] = [];
        const first = new SseReader(call.body);
        let lastId: string | undefined;
        while (events.filter((e) => e.data !== "").length < 3) {
          const event = await first.next();
          assert.ok(event !== undefined);
          events.push(event);
          lastId = event.id ?? lastId;
        }
        await first.cancel(); // the client drops; A writes on without a connection
        probe.gates![0].resolve();
        await until(() => probe.counted === 6, "A wrote three more events", WAIT_MS);

        const resumed = await rawGet(c.url, session, {
          headers: bearer("alice"),
          lastEventId: lastId!,
        });
        assert.equal(resumed.status, 200);
        const second = new SseReader(resumed.body);
        for (let i = 0; i < 3; i++) {
          const event = await second.next();
          assert.ok(event !== undefined, "the replay of 4..6");
          events.push(event);
        }
        // C renews A's lease as it starts following, then every third of the orphan timeout.
        for (let renewals = 1; clock.time <= orphanTimeoutMs; renewals++) {
          await until(
            () => probe.leases.filter((name) => name === "A").length >= renewals,
            `A heard C's lease ${renewals} times`,
            WAIT_MS,
          );
          await clock.advance(orphanTimeoutMs / 3);
        }
        // Live from here: A writes 7..10 and the result, which reach C's connection as they happen.
        probe.gates![1].resolve();
        events.push(...await second.rest());

        const messages = events.filter((e) => e.data !== "").map((e) => JSON.parse(e.data));
        const progress = messages.filter((m) => m.method === "notifications/progress")
          .map((m) => m.params.progress);
        assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "every event exactly once");
        const results = messages.filter((m) => m.id === 9);
        assert.equal(results.length, 1);
        assert.equal(results[0].result.content[0].text, "A counted to 10");
        const ids = events.map((e) => e.id).filter((id) => id !== undefined);
        assert.equal(new Set(ids).size, ids.length, "no event id twice");
        assert.deepEqual(probe.ends, ["A:done"], "A was not told the work was abandoned");
        void b;
      }, { gates: true, orphanTimeoutMs, scheduler: clock });
    });

    it("a resume of the listening stream on C moves it there: A's connection closes, notify reaches C", () =>
      withInstances(async ([a, b, c]) => {
        const session = await rawInitialize(a.url, { headers: bearer("alice") });
        const onA = await rawGet(a.url, session, { headers: bearer("alice") });
        const readerA = new SseReader(onA.body);
        await b.handler.notify(session, {
          method: "notifications/message",
          params: { data: "one" },
        });
        let lastId: string | undefined;
        while (lastId === undefined) {
          const event = await readerA.next();
          assert.ok(event !== undefined);
          if (event.data !== "") lastId = event.id;
        }
        await a.handler.notify(session, {
          method: "notifications/message",
          params: { data: "two" },
        });
        const onC = await rawGet(c.url, session, { headers: bearer("alice"), lastEventId: lastId });
        assert.equal(onC.status, 200);
        while (await readerA.next() !== undefined) { /* A's connection closes: taken over */ }
        const readerC = new SseReader(onC.body);
        await b.handler.notify(session, {
          method: "notifications/message",
          params: { data: "three" },
        });
        const seen: string[] = [];
        while (seen.length < 2) {
          const event = await readerC.next();
          assert.ok(event !== undefined, "C's listening stream stays open");
          if (event.data !== "") seen.push(JSON.parse(event.data).params.data);
        }
        assert.deepEqual(seen, ["two", "three"], "the replay, then live on C");
        await readerC.cancel();
      }));

    // KEYS answers for one node: the count is taken where every key is on one.
    if (topology !== "one Redis") return;
    it("Redis keys of ended sessions are gone: the key count returns to its baseline after churn", () =>
      withInstances(async (instances) => {
        const prefix = `three${prefixes}:`;
        const keys = async () =>
          ((await redis.client.sendCommand(["KEYS", `${prefix}*`])) as string[])
            // The bus's inboxes and live list and the event log's global totals are the deployment's.
            .filter((key) =>
              !key.startsWith(`${prefix}{bus`) &&
              ![
                `${prefix}eg:{0}:bytes`,
                `${prefix}eg:{0}:clock`,
              ]
                .includes(key)
            );
        const baseline = (await keys()).length;
        for (let i = 0; i < 12; i++) {
          const [x, y] = [instances[i % 3], instances[(i + 1) % 3]];
          const session = await rawInitialize(x.url, { headers: bearer(`user${i}`) });
          const call = await rawPost(y.url, session, {
            jsonrpc: "2.0",
            id: 1,
            method: "tools/call",
            params: { name: "increment", arguments: {} },
          }, { headers: bearer(`user${i}`) });
          await call.text();
          assert.ok((await keys()).length > baseline, "a live session has keys (positive control)");
          assert.equal(
            await rawDelete(instances[(i + 2) % 3].url, session, bearer(`user${i}`)),
            204,
          );
        }
        // The session's bus holders go when the end is announced, just after the DELETE's answer.
        await until(async () => (await keys()).length <= baseline, "the last session's keys gone")
          .catch(() => {});
        assert.equal((await keys()).length, baseline, `left: ${(await keys()).join(", ")}`);
      }));
  });
}
