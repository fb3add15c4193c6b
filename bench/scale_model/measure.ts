/**
 * Measures what the scale model takes as given (costs.ts) with tether's own Redis classes against
 * local redis-servers: per call type, the commands and scripts `INFO commandstats` counts, the
 * CPU `INFO cpu` adds and the bytes `INFO stats` moves; Redis memory per idle session; connections
 * per instance; a rate-limit take. The budget books go to a second redis-server, as a Cluster puts
 * them on slots of their own, so their CPU is read apart (booked in batches per instance, as by
 * default: the spread phase's 8 calls at a time are about one instance's share of the target). A
 * few thousand calls, well under a minute; CPU figures move by tens of percent on this shared
 * machine, counts are exact.
 * @module
 */

import { createClient } from "redis";
import { createMcpHandler, defineTool, type McpHandler } from "../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../src/redis/redis_backend.ts";
import type { DuplicableRedisClient } from "../../src/redis/connection/redis_sources.ts";
import { firstKeyOf } from "../../src/redis/connection/redis_sources.ts";
import type { RedisCommands } from "../../src/redis/connection/redis_commands.ts";
import { redisNodeArgs, type RigNode, spawnRedisNode } from "../../scripts/redis_topologies.ts";
import { echoTool } from "../lib/echo_tool.ts";
import type { Costs, OperationCost, StreamedCost } from "./costs.ts";
import { BOOKED_MS, PARALLEL, PHASE_CALLS } from "./plan.ts";

const PROTOCOL = "2025-11-25";
const PREFIX = "sm:";

/** A node and a client of the measurement's own (never counted: its INFO reads are subtracted). */
interface Node {
  node: RigNode;
  client: RedisCommands & { destroy(): void };
}

async function startNode(): Promise<Node> {
  const node = await spawnRedisNode((port) => redisNodeArgs(port));
  const client = createClient({ url: `redis://127.0.0.1:${node.port}` });
  client.on("error", () => {});
  await client.connect();
  return { node, client: client as unknown as Node["client"] };
}

/** The prefix of the backend whose budget is full (every batch evicts). */
const EVICTING_PREFIX = "se:";

/** A budget book's command (its keys are `<prefix>eg:{k}:…`, either backend's prefix). */
function isBook(args: readonly string[]): boolean {
  const key = firstKeyOf(args);
  return key !== undefined &&
    [PREFIX, EVICTING_PREFIX].some((prefix) => key.startsWith(`${prefix}eg:{`));
}

/**
 * One source for the backend over two nodes, routed by the first key as a Cluster routes by slot:
 * the budget books to `books`, everything else to `main`.
 */
function routed(main: string, books: string): {
  source: DuplicableRedisClient;
  connect(): Promise<unknown>;
  destroy(): void;
} {
  const pair = () => {
    const a = createClient({ url: main });
    const b = createClient({ url: books });
    return {
      connect: () => Promise.all([a.connect(), b.connect()]),
      destroy: () => {
        a.destroy();
        b.destroy();
      },
      on: (event: "error", listener: (error: unknown) => void) => {
        a.on(event, listener);
        b.on(event, listener);
      },
      sendCommand: (args: string[]) => (isBook(args) ? b : a).sendCommand(args),
    };
  };
  const shared = pair();
  shared.on("error", () => {});
  return {
    source: { sendCommand: shared.sendCommand, duplicate: pair },
    connect: shared.connect,
    destroy: shared.destroy,
  };
}

/** The fields of an INFO section, as numbers where they are. */
async function info(node: Node, section: string): Promise<Map<string, string>> {
  const text = String(await node.client.sendCommand(["INFO", section]));
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1));
  }
  return fields;
}

/** What a node did over a phase: commands, scripts, CPU µs, bytes. */
interface Reading {
  commands: number;
  scripts: number;
  micros: number;
  bytes: number;
}

async function read(node: Node): Promise<Reading> {
  const stats = await info(node, "commandstats");
  let commands = 0;
  let scripts = 0;
  for (const [name, value] of stats) {
    const calls = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    if (name === "cmdstat_info" || name === "cmdstat_config") continue; // the measurement's own
    commands += calls;
    if (name === "cmdstat_evalsha" || name === "cmdstat_eval") {
      // A NOSCRIPT reply counts as a call that failed: not a script run.
      scripts += calls - Number(/failed_calls=(\d+)/.exec(value)?.[1] ?? 0);
    }
  }
  const cpu = await info(node, "cpu");
  const net = await info(node, "stats");
  return {
    commands,
    scripts,
    micros: (Number(cpu.get("used_cpu_user")) + Number(cpu.get("used_cpu_sys"))) * 1e6,
    bytes: Number(net.get("total_net_input_bytes")) + Number(net.get("total_net_output_bytes")),
  };
}

