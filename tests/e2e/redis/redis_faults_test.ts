/**
 * Faults of the Redis backend, against a real redis-server this file starts
 * (and kills) itself: Redis unreachable at startup is a clear error; while
 * Redis is down, requests get 503 + Retry-After (never a silent fallback to
 * memory); after a restart with `appendonly yes`, sessions have survived and
 * the bus carries cancellations between instances again.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { createClient } from "redis";
import { createMcpHandler, defineTool, type McpHandler, type Principal } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { deferred, readAnswer, sleep, until } from "../../helpers.ts";
import { rawGet, rawInitialize, rawPost, SseReader } from "../interop/helpers.ts";
import { describeRedis, startRedis } from "./redis_server.ts";
import { freeRigPort, spawnTracked } from "../../../scripts/rig_processes.ts";
import type { RedisBus } from "../../../src/redis/bus/redis_bus.ts";

/** A redis-server with an append-only file in `dir` (fsync on every write), on `port`. */
async function startServer(port: number, dir: string): Promise<ChildProcess> {
  const child = spawnTracked("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
  ]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = createClient({
      url: `redis://127.0.0.1:${port}`,
      socket: { reconnectStrategy: false },
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      const loading = String(await probe.sendCommand(["INFO", "persistence"]));
      probe.destroy();
      if (/loading:0/.test(loading)) return child;
    } catch {
      try {
        probe.destroy();
      } catch { /* not connected */ }
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start on ${port}`);
    }
    await sleep(50);
  }
}

/** SIGKILLs `child`; resolves once it exited (deadline 5 s; the timer keeps the loop alive meanwhile). */
function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(resolve, 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGKILL");
  });
}

const bearer = { authorization: "Bearer alice" };

interface Instance {
  url: string;
  handler: McpHandler;
  close(): Promise<void>;
}

interface Held {
  started: ReturnType<typeof deferred<void>>;
  ends: unknown[];
  /** `steps` waits for this between its two progress events. */
  gate?: ReturnType<typeof deferred<void>>;
}

async function instance(url: string, held: Held, errors: unknown[]): Promise<Instance> {
  const backend: RedisBackend = await createRedisBackend({ url }, {
    prefix: "faults:",
    onError: (error) => errors.push(error),
    bus: { blockMs: 500 },
  });
  const handler = createMcpHandler({
    name: "faults",
    version: "1.0.0",
    observe: {
      onError: (error) => errors.push(error),
    },
    auth: {
      authenticate: (request): Principal | undefined =>
        request.headers.get("authorization") === null ? undefined : { id: "alice" },
    },
    sessions: { store: backend.sessionStore },
    streams: {
      eventLog: backend.eventLog,
    },
    bus: backend.bus,
    tools: [
      defineTool({
        name: "increment",
        handler: async (_input, ctx) =>
          String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
      }),
      defineTool({
        name: "steps",
        handler: async (_input, ctx) => {
          await ctx.progress(1, 2);
          await held.gate?.promise;
          await ctx.progress(2, 2);
          return "stepped";
        },
      }),
      defineTool({
        name: "hold",
        handler: async (_input, ctx) => {
          held.started.resolve();
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          held.ends.push(ctx.signal.reason);
          return "stopped";
        },
      }),
    ],
  });
  const server = await serveHandler(handler, 0);
  return {
    url: `${server.url}/mcp`,
    handler,
    async close() {
      await handler.close();
      await server.close();
      await backend.close();
    },
  };
}

async function increment(url: string, session: string, id: number): Promise<Response> {
  return await rawPost(url, session, {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "increment", arguments: {} },
  }, { headers: bearer });
}

async function counted(response: Response): Promise<string> {
  assert.equal(response.status, 200);
  return (await readAnswer(response)).message.result.content[0].text;
}

describeRedis("Redis faults", () => {
  it("Redis unreachable at startup: createRedisBackend fails with a clear error", async () => {
    const port = await freeRigPort();
    await assert.rejects(
      createRedisBackend({ url: `redis://user:secret@127.0.0.1:${port}` }, {
        connectTimeoutMs: 300,
      }),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`cannot reach Redis at redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
        );
        assert.doesNotMatch(error.message, /secret/, "the password is not printed");
        return true;
      },
    );
  });

  it("a connect timeout that is not a usable timer delay is refused before connecting", async () => {
    const port = await freeRigPort();
    for (const connectTimeoutMs of [Number.NaN, 0, 0.5, -5, Infinity, 2 ** 31]) {
      await assert.rejects(
        createRedisBackend({ url: `redis://127.0.0.1:${port}` }, { connectTimeoutMs }),
        /connectTimeoutMs must be a number from 1 to 2147483647/,
        `connectTimeoutMs ${connectTimeoutMs}`,
      );
    }
  });

  it("a command timeout that is not a usable timer delay is refused before connecting", async () => {
    const port = await freeRigPort();
    for (const commandTimeoutMs of [Number.NaN, 0, 0.5, -5, Infinity, 2 ** 31]) {
      await assert.rejects(
        createRedisBackend({ url: `redis://127.0.0.1:${port}` }, { commandTimeoutMs }),
        /commandTimeoutMs must be a number from 1 to 2147483647/,
        `commandTimeoutMs ${commandTimeoutMs}`,
      );
    }
  });

  it("blocking reads longer than commandTimeoutMs are not cut short; a paused Redis is reported", async () => {
    const redis = await startRedis();
    const errors: unknown[] = [];
    // A deadline short against the block times, yet long enough that a loaded machine does not
    // miss it for an ordinary command (100 ms did, once, with the load average at 12).
    const options = { prefix: "deadline:", commandTimeoutMs: 400, bus: { blockMs: 1_000 } };
    const backend = await createRedisBackend({ url: redis.url }, {
      ...options,
      onError: (error) => errors.push(error),
    });
    const other = await createRedisBackend({ url: redis.url }, { ...options, onError: () => {} });
    try {
      const heard: unknown[] = [];
      const stop = await backend.bus.subscribe((message) => heard.push(message));
      // An event-log tail blocks too (XREAD BLOCK, on a connection of its own).
      await backend.eventLog.open("s", "t");
      const tail = await backend.eventLog.waitAfter!("s", "t:0", { timeoutMs: 1_500 });
      assert.deepEqual(tail?.events, [], "the tail waited its 1.5 s and found nothing");
      await sleep(1_000); // the bus reader blocks as well
      assert.deepEqual(errors, [], "no blocking read failed on the 400 ms deadline");
      await (backend.bus as RedisBus).hold("probe", 60_000); // the session's messages go to the instances using it
      await other.bus.publish({ type: "session-ended", sessionId: "probe" });
      await until(() => heard.length === 1, "the bus reader to hear the other instance");
      stop();
      // Positive control: the same reads, Redis paused: the deadline (plus the block time) fires.
      // Longer than a block plus the deadline (1.4 s), so that a read sent in the pause fails.
      await redis.client.sendCommand(["CLIENT", "PAUSE", "2500", "ALL"]);
      await until(() => errors.length > 0, "the paused Redis to be reported", 7_000);
    } finally {
      await backend.close();
      await other.close();
      await redis.stop();
    }
  });

  it("a Redis restart: 503 + Retry-After while it is down, then the sessions and the bus work again", async () => {
    const port = await freeRigPort();
    const dir = mkdtempSync(join(tmpdir(), "tether-redis-"));
    let server = await startServer(port, dir);
    const url = `redis://127.0.0.1:${port}`;
    const errors: unknown[] = [];
    const held = { started: deferred<void>(), ends: [] as unknown[] };
    const a = await instance(url, held, errors);
    const b = await instance(url, held, errors);
    try {
      const session = await rawInitialize(a.url, { headers: bearer });
      assert.equal(await counted(await increment(b.url, session, 1)), "1");

      await killed(server);
      for (const target of [a, b]) {
        const refused = await increment(target.url, session, 2);
        assert.equal(refused.status, 503);
        assert.equal(refused.headers.get("retry-after"), "1");
        const body = await refused.json();
        assert.equal(body.jsonrpc, "2.0");
        assert.equal(body.error.message, "Service Unavailable: session storage is unreachable");
      }

      server = await startServer(port, dir);
      // Clients reconnect on their own within about a second; retry as a client would.
      let value: string | undefined;
      await until(
        async () => {
          const response = await increment(a.url, session, 3);
          if (response.status !== 200) {
            await response.body?.cancel();
            return false;
          }
          value = await counted(response);
          return true;
        },
        "a request succeeds after the restart",
        10_000,
      );
      assert.equal(value, "2", "the session and its state survived the restart");

      // The bus readers reconnected too: a cancellation posted to B reaches the tool on A.
      const call = await rawPost(a.url, session, {
        jsonrpc: "2.0",
        id: 4,
        method: "tools/call",
        params: { name: "hold", arguments: {} },
      }, { headers: bearer });
      await held.started.promise;
      await until(
        async () => {
          const cancel = await rawPost(b.url, session, {
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId: 4 },
          }, { headers: bearer });
          await cancel.body?.cancel();
          return held.ends.length === 1;
        },
        "the tool on A was cancelled from B",
        10_000,
      );
      assert.deepEqual(held.ends, ["cancelled"]);
      await call.body?.cancel();
      assert.ok(errors.length > 0, "the outage was reported to onError");
    } finally {
      await a.close();
      await b.close();
      await killed(server);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a Redis restart: a client following A's stream from B keeps its connection and gets what A writes after", async () => {
    const port = await freeRigPort();
    const dir = mkdtempSync(join(tmpdir(), "tether-redis-"));
    let server = await startServer(port, dir);
    const url = `redis://127.0.0.1:${port}`;
    const errors: unknown[] = [];
    const held: Held = { started: deferred<void>(), ends: [], gate: deferred<void>() };
    const a = await instance(url, held, errors);
    const b = await instance(url, held, errors);
    try {
      const session = await rawInitialize(a.url, { headers: bearer });
      const call = await rawPost(a.url, session, {
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: { name: "steps", arguments: {}, _meta: { progressToken: "s" } },
      }, { headers: bearer });
      const first = new SseReader(call.body);
      let lastId: string | undefined;
      while (lastId === undefined) {
        const event = await first.next();
        assert.ok(event !== undefined);
        if (event.data !== "") lastId = event.id;
      }
      await first.cancel();
      const resumed = await rawGet(b.url, session, { headers: bearer, lastEventId: lastId });
      assert.equal(resumed.status, 200);
      const follower = new SseReader(resumed.body);

      await killed(server);
      await sleep(300); // B's follower notices the outage
      server = await startServer(port, dir);
      await until(
        async () => {
          const response = await increment(a.url, session, 6);
          await response.body?.cancel();
          return response.status === 200;
        },
        "A reaches Redis again",
        10_000,
      );
      held.gate!.resolve(); // A writes the rest now

      const rest = await follower.rest(10_000);
      const messages = rest.filter((e) => e.data !== "").map((e) => JSON.parse(e.data));
      assert.deepEqual(messages.map((m) => m.params?.progress ?? m.result?.content[0].text), [
        2,
        "stepped",
      ], "the follower went on after the restart");
      assert.ok(errors.length > 0, "the outage was reported to onError");
    } finally {
      await a.close();
      await b.close();
      await killed(server);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
