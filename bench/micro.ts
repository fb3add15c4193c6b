/**
 * In-process cost of one request, without a network: the handler is called
 * with a built `Request` and its answer read, in a loop. It isolates the
 * library's own work per request from the HTTP server's, so an optimisation
 * of the request path shows even on a noisy machine. Rounds alternate
 * between tether (legacy session, 2026-07-28 stateless) and a bare handler
 * that only parses the body and answers fixed bytes.
 *
 *   node_modules/node24/bin/node bench/micro.ts [--rounds 8] [--requests 20000] [--only legacy|2026]
 *   node_modules/.bin/deno run -A bench/micro.ts
 *   node_modules/.bin/bun bench/micro.ts
 */

import * as z from "zod";
import { createMcpHandler, defineTool } from "../mod.ts";
import {
  echoCallBody,
  echoResultJson,
  ID_SLOT,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  MCP_PATH,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
} from "./lib/protocol.ts";

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

const tether = createMcpHandler({
  name: "bench-micro",
  version: "1.0.0",
  tools: [
    defineTool({
      name: "echo",
      description: "Echoes its input",
      input: z.object({ text: z.string() }),
      handler: ({ text }) => text,
    }),
  ],
});

/** The bare handler: parses the body, answers the echo result's bytes. */
async function bare(request: Request): Promise<Response> {
  const message = JSON.parse(await request.text());
  return new Response(echoResultJson(message.id), {
    headers: { "content-type": "application/json" },
  });
}

const init = await tether(
  new Request(URL_, { method: "POST", headers: INIT_HEADERS, body: initializeBody(1) }),
);
const sessionId = init.headers.get("mcp-session-id")!;
await init.text();
const sessionHeaders = { ...POST_HEADERS, "mcp-session-id": sessionId };
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
  { name: "bare", handler: bare, headers: POST_HEADERS, body: legacyBody },
  { name: "tether legacy", handler: tether, headers: sessionHeaders, body: legacyBody },
  { name: "tether 2026", handler: tether, headers: modernHeaders, body: modernBody },
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
