/**
 * tether for the scale-out bench (bench/redis_scale.ts): the echo tool, a
 * 10-progress tool (`progress10`, its events in one burst; `progress10spread`, one every 20 ms
 * as a real tool's ticks come), `tick` (101 progress events of 1 KB, then waits to be
 * cancelled), `hold` (waits to be cancelled) and `ask` (one elicitation).
 * With `--redis URL` (and `--prefix P`) sessions, streams and the bus live
 * in Redis through `createRedisBackend`; with `--cluster host:port,...` on a
 * Redis Cluster (those root nodes); with `--postgres URL` (and `--prefix P`, the
 * namespace; `--prepared false` for unnamed statements) on Postgres through
 * `createPostgresBackend` (bench/postgres_scale.ts; the schema migrated first); without any, in
 * memory.
 */

import { createMcpHandler, defineTool, type McpHandlerOptions } from "../../mod.ts";
import { createPostgresBackend } from "../../src/postgres/mod.ts";
import { createRedisBackend } from "../../src/redis/mod.ts";
import { echoTool } from "../lib/echo_tool.ts";
import { serverArgs, startBenchServer } from "./common.ts";

const args = serverArgs();
let shared: Partial<McpHandlerOptions> = {};
if (args.redis !== undefined || args.cluster !== undefined) {
  const source = args.cluster === undefined
    ? { url: args.redis }
    : { cluster: { rootNodes: args.cluster.split(",").map((node) => `redis://${node}`) } };
  const backend = await createRedisBackend(source, { prefix: args.prefix });
  shared = {
    sessions: { store: backend.sessionStore, maxSessions: 1_000_000 },
    streams: {
      eventLog: backend.eventLog,
    },
    bus: backend.bus,
  };
} else if (args.postgres !== undefined) {
  // Its defaults (a pool of 3, one listening connection, named statements: a direct
  // connection); `--prepared false` for unnamed ones, as behind a pooler.
  const backend = await createPostgresBackend({ url: args.postgres }, {
    namespace: args.prefix,
    preparedStatements: args.prepared === undefined ? undefined : args.prepared === "true",
  });
  shared = {
    sessions: { store: backend.sessionStore, maxSessions: 1_000_000 },
    streams: { eventLog: backend.eventLog },
    bus: backend.bus,
  };
}

const KILOBYTE = "x".repeat(1_024);

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
}

const handler = createMcpHandler({
  name: "bench-tether-redis",
  version: "1.0.0",
  sessions: { maxSessions: 1_000_000 },
  ...shared,
  tools: [
    echoTool,
    defineTool({
      name: "progress10",
      description: "Emits 10 progress notifications, then answers",
      handler: async (_input, ctx) => {
        for (let i = 1; i <= 10; i++) await ctx.progress(i, 10);
        return "done";
      },
    }),
    defineTool({
      name: "progress10spread",
      description: "Emits 10 progress notifications 20 ms apart, then answers",
      handler: async (_input, ctx) => {
        for (let i = 1; i <= 10; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          await ctx.progress(i, 10);
        }
        return "done";
      },
    }),
    defineTool({
      name: "tick",
      description:
        "Emits 101 progress notifications with a 1 KB message each, then waits to be cancelled",
      handler: async (_input, ctx) => {
        for (let i = 1; i <= 101; i++) await ctx.progress(i, undefined, KILOBYTE);
        await aborted(ctx.signal);
        return "cancelled";
      },
    }),
    defineTool({
      name: "hold",
      description: "Waits to be cancelled",
      handler: async (_input, ctx) => {
        await aborted(ctx.signal);
        return "cancelled";
      },
    }),
    defineTool({
      name: "ask",
      description: "Asks one question",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({
          message: "Go on?",
          requestedSchema: { type: "object", properties: {} },
        });
        return answer.action;
      },
    }),
  ],
});

await startBenchServer({ fetch: handler, sessions: async () => (await handler.stats()).sessions });
