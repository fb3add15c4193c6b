/**
 * A real Redis fails just as a sessionful call opens its stream (auto mode's
 * slow switch, an early notification, `sse` mode): killed, full
 * (`maxmemory 1` under `noeviction`: writes get `OOM`), or paused
 * (`CLIENT PAUSE … ALL`: the connection stays, no answer comes). Each time
 * the POST answers `503` + `Retry-After` (the paused one within about
 * `commandTimeoutMs`, not when Redis wakes), the tool's signal aborts, no
 * rejection is left unhandled (it would end the process), and once Redis is
 * back the same handler serves a fresh session and its bus reader hears
 * another instance again.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, it } from "node:test";
import { createClient } from "redis";
import {
  createMcpHandler,
  defineTool,
  type HandlerContext,
  type McpHandler,
  type ResponseMode,
} from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { abortReason, initialize, postRequest, rpc, sleep, until, within } from "../../helpers.ts";
import {
  type RejectionTrap,
  settleRejections,
  trapUnhandledRejections,
} from "../../faulty_storage.ts";
import { describeRedis, type RestartableRedis, startRestartableRedis } from "./redis_server.ts";

const COMMAND_TIMEOUT_MS = 500;
/** Just past the deadline (three times it, for a loaded machine): the deadline answers, not Redis waking. */
const PAUSE_MS = 3 * COMMAND_TIMEOUT_MS;

/** A fault: `cause` breaks Redis, `cure` (if any) ends it; after both, Redis serves again. */
interface Fault {
  name: string;
  cause(redis: RestartableRedis, control: Control): Promise<void>;
  cure(redis: RestartableRedis, control: Control): Promise<void>;
  /** How long the POST may take to answer. */
  boundMs: number;
}

type Control = { sendCommand(args: string[]): Promise<unknown> };

