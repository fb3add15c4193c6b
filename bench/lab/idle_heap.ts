/**
 * Where an idle stream's heap goes (issue 46, item 5): in process on Node, no sockets, ticker
 * calls held open after their first event (16 per session), a heap snapshot after `--from` and
 * after `--to` streams (forced GC before each), and the growth between them counted per stream by
 * V8 node type and constructor or function name, largest first. `--server bare` holds the same
 * stream as a bare `ReadableStream` answer, for the comparison. Needs `--expose-gc`:
 *
 *   node --expose-gc bench/lab/idle_heap.ts [--server tether|bare] [--from 100] [--to 1000] [--top 40]
 *     [--wait seconds] (held and read that long before the second census: their events logged)
 *     [--depth 1] (unnamed kinds are listed under that many holders)
 *
 * @module
 */

import { getHeapSnapshot } from "node:v8";
import { createMcpHandler } from "../../mod.ts";
import {
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  MCP_PATH,
  POST_HEADERS,
  tickerCallBody,
} from "../lib/protocol.ts";
import { tickerTool } from "../lib/stream_tools.ts";
import { createTicker } from "../lib/ticker_sse.ts";

type Handler = (request: Request) => Promise<Response>;

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

const BASE = "http://127.0.0.1:8787";
const HOLD_SECONDS = 3600;

function tetherHandler(): Handler & { close(): Promise<void> } {
  return createMcpHandler({
    name: "bench-tether",
    version: "1.0.0",
    tools: [
      tickerTool,
    ],
  });
}

const bareTicker = createTicker();

/** The bare server's ticker answer (bench/lib/ticker_sse.ts, as bench/servers/ceiling.ts serves it), in process. */
const bareHandler: Handler = async (request) => {
  const call = await request.json() as {
    id: number;
    params: { arguments: { seconds: number }; _meta: { progressToken: string } };
  };
  return bareTicker(call.id, call.params._meta.progressToken, call.params.arguments.seconds);
};

async function session(handler: Handler, n: number): Promise<string | undefined> {
  const init = await handler(
    new Request(BASE + MCP_PATH, {
      method: "POST",
      headers: INIT_HEADERS,
      body: initializeBody(`s${n}`),
    }),
  );
  await init.text();
  const id = init.headers.get("mcp-session-id") ?? undefined;
  const headers: Record<string, string> = { ...POST_HEADERS };
  if (id !== undefined) headers["mcp-session-id"] = id;
  await (await handler(
    new Request(BASE + MCP_PATH, { method: "POST", headers, body: INITIALIZED_BODY }),
  ))
    .text();
  return id;
}

/** Opens one ticker call and reads until its first event; the reader is kept so the stream stays held. */
async function hold(handler: Handler, id: number, sessionId: string | undefined) {
  const headers: Record<string, string> = { ...POST_HEADERS };
  if (sessionId !== undefined) headers["mcp-session-id"] = sessionId;
  const response = await handler(
    new Request(BASE + MCP_PATH, {
      method: "POST",
      headers,
      body: tickerCallBody(id, HOLD_SECONDS),
    }),
  );
  const reader = response.body!.getReader();
  const first = await reader.read();
  if (first.done) throw new Error(`stream ${id} ended at once (status ${response.status})`);
  return reader;
}

/** Per node kind ("type:name"): count and self bytes. */
type Census = Map<string, { count: number; bytes: number }>;