const minus = (a: Reading, b: Reading): Reading => ({
  commands: a.commands - b.commands,
  scripts: a.scripts - b.scripts,
  micros: a.micros - b.micros,
  bytes: a.bytes - b.bytes,
});

/** Sends one JSON-RPC message; the answer's text and session id. */
async function post(
  handler: McpHandler,
  body: unknown,
  session?: string,
): Promise<{ text: string; session: string | null; status: number }> {
  const response = await handler(
    new Request("http://127.0.0.1/mcp", {
      method: "POST",
      headers: {
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
        "mcp-protocol-version": PROTOCOL,
        ...(session === undefined ? {} : { "mcp-session-id": session }),
      },
      body: JSON.stringify(body),
    }),
  );
  const text = await response.text();
  return { text, session: response.headers.get("mcp-session-id"), status: response.status };
}

async function createSession(handler: McpHandler): Promise<string> {
  const opened = await post(handler, {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: PROTOCOL,
      capabilities: {},
      clientInfo: { name: "m", version: "1" },
    },
  });
  if (opened.session === null) throw new Error(`initialize answered ${opened.status}`);
  await post(handler, { jsonrpc: "2.0", method: "notifications/initialized" }, opened.session);
  return opened.session;
}

let nextId = 1;
async function call(handler: McpHandler, session: string, tool: string): Promise<void> {
  const id = nextId++;
  const answer = await post(handler, {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: tool, arguments: { text: "hi" }, _meta: { progressToken: `p${id}` } },
  }, session);
  if (answer.status !== 200 || !answer.text.includes('"result"')) {
    throw new Error(`${tool} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  }
}

/**
 * Runs `count` operations, `parallel` at a time, and reads both nodes around them, `settleMs`
 * after the last (so the budget's timer has booked what the phase's writes left unbooked).
 */
async function phase(
  nodes: [Node, Node],
  count: number,
  parallel: number,
  operation: (i: number) => Promise<void>,
  settleMs = 0,
): Promise<{ main: Reading; books: Reading }> {
  const before = await Promise.all(nodes.map(read));
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await operation(next++);
    }),
  );
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  const after = await Promise.all(nodes.map(read));
  return { main: minus(after[0], before[0]), books: minus(after[1], before[1]) };
}

function perOperation(r: { main: Reading; books: Reading }, count: number): OperationCost {
  return {
    commands: (r.main.commands + r.books.commands) / count,
    scripts: (r.main.scripts + r.books.scripts) / count,
    redisMicros: (r.main.micros + r.books.micros) / count,
    bytes: (r.main.bytes + r.books.bytes) / count,
  };
}

function streamed(r: { main: Reading; books: Reading }, count: number): StreamedCost {
  return {
    ...perOperation(r, count),
    books: r.books.scripts / count,
    bookMicros: r.books.micros / count,
  };
}

/** A backend on `source` under `prefix` (16 books, as on a Cluster) and a handler with the tools. */
async function serve(
  source: DuplicableRedisClient,
  prefix: string,
  eventLog: { maxTotalBytes?: number; budgetBatchBytes?: number },
): Promise<{ backend: RedisBackend; handler: McpHandler }> {
  const backend = await createRedisBackend({ client: source }, {
    prefix,
    eventLog: { ...eventLog, budgetBooks: 16, singleNode: false },
    onError: () => {},
  });
  const handler = createMcpHandler({
    name: "scale-model",
    version: "1.0.0",
    sessions: { store: backend.sessionStore, maxSessions: 1_000_000 },
    streams: { eventLog: backend.eventLog },
    bus: backend.bus,
    tools: [
      echoTool,
      defineTool({
        name: "burst",
        handler: async (_input, ctx) => {
          for (let i = 1; i <= 10; i++) await ctx.progress(i, 10);
          return "done";
        },
      }),
      defineTool({
        name: "spread",
        handler: async (_input, ctx) => {
          for (let i = 1; i <= 10; i++) {
            await ctx.progress(i, 10);
            await new Promise((resolve) => setTimeout(resolve, 20)); // one event per 20 ms tick
          }
          return "done";
        },
      }),
    ],
  });
  return { backend, handler };
}

/** Measures the costs (`calls` operations per phase) and returns them with the given figures. */
export async function measureCosts(calls = PHASE_CALLS): Promise<Omit<Costs, "given">> {
  const main = await startNode();
  const books = await startNode();
  const nodes: [Node, Node] = [main, books];
  const shared = routed(
    `redis://127.0.0.1:${main.node.port}`,
    `redis://127.0.0.1:${books.node.port}`,
  );
  await shared.connect();
  const clientsBefore = Number((await info(main, "clients")).get("connected_clients"));
  // As on a Cluster: 16 books on the books' node, booked in batches (the defaults).
  const { backend, handler } = await serve(shared.source, PREFIX, {});
  // A budget that is full: 256 KiB in 16 books, batches of 64 KiB as the default budget's.
  const full = await serve(shared.source, EVICTING_PREFIX, {
    maxTotalBytes: 256 * 1024,
    budgetBatchBytes: 64 * 1024,
  });
  try {
    const sessions: string[] = [];
    const memoryBefore = Number((await info(main, "memory")).get("used_memory"));
    const created = await phase(nodes, calls, PARALLEL, async () => {
      sessions.push(await createSession(handler));
    });
    const memoryAfter = Number((await info(main, "memory")).get("used_memory"));
    // Warm: every script loaded, every path compiled.
    for (const tool of ["echo", "burst", "spread"]) await call(handler, sessions[0], tool);
    const json = await phase(nodes, calls, PARALLEL, (i) => call(handler, sessions[i], "echo"));
    // The budget's batch wait is 1 s: each streamed phase is read 1.2 s after its last call.
    const booked = BOOKED_MS;
    const burst = await phase(
      nodes,
      calls / 4,
      PARALLEL,
      (i) => call(handler, sessions[i], "burst"),
      booked,
    );
    const spread = await phase(
      nodes,
      calls / 4,
      PARALLEL,
      (i) => call(handler, sessions[i], "spread"),
      booked,
    );
    // The same calls once the budget is full: each batch also evicts what it booked.
    const evictingSessions: string[] = [];
    for (let i = 0; i < calls / 4; i++) evictingSessions.push(await createSession(full.handler));
    let filled = 0;
    while (filled < 256) await call(full.handler, evictingSessions[filled++ % 8], "burst");
    await new Promise((resolve) => setTimeout(resolve, booked));
    const evicting = await phase(
      nodes,
      calls / 4,
      PARALLEL,
      (i) => call(full.handler, evictingSessions[i], "spread"),
      booked,
    );
    const quota = { limit: 1_000_000, windowSeconds: 60 };
    const rate = await phase(nodes, calls, PARALLEL, async (i) => {
      await backend.rateLimitStore.take(`principal-${i % 8}`, quota, Date.now());
    });
    // The shared client (open before) and what each of the two backends opened: the bus reader,
    // and reads only while a stream is followed (none here).
    const connectionsPerInstance = 1 +
      (Number((await info(main, "clients")).get("connected_clients")) - clientsBefore) / 2;
    const load = (await import("node:os")).loadavg()[0].toFixed(1);
    return {
      measured: `bench/scale_model.ts --measure, ${
        new Date().toISOString().slice(0, 10)
      }, redis-server ${
        (await info(main, "server")).get("redis_version")
      } on loopback, ${calls} calls a phase, 8 at a time, load average ${load} on 2 cores`,
      jsonCall: perOperation(json, calls),
      sessionCreate: perOperation(created, calls),
      progressBurst: streamed(burst, calls / 4),
      progressSpread: streamed(spread, calls / 4),
      progressSpreadEvicting: streamed(evicting, calls / 4),
      rateTake: perOperation(rate, calls),
      bytesPerSession: (memoryAfter - memoryBefore) / calls,
      connectionsPerInstance,
    };
  } finally {
    await handler.close();
    await backend.close();
    await full.handler.close();
    await full.backend.close();
    shared.destroy();
    for (const node of nodes) {
      node.client.destroy();
      await node.node.kill();
    }
  }
}
