/**
 * In-process cost of one request, without a network: the handler is called
 * with a built `Request` and its answer read, in a loop. It isolates the
 * library's own work per request from the HTTP server's, so an optimisation
 * of the request path shows even on a noisy machine. Rounds alternate
 * between tether (legacy session, 2026-07-28 stateless) and a bare handler
 * that only parses the body and answers fixed bytes; "inline floor" is the
 * same checks as a legacy call written in one function (see `floor`).
 *
 *   node_modules/node24/bin/node bench/lab/micro.ts [--rounds 8] [--requests 20000] [--only legacy|2026|floor] [--raw]
 *
 * `--raw` serves the echo tool with a raw JSON Schema instead of zod (the
 * JSON Schema validator's cost).
 *   node_modules/.bin/deno run -A bench/lab/micro.ts
 *   node_modules/.bin/bun bench/lab/micro.ts
 */

import * as z from "zod";
import { createMcpHandler, defineTool } from "../../mod.ts";
import { echoTool } from "../lib/echo_tool.ts";
import { jsonNestingDepth } from "../../src/http/body/parse_json.ts";
import {
  bareEchoHandler,
  echoCallBody,
  ID_SLOT,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  MCP_PATH,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
} from "../lib/protocol.ts";

const argv = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const rounds = option("rounds", 8);
const requests = option("requests", 20_000);
const onlyAt = argv.indexOf("--only");
const only = onlyAt === -1 ? undefined : argv[onlyAt + 1];
const URL_ = `http://127.0.0.1${MCP_PATH}`;

const rawEchoTool = defineTool({
  name: "echo",
  input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  handler: (input) => input.text as string,
});
const tether = createMcpHandler({
  name: "bench-micro",
  version: "1.0.0",
  tools: [argv.includes("--raw") ? rawEchoTool : echoTool],
});

/**
 * A rough floor for a legacy tools/call: the checks it needs (Host, Origin,
 * Accept, Content-Type, size, UTF-8, depth, envelope, version, session and
 * its touch, the in-flight entry, zod, the tool) written inline, with no
 * pipeline, no events and no stream fallback. Not a server: a yardstick
 * for how much of tether's cost is its structure.
 */
const floorSchema = z.object({ text: z.string() });
const floorSessions = new Map<string, { expiresAt: number }>();
const floorInFlight = new Map<string, Map<unknown, object>>();
const lenient = new TextDecoder();
async function floor(request: Request): Promise<Response> {
  const headers = request.headers;
  const refused = (status: number) => new Response(null, { status });
  const host = headers.get("host");
  if (host === null || host.split(":")[0] !== "127.0.0.1") return refused(403);
  if (headers.get("origin") !== null) return refused(403);
  if (headers.get("accept") !== "application/json, text/event-stream") return refused(406);
  if (headers.get("content-type") !== "application/json") return refused(415);
  const length = headers.get("content-length");
  if (length === null || Number(length) > 4 * 1024 * 1024) return refused(413);
  const text = lenient.decode(await request.arrayBuffer());
  if (text.includes("\uFFFD")) return refused(400);
  if (jsonNestingDepth(text, 64) > 64) return refused(400);
  const message = JSON.parse(text);
  if (message.jsonrpc !== "2.0" || typeof message.method !== "string") return refused(400);
  const version = headers.get("mcp-protocol-version");
  if (version !== null && version !== "2025-11-25") return refused(400);
  const sessionId = headers.get("mcp-session-id");
  const session = sessionId === null ? undefined : floorSessions.get(sessionId);
  if (session === undefined) return refused(404);
  session.expiresAt = Date.now() + 30 * 60_000;
  let running = floorInFlight.get(sessionId!);
  if (running === undefined) floorInFlight.set(sessionId!, running = new Map());
  running.set(message.id, {});
  try {
    if (message.params?.name !== "echo") return refused(400);
    const input = floorSchema.parse(message.params.arguments ?? {});
    const text = await Promise.resolve(input.text); // a tool is awaited
    const result = { content: [{ type: "text", text }] };
    return new Response(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }), {
      headers: { "content-type": "application/json" },
    });
  } finally {
    running.delete(message.id);
    if (running.size === 0) floorInFlight.delete(sessionId!);
  }
}

const init = await tether(
  new Request(URL_, { method: "POST", headers: INIT_HEADERS, body: initializeBody(1) }),
);
const sessionId = init.headers.get("mcp-session-id")!;
await init.text();
const sessionHeaders = { ...POST_HEADERS, "mcp-session-id": sessionId };
floorSessions.set(sessionId, { expiresAt: 0 });
await (await tether(
  new Request(URL_, { method: "POST", headers: sessionHeaders, body: INITIALIZED_BODY }),
)).text();

const legacyBody = (id: number) => echoCallBody(ID_SLOT).replace(ID_SLOT, String(id));
const modernBody = (id: number) => modernEchoCallBody(ID_SLOT).replace(ID_SLOT, String(id));
const modernHeaders = { ...POST_HEADERS, ...modernCallHeaders("echo") };

type Case = {
  name: string;
  handler: (request: Request) => Promise<Response>;
  headers: Record<string, string>;
  body: (id: number) => string;
};
const cases: Case[] = [
  { name: "bare", handler: bareEchoHandler, headers: POST_HEADERS, body: legacyBody },
  { name: "tether legacy", handler: tether, headers: sessionHeaders, body: legacyBody },
  { name: "tether 2026", handler: tether, headers: modernHeaders, body: modernBody },
  { name: "inline floor", handler: floor, headers: sessionHeaders, body: legacyBody },
].filter((c) => only === undefined || c.name === "bare" || c.name.endsWith(only));

let nextId = 10;
async function run(c: Case, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const id = nextId++;
    const body = c.body(id);
    // Host and Content-Length, as every HTTP/1.1 client sends them.
    const headers = { ...c.headers, host: "127.0.0.1", "content-length": String(body.length) };
    const response = await c.handler(new Request(URL_, { method: "POST", headers, body }));
    const text = await response.text();
    if (response.status !== 200 || !text.includes(`"id":${id}`)) {
      throw new Error(`${c.name}: unexpected answer ${response.status} ${text}`);
    }
  }
  return ((performance.now() - started) * 1000) / count;
}

for (const c of cases) await run(c, requests / 4); // warm-up
const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? cases : [...cases].reverse();
  for (const c of order) samples.get(c.name)!.push(await run(c, requests));
}
// The fastest round is the least disturbed by other work on the machine; the median is shown too.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bareBest = Math.min(...samples.get("bare")!);
for (const [name, xs] of samples) {
  const best = Math.min(...xs);
  console.log(
    `${name.padEnd(14)} ${best.toFixed(2)} µs/request (best of ${xs.length}; ` +
      `median ${median(xs).toFixed(2)})` +
      (name === "bare" ? "" : `; above bare ${(best - bareBest).toFixed(2)} µs`),
  );
}
await tether.close();