/** heapUsed after forced GC. */
async function heapUsed(): Promise<number> {
  const bun = (globalThis as { Bun?: { gc(full: boolean): void } }).Bun;
  const gc = bun ? () => bun.gc(true) : (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage().heapUsed;
}

async function census(): Promise<Census> {
  if ("Bun" in globalThis) return await bunCensus();
  let text = "";
  for await (const chunk of getHeapSnapshot()) text += chunk;
  const snapshot = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const edgesAt = fields.indexOf("edge_count");
  const edgeWidth = snapshot.snapshot.meta.edge_fields.length;
  const toAt = snapshot.snapshot.meta.edge_fields.indexOf("to_node");
  const types = snapshot.snapshot.meta.node_types[0];
  const keyOf = (i: number) => {
    const type = types[snapshot.nodes[i + typeAt]];
    const named = type === "object" || type === "closure" || type === "native" || type === "hidden";
    return named ? `${type}:${snapshot.strings[snapshot.nodes[i + nameAt]]}` : type;
  };
  // Unnamed kinds (arrays, strings, contexts, code) are counted under the first object that holds them.
  const owner = new Map<number, number>();
  for (let i = 0, edge = 0; i < snapshot.nodes.length; i += width) {
    const count = snapshot.nodes[i + edgesAt];
    for (let e = 0; e < count; e++, edge += edgeWidth) {
      const to = snapshot.edges[edge + toAt];
      if (!owner.has(to)) owner.set(to, i);
    }
  }
  const out: Census = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    let key = keyOf(i);
    if (
      !key.includes(":") ||
      /^(object:system|object:Object$|closure:$|object:Promise$|object:Array$)/.test(key)
    ) {
      let holder = owner.get(i);
      for (let depth = 0; depth < Number(argument("depth", "1")) && holder !== undefined; depth++) {
        key += ` <- ${keyOf(holder)}`;
        holder = owner.get(holder);
      }
    }
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeAt];
    out.set(key, entry);
  }
  return out;
}

/** Bun (JavaScriptCore): object counts by type, no sizes (`bun:jsc` heapStats). */
async function bunCensus(): Promise<Census> {
  const jsc = await import("bun:jsc" as string) as {
    heapStats(): { objectTypeCounts: Record<string, number>; extraMemorySize: number };
  };
  const stats = jsc.heapStats();
  const out: Census = new Map();
  for (const [key, count] of Object.entries(stats.objectTypeCounts)) {
    out.set(key, { count, bytes: count });
  }
  out.set("extraMemorySize (bytes)", { count: 0, bytes: stats.extraMemorySize });
  return out;
}

async function main(): Promise<void> {
  const server = argument("server", "tether");
  const from = Number(argument("from", "100"));
  const to = Number(argument("to", "1000"));
  const top = Number(argument("top", "40"));
  const handler = server === "bare" ? bareHandler : tetherHandler();
  const sessions: (string | undefined)[] = [];
  if (server !== "bare") {
    for (let i = 0; i < Math.ceil(to / 16); i++) sessions.push(await session(handler, i));
  }
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const openUpTo = async (n: number) => {
    while (readers.length < n) {
      const batch: Promise<ReadableStreamDefaultReader<Uint8Array>>[] = [];
      for (let i = readers.length; i < n && batch.length < 50; i++) {
        batch.push(hold(handler, i + 1, sessions[Math.floor(i / 16)]));
      }
      readers.push(...await Promise.all(batch));
    }
  };
  await openUpTo(from);
  const heapFirst = await heapUsed();
  const first = await census();
  await openUpTo(to);
  const wait = Number(argument("wait", "0"));
  if (wait > 0) {
    // Held and read for `wait` seconds: the tool ticks, its events go to the log and are read.
    const drains = readers.map(async (reader) => {
      while (!(await reader.read()).done);
    });
    void Promise.allSettled(drains);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
  const heapSecond = await heapUsed();
  const second = await census();
  const n = to - from;
  const rows = [...second].map(([key, b]) => {
    const a = first.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: (b.count - a.count) / n, bytes: (b.bytes - a.bytes) / n };
  }).sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(
    `${server}: ${from} -> ${to} streams: snapshot ${total.toFixed(0)} B/stream, heapUsed ${
      ((heapSecond - heapFirst) / n).toFixed(0)
    } B/stream`,
  );
  for (const row of rows.slice(0, top)) {
    console.log(
      `${row.bytes.toFixed(0).padStart(7)} B ${row.count.toFixed(2).padStart(6)}  ${row.key}`,
    );
  }
  for (const reader of readers) void reader.cancel();
  if ("close" in handler) await (handler as { close(): Promise<void> }).close();
  process.exit(0);
}

await main();
