/**
 * The floors: a `tools/call` of the echo tool served by one function that
 * makes only the checks the spec requires of it and that tether makes, and
 * answers the result as JSON. No pipeline, no registries beyond two Maps, no
 * streams, no cancellation, no errors worth the name: anything else is a
 * bare status. Not servers anyone should run; yardsticks for what the checks
 * themselves cost on a runtime, next to the ceiling (no checks) and tether
 * (the checks and everything else).
 *
 *   (default)      2026-07-28, stateless: Host, Origin, Accept, Content-Type,
 *                  declared size, UTF-8, nesting depth, the JSON-RPC shape,
 *                  `MCP-Protocol-Version` against the `_meta` claim,
 *                  `Mcp-Method` and `Mcp-Name` against the body, the client
 *                  capabilities' shape, the tool's zod schema.
 *   --era legacy   2025-11-25, sessionful: the same guards (Host, Origin,
 *                  Accept, Content-Type, size, UTF-8, depth, the JSON-RPC
 *                  shape, `MCP-Protocol-Version`), then the session lookup,
 *                  its owner check (the request's principal against the one
 *                  that initialized it: none here, as in the bench), its
 *                  touch (idle deadline), the in-flight entry a
 *                  `notifications/cancelled` would find, the zod schema and
 *                  the awaited tool. `initialize` makes a session (random id,
 *                  a minimal InitializeResult), `notifications/initialized`
 *                  answers 202, so the harness makes its session pool over
 *                  HTTP as for any server.
 *                  The heavy workloads' tools too, each as little as a
 *                  spec-complete server can do: `large` and `large-1m`
 *                  JSON-encode their fresh 256 KiB / 1 MiB text result;
 *                  `progress` encodes each of its 100 notifications with
 *                  the request's progress token, then the result, as SSE
 *                  events written in one piece (all happen in one turn).
 *                  `ticker` (the idle streams' call: one progress event a
 *                  second for `seconds`, then the result) is a tool awaited
 *                  as it runs: its SSE body a stream written event by event,
 *                  its in-flight entry held until it ends, and aborted when
 *                  the client goes away.
 *   --mode sse     (legacy) answers `large` and `large-1m` as one SSE event
 *                  (the floor of the large workload's SSE rows).
 *   --guarded      either era: what tether's guards against abuse add to the
 *                  checks the spec asks for (the seeds' guards, on by default in
 *                  tether, all of them cheap enough to be): the body read with
 *                  a deadline (a stalled sender is answered 408 after 30 s, not
 *                  held forever), as tether reads it (`readBodyText` with one
 *                  deadline watch for all reads: its cheapest known form;
 *                  it makes the declared-size check from the one Content-Length
 *                  read, and reads a body without one in chunks), a
 *                  request id or progress token of at most 256 UTF-8 bytes and
 *                  a numeric id that is a safe integer, and the share of
 *                  requests in flight checked before a call runs (2026-07-28:
 *                  the caller's, 128; legacy: the session's, 64). The bound
 *                  of the guard rows: the plain floor skips them.
 *                  `--body-timeout-ms N` shortens the deadline (its test).
 *   --resumable    (legacy) what a server answering `Last-Event-ID` must also
 *                  do for its SSE answers (progress; large with `--mode sse`):
 *                  a priming event first (`id: <stream>:0`, `retry:`, empty
 *                  data, as tether sends on 2025-11-25), an id on each event,
 *                  and, per session, the last 64 answered streams' event data
 *                  kept, at most 1 MiB (oldest streams evicted first; a
 *                  stream over 1 MiB alone is not kept): tether's default
 *                  memory log bounds. Each stream is kept as tether keeps a
 *                  stream written whole: its SSE body string and where each
 *                  event's data starts and ends in it. No resume endpoint
 *                  (nothing asks); JSON answers are not kept (tether keeps
 *                  none); no process-wide budget (the bench's 64 sessions
 *                  hold 64 MiB at most, under tether's default). A running
 *                  ticker stream keeps each event's data as it is written
 *                  (its own array), and joins the session's kept streams
 *                  when it ends.
 */

import * as z from "zod";
import { parseJsonWithDepthLimit } from "../../src/http/body/parse_json.ts";
import { type BodyFailure, BodyReads, readBodyText } from "../../src/http/body/read_body.ts";
import { exceedsUtf8Bytes } from "../../src/jsonrpc/utf8_length.ts";
import {
  LARGE_1M_TEXT,
  LARGE_TEXT,
  MODERN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
} from "../lib/protocol.ts";
import { serverArgs, startBenchServer } from "./common.ts";
import { type FloorSession, isObject, progress, refused, sseBody, ticker } from "./floor_sse.ts";

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 64;
const VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
const SERVER_INFO = { name: "floor", version: "1.0.0" };
const echoInput = z.object({ text: z.string() });
const lenient = new TextDecoder();
const JSON_HEADERS = { "content-type": "application/json" };
const sseLarge = serverArgs().mode === "sse";
/** The large tools' texts, returned fresh by each call (the floor encodes them every time). */
const LARGE_TEXTS: Record<string, string> = { large: LARGE_TEXT, "large-1m": LARGE_1M_TEXT };

