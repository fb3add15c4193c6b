/**
 * Bytes allocated per request, by allocation site, in process on Node: the
 * handler is called `--requests` times with built `Request`s (a legacy
 * session's echo call, or a 2026-07-28 one), under V8's
 * sampling heap profiler told to keep the samples of objects the GC has
 * already collected, so the figures are everything allocated, not what is
 * still alive: the work one request leaves to the young generation's
 * scavenges (bench/notes/2026-11-24-gap-under-load.md). Sampled (one sample
 * per `--interval` bytes, 512 by default): quote sites above a few hundred
 * bytes per request.
 *
 *   node_modules/node24/bin/node bench/lab/allocations.ts [--case legacy|2026|progress|ticker] [--requests 20000] [--top 25] [--interval 512]
 *
 * `--case ticker` opens the idle streams' call (one progress event a second) and holds each
 * after its first event: what opening a stream allocates (use `--requests 2000`).
 *
 * A built-in (Map, Promise, Map.delete, …) is listed with its caller.
 */

import { Session } from "node:inspector/promises";
import {
  echoCallBody,
  ID_SLOT,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  MCP_PATH,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
  tickerCallBody,
} from "../lib/protocol.ts";
import { createMcpHandler } from "../../mod.ts";
import { echoTool } from "../lib/echo_tool.ts";
import { progressTool, tickerTool } from "../lib/stream_tools.ts";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const mode = opt("case", "legacy");
const requests = Number(opt("requests", "20000"));
const top = Number(opt("top", "25"));
const interval = Number(opt("interval", "512"));
if (!["legacy", "2026", "progress", "ticker"].includes(mode)) {
  throw new Error(`--case: legacy, 2026, progress or ticker, not ${mode}`);
}

const URL_ = `http://127.0.0.1${MCP_PATH}`;
const tether = createMcpHandler({
  name: "bench-allocations",
  version: "1.0.0",
  tools: [echoTool, progressTool, tickerTool],
});
/** `--case ticker`: the streams held open after their first event (read with the stream's reader). */
const held: ReadableStreamDefaultReader<Uint8Array>[] = [];
let headers: Record<string, string> = { ...POST_HEADERS, ...modernCallHeaders("echo") };
let body = (id: number) => modernEchoCallBody(ID_SLOT).replace(ID_SLOT, String(id));
/** A new legacy session's request headers. */
async function legacySession(n: number): Promise<Record<string, string>> {
  const init = await tether(
    new Request(URL_, { method: "POST", headers: INIT_HEADERS, body: initializeBody(n) }),
  );
  await init.text();
  const sessionHeaders = { ...POST_HEADERS, "mcp-session-id": init.headers.get("mcp-session-id")! };
  await (await tether(
    new Request(URL_, { method: "POST", headers: sessionHeaders, body: INITIALIZED_BODY }),
  )).text();
  return sessionHeaders;
}
/** `--case ticker`: the sessions its streams use, 16 each (as bench/lab/idle_streams.ts opens them). */
const tickerSessions: Record<string, string>[] = [];
if (mode !== "2026") {
  headers = await legacySession(1);
  if (mode === "ticker") {
    for (let i = 0; i < Math.ceil((10_000 + requests) / 16); i++) {
      tickerSessions.push(await legacySession(i + 2));
    }
  }
  body = mode === "progress"
    ? (id: number) =>
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"progress","arguments":{},"_meta":{"progressToken":"p${id}"}}}`
    : mode === "ticker"
    ? (id: number) => tickerCallBody(id, 3600)
    : (id: number) => echoCallBody(ID_SLOT).replace(ID_SLOT, String(id));
}

async function run(from: number, count: number): Promise<void> {
  for (let id = from; id < from + count; id++) {
    const text = body(id);
    const sessionHeaders = mode === "ticker" ? tickerSessions[Math.floor(id / 16)] : headers;
    const request = new Request(URL_, {
      method: "POST",
      headers: { ...sessionHeaders, host: "127.0.0.1", "content-length": String(text.length) },
      body: text,
    });
    const response = await tether(request);
    if (mode === "ticker") {
      // Up to its first event, and held: what opening an idle stream allocates.
      const reader = response.body!.getReader();
      const first = await reader.read();
      if (response.status !== 200 || first.done) throw new Error(`ticker: ${response.status}`);
      held.push(reader);
      continue;
    }
    const answer = await response.text();
    if (response.status !== 200 || !answer.includes(`"id":${id}`)) {
      throw new Error(`${mode}: unexpected answer ${response.status} ${answer.slice(0, 300)}`);
    }
  }
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

await run(10, mode === "ticker" ? 500 : 2_000); // warm: compiled code, caches
const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", {
  samplingInterval: interval,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
await run(10_000, requests);
const { profile } = await session.post("HeapProfiler.stopSampling") as {
  profile: { head: ProfileNode };
};
session.disconnect();
await tether.close();

const root = new URL("../..", import.meta.url).href;
const where = (frame: ProfileNode["callFrame"]) =>
  `${frame.functionName || "(anonymous)"} ${frame.url.replace(root, "")}:${frame.lineNumber + 1}`;
const bySite = new Map<string, number>();
let total = 0;
// A built-in (Map, Promise, …) is named with its caller: "Map :0" alone says nothing.
const walk = (node: ProfileNode, parent?: ProfileNode) => {
  if (node.selfSize > 0) {
    const frame = node.callFrame;
    const key = frame.url === "" && parent !== undefined
      ? `${where(frame)} ← ${where(parent.callFrame)}`
      : where(frame);
    bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  for (const child of node.children) walk(child, node);
};
walk(profile.head);
console.log(
  `${mode} on Node ${process.version}: ${
    Math.round(total / requests)
  } B allocated per request (sampled every ${interval} B, ${requests} requests, built Requests, in process)`,
);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${String(Math.round(bytes / requests)).padStart(7)} B  ${site}`);
}