const FAULTS: Fault[] = [
  {
    name: "Redis killed",
    cause: (redis) => redis.kill(),
    cure: (redis) => redis.restart(),
    boundMs: 5_000,
  },
  {
    name: "Redis full (maxmemory 1, noeviction)",
    cause: async (_redis, control) => {
      await control.sendCommand(["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
      await control.sendCommand(["CONFIG", "SET", "maxmemory", "1"]);
    },
    cure: async (_redis, control) => {
      await control.sendCommand(["CONFIG", "SET", "maxmemory", "0"]);
    },
    boundMs: 5_000,
  },
  {
    name: `Redis paused (CLIENT PAUSE ${PAUSE_MS} ALL)`,
    cause: async (_redis, control) => {
      await control.sendCommand(["CLIENT", "PAUSE", String(PAUSE_MS), "ALL"]);
    },
    // The pause ends by itself (CLIENT UNPAUSE would wait for it too).
    cure: () => Promise.resolve(),
    // The command deadline answers, not Redis waking up: a woken Redis would open the stream
    // (200) and the tool would wait on its signal, unanswered past this bound.
    boundMs: COMMAND_TIMEOUT_MS + 3_000,
  },
];

interface Moment {
  name: string;
  mode: ResponseMode;
  /** What the tool does once the fault is in place; then it waits for its signal. */
  then(ctx: HandlerContext): Promise<unknown>;
}

const MOMENTS: Moment[] = [
  { name: "auto mode's slow switch", mode: "auto", then: () => Promise.resolve() },
  { name: "an early notification", mode: "auto", then: (ctx) => ctx.progress(1, 2) },
  { name: "sse mode", mode: "sse", then: () => Promise.resolve() },
];

interface Setup {
  handler: McpHandler;
  backend: RedisBackend;
  signals: AbortSignal[];
  close(): Promise<void>;
}

async function setup(
  redis: RestartableRedis,
  moment: Moment,
  breakRedis: () => Promise<void>,
): Promise<Setup> {
  const backend = await createRedisBackend({ url: redis.url }, {
    prefix: "open-faults:",
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    onError: () => {},
    bus: { blockMs: 200 },
  });
  const signals: AbortSignal[] = [];
  // Streams open once the fault is in place. In `sse` mode the handler opens the stream a task
  // after the call starts; on a loaded machine that task could run between the fault's commands
  // (two round trips for "full"), so the stream opened and the call waited unanswered.
  let faultIn: Promise<void> = Promise.resolve();
  const eventLog = new Proxy(backend.eventLog, {
    get(target, property) {
      if (property === "open") {
        return async (...args: Parameters<typeof target.open>) => {
          await faultIn;
          return await target.open(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const handler = createMcpHandler({
    name: "open-faults",
    version: "1.0.0",
    observe: {
      onError: () => {},
    },
    streams: {
      heartbeatMs: 0,
      responseMode: moment.mode,
      eventLog,
    },
    limits: {
      maxConcurrentRequests: 8,
    },
    sessions: { store: backend.sessionStore },
    bus: backend.bus,
    tools: [
      defineTool({
        name: "break-then-wait",
        handler: async (_input, ctx) => {
          signals.push(ctx.signal);
          faultIn = breakRedis();
          await faultIn;
          await moment.then(ctx);
          if (!ctx.signal.aborted) {
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          }
          return "stopped";
        },
      }),
      defineTool({ name: "quick", handler: () => "ok" }),
    ],
  });
  return {
    handler,
    backend,
    signals,
    async close() {
      await handler.close();
      await backend.close();
    },
  };
}

/** A fresh session on the same handler answers a call, once Redis is back (retried, 10 s). */
async function servesAgain(handler: McpHandler): Promise<void> {
  await until(
    async () => {
      try {
        const session = await initialize(handler);
        const outcome = await rpc(handler, session, "tools/call", { name: "quick" });
        return outcome.status === 200 && outcome.message.result?.content[0].text === "ok";
      } catch {
        return false; // initialize asserts 200: Redis is not back yet
      }
    },
    "a fresh session to work after Redis is back",
    10_000,
  );
}

/** The backend's bus reader is back: a message another instance publishes arrives (retried, 10 s). */
async function hearsOthersAgain(redis: RestartableRedis, backend: RedisBackend): Promise<void> {
  const heard = new Set<string>();
  const stop = await backend.bus.subscribe((message) => {
    if (message.type === "resource-updated") heard.add(message.uri);
  });
  const other = await createRedisBackend({ url: redis.url }, {
    prefix: "open-faults:",
    onError: () => {},
  });
  try {
    let probe = 0;
    await until(
      async () => {
        // A message for every live instance (a session's goes only to the instances using it).
        const uri = `test://probe-${++probe}`;
        await other.bus.publish({ type: "resource-updated", uri }).catch(() => {});
        await sleep(50);
        return heard.size > 0;
      },
      "the bus reader to hear another instance",
      10_000,
    );
  } finally {
    stop();
    await other.close();
  }
}

describeRedis("Redis fails as a sessionful call opens its stream", () => {
  let trap: RejectionTrap;
  beforeEach(() => (trap = trapUnhandledRejections()));
  afterEach(() => trap.stop());

  for (const fault of FAULTS) {
    for (const moment of MOMENTS) {
      it(`${fault.name}, at ${moment.name}: 503 + Retry-After, work aborted, served again after`, async () => {
        const redis = await startRestartableRedis();
        const control = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
        control.on("error", () => {});
        await control.connect();
        const controlCommands: Control = control;
        const { handler, backend, signals, close } = await setup(
          redis,
          moment,
          () => fault.cause(redis, controlCommands),
        );
        try {
          const session = await initialize(handler);
          const answer = handler(postRequest({
            jsonrpc: "2.0",
            id: 1,
            method: "tools/call",
            params: { name: "break-then-wait", _meta: { progressToken: "p" } },
          }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
          const response = await within(answer, fault.boundMs, "the POST to answer");
          const text = await response.text();
          assert.equal(response.status, 503, text);
          assert.equal(response.headers.get("retry-after"), "1");
          const body = JSON.parse(text);
          assert.equal(body.jsonrpc, "2.0");
          assert.equal(body.id, 1);
          assert.equal(typeof body.error.code, "number");
          assert.equal(signals.length, 1);
          assert.equal(await abortReason(signals[0]), "storage-unavailable");
          await fault.cure(redis, controlCommands);
          await servesAgain(handler);
          await hearsOthersAgain(redis, backend);
          // stats() counts the sessions in Redis: read once it is back.
          const stats = await handler.stats();
          assert.equal(stats.inFlight, 0, "no work left");
          assert.equal(stats.openStreams, 0, "no stream left");
          assert.equal(stats.concurrentRequests, 0, "no concurrency place left");
          await settleRejections();
          assert.deepEqual(trap.reasons, [], "no unhandled rejection");
        } finally {
          await close();
          try {
            control.destroy();
          } catch { /* the server was killed */ }
          await redis.stop();
        }
      });
    }
  }
});