/** `--guarded`: the deadline watch of every body read (tether's default `bodyTimeoutMs`). */
const bodyReads = serverArgs().guarded === "true"
  ? new BodyReads(Number(serverArgs()["body-timeout-ms"] ?? 30_000))
  : undefined;
/** `--guarded`: tether's default `maxIdBytes`, `maxRequestsPerPrincipal` and `maxRequestsPerSession`. */
const MAX_ID_BYTES = 256;
const MAX_IN_FLIGHT_PER_PRINCIPAL = 128;
const MAX_IN_FLIGHT_PER_SESSION = 64;
/** `--guarded`, 2026-07-28: requests in flight per principal (the bench's tools finish in their turn). */
const inFlightByPrincipal = new Map<string, number>();
const BODY_REFUSALS: Record<BodyFailure, number> = {
  "too-large": 413,
  "invalid-utf8": 400,
  aborted: 400,
  timeout: 408,
  cancelled: 503,
};

/** `--guarded`: whether a request id or progress token is over the size tether allows (its check). */
function oversized(value: unknown): boolean {
  if (typeof value === "number") return !Number.isSafeInteger(value);
  return typeof value === "string" && exceedsUtf8Bytes(value, MAX_ID_BYTES);
}

const asMeta = (params: Record<string, unknown>) =>
  isObject(params._meta) ? params._meta : undefined;

async function modern(request: Request): Promise<Response> {
  if (request.method !== "POST") return refused(405);
  const headers = request.headers;
  const host = headers.get("host");
  if (host === null || !(host.startsWith("127.0.0.1") || host.startsWith("localhost"))) {
    return refused(403);
  }
  const origin = headers.get("origin");
  if (origin !== null && !origin.startsWith("http://127.0.0.1")) return refused(403);
  const accept = headers.get("accept");
  if (
    accept === null || !accept.includes("application/json") || !accept.includes("text/event-stream")
  ) return refused(406);
  if (!(headers.get("content-type") ?? "").startsWith("application/json")) return refused(415);
  let text: string;
  if (bodyReads === undefined) {
    const length = headers.get("content-length");
    if (length === null || Number(length) > MAX_BODY_BYTES) return refused(413);
    text = lenient.decode(await request.arrayBuffer());
    if (text.includes("\uFFFD")) return refused(400);
  } else {
    // The body read with its deadline, as tether reads it (awaited here: no async layer of its own).
    // It makes the declared-size check itself, from the one Content-Length read tether makes too
    // (on Deno.serve a second read costs ~2.7k instructions), and reads a body without one in chunks.
    const read = await readBodyText(request, MAX_BODY_BYTES, { reads: bodyReads }, headers);
    if (!read.ok) return refused(BODY_REFUSALS[read.failure]);
    text = read.text;
  }
  const parsed = parseJsonWithDepthLimit(text, MAX_DEPTH); // the depth check, as tether makes it
  if (!parsed.ok) return refused(400);
  const message = parsed.value;
  if (!isObject(message) || message.jsonrpc !== "2.0" || typeof message.method !== "string") {
    return refused(400);
  }
  const id = message.id;
  if (typeof id !== "number" && typeof id !== "string") return refused(400);
  const params = message.params;
  if (!isObject(params) || !isObject(params._meta)) return refused(400);
  if (bodyReads !== undefined && (oversized(id) || oversized(params._meta.progressToken))) {
    return refused(400);
  }
  const version = params._meta[VERSION_KEY];
  if (version !== MODERN_PROTOCOL_VERSION) return refused(400);
  if (headers.get("mcp-protocol-version") !== version) return refused(400);
  if (headers.get("mcp-method") !== message.method) return refused(400);
  const capabilities = params._meta[CAPABILITIES_KEY];
  if (capabilities !== undefined && !isObject(capabilities)) return refused(400);
  if (message.method !== "tools/call" || params.name !== "echo") return refused(404);
  if (headers.get("mcp-name") !== params.name) return refused(400);
  const input = echoInput.safeParse(params.arguments ?? {});
  if (!input.success) return refused(400);
  // The caller's share (the bench has no authentication: one anonymous principal).
  if (
    bodyReads !== undefined && (inFlightByPrincipal.get("") ?? 0) >= MAX_IN_FLIGHT_PER_PRINCIPAL
  ) {
    return refused(429);
  }
  const output = await Promise.resolve(input.data.text); // a tool is awaited
  const result = {
    content: [{ type: "text", text: output }],
    resultType: "complete",
    _meta: { "io.modelcontextprotocol/serverInfo": SERVER_INFO },
  };
  return new Response(JSON.stringify({ jsonrpc: "2.0", id, result }), { headers: JSON_HEADERS });
}

const IDLE_MS = 30 * 60_000;
const sessions = new Map<string, FloorSession>();
/** Per session, the request ids running (what `notifications/cancelled` would look up). */
const inFlight = new Map<string, Map<unknown, AbortController>>();
const INIT_RESULT = {
  protocolVersion: PROTOCOL_VERSION,
  capabilities: { tools: {} },
  serverInfo: SERVER_INFO,
};

async function legacy(request: Request): Promise<Response> {
  if (request.method !== "POST") return refused(405);
  const headers = request.headers;
  const host = headers.get("host");
  if (host === null || !(host.startsWith("127.0.0.1") || host.startsWith("localhost"))) {
    return refused(403);
  }
  const origin = headers.get("origin");
  if (origin !== null && !origin.startsWith("http://127.0.0.1")) return refused(403);
  const accept = headers.get("accept");
  if (
    accept === null || !accept.includes("application/json") || !accept.includes("text/event-stream")
  ) return refused(406);
  if (!(headers.get("content-type") ?? "").startsWith("application/json")) return refused(415);
  let text: string;
  if (bodyReads === undefined) {
    const length = headers.get("content-length");
    if (length === null || Number(length) > MAX_BODY_BYTES) return refused(413);
    text = lenient.decode(await request.arrayBuffer());
    if (text.includes("\uFFFD")) return refused(400);
  } else {
    // The body read with its deadline, as tether reads it (awaited here: no async layer of its own).
    // It makes the declared-size check itself, from the one Content-Length read tether makes too
    // (on Deno.serve a second read costs ~2.7k instructions), and reads a body without one in chunks.
    const read = await readBodyText(request, MAX_BODY_BYTES, { reads: bodyReads }, headers);
    if (!read.ok) return refused(BODY_REFUSALS[read.failure]);
    text = read.text;
  }
  const parsed = parseJsonWithDepthLimit(text, MAX_DEPTH);
  if (!parsed.ok) return refused(400);
  const message = parsed.value;
  if (!isObject(message) || message.jsonrpc !== "2.0" || typeof message.method !== "string") {
    return refused(400);
  }
  const owner = undefined; // the authenticated principal; the bench runs without auth
  const sessionId = headers.get("mcp-session-id");
  if (message.method === "initialize" && sessionId === null) {
    const id = crypto.randomUUID();
    sessions.set(id, {
      owner,
      expiresAt: Date.now() + IDLE_MS,
      streams: 0,
      kept: undefined,
      keptBytes: 0,
    });
    const body = JSON.stringify({ jsonrpc: "2.0", id: message.id, result: INIT_RESULT });
    return new Response(body, { headers: { ...JSON_HEADERS, "mcp-session-id": id } });
  }
  const version = headers.get("mcp-protocol-version");
  if (version !== null && version !== PROTOCOL_VERSION) return refused(400);
  const session = sessionId === null ? undefined : sessions.get(sessionId);
  if (session === undefined) return refused(sessionId === null ? 400 : 404);
  if (session.owner !== owner) return refused(404);
  const now = Date.now();
  if (session.expiresAt <= now) {
    sessions.delete(sessionId!);
    return refused(404);
  }
  session.expiresAt = now + IDLE_MS;
  const id = message.id;
  if (id === undefined) return new Response(null, { status: 202 }); // a notification
  if (typeof id !== "number" && typeof id !== "string") return refused(400);
  const params = message.params;
  if (!isObject(params)) return refused(400);
  if (bodyReads !== undefined && (oversized(id) || oversized(asMeta(params)?.progressToken))) {
    return refused(400);
  }
  const tool = params.name;
  if (
    message.method !== "tools/call" ||
    (tool !== "echo" && tool !== "progress" && tool !== "ticker" &&
      LARGE_TEXTS[tool as string] === undefined)
  ) return refused(404);
  let running = inFlight.get(sessionId!);
  if (running === undefined) inFlight.set(sessionId!, running = new Map());
  if (running.has(id)) return refused(400); // a duplicate id of a running request
  // `--guarded`: the session's share of requests in flight (tether's default `maxRequestsPerSession`).
  if (bodyReads !== undefined && running.size >= MAX_IN_FLIGHT_PER_SESSION) return refused(429);
  const abort = new AbortController();
  running.set(id, abort);
  const finished = () => {
    running.delete(id);
    if (running.size === 0) inFlight.delete(sessionId!);
  };
  if (tool === "ticker") return ticker(id, params, session, abort, finished);
  try {
    if (tool === "progress") return await progress(id, params, session);
    if (tool !== "echo") {
      const text = await Promise.resolve(LARGE_TEXTS[tool as string]); // a tool is awaited
      const json = JSON.stringify({
        jsonrpc: "2.0",
        id,
        result: { content: [{ type: "text", text }] },
      });
      if (!sseLarge) return new Response(json, { headers: JSON_HEADERS });
      const body = sseBody(session);
      body.add(json);
      return body.done();
    }
    const input = echoInput.safeParse(params.arguments ?? {});
    if (!input.success) return refused(400);
    const output = await Promise.resolve(input.data.text); // a tool is awaited
    const result = { content: [{ type: "text", text: output }] };
    return new Response(JSON.stringify({ jsonrpc: "2.0", id, result }), { headers: JSON_HEADERS });
  } finally {
    finished();
  }
}

await startBenchServer({
  fetch: serverArgs().era === "legacy" ? legacy : modern,
  sessions: () => sessions.size,
});
