/**
 * The MCP traffic every benchmark server answers and every workload sends:
 * one protocol version, one header set, one echo tool and one progress tool.
 * Shared by the driver (bench/run.ts) and the server entries
 * (bench/servers/*.ts), so all of them speak exactly the same bytes.
 */

import type { WrkCheck } from "./wrk_script.ts";

/** The protocol version negotiated by every client in the bench. */
export const PROTOCOL_VERSION = "2025-11-25";

/** The endpoint path on every server. */
export const MCP_PATH = "/mcp";

/** Text the echo tool is asked to echo. */
export const ECHO_TEXT = "hello";

/** Progress notifications the progress tool emits before its result. */
export const PROGRESS_COUNT = 100;

/** Headers of every POST (plus `mcp-session-id` once a session exists). */
export const POST_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
  "accept": "application/json, text/event-stream",
  "mcp-protocol-version": PROTOCOL_VERSION,
});

/** Headers of an initialize POST (no protocol-version header before negotiation). */
export const INIT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
  "accept": "application/json, text/event-stream",
});

/** The initialize request body ({@linkcode ID_SLOT} for a wrk template: the id goes in as a number). */
export function initializeBody(id: number | string): string {
  return `{"jsonrpc":"2.0","id":${
    id === ID_SLOT ? id : JSON.stringify(id)
  },"method":"initialize","params":{"protocolVersion":"${PROTOCOL_VERSION}","capabilities":{},"clientInfo":{"name":"bench","version":"1.0.0"}}}`;
}

/** The notifications/initialized body. */
export const INITIALIZED_BODY = `{"jsonrpc":"2.0","method":"notifications/initialized"}`;

/**
 * Where the request id goes in a body template for wrk (bench/lib/wrk.ts):
 * the body functions below take it in place of a number.
 */
export const ID_SLOT = "{id}";

/** A request id, or {@linkcode ID_SLOT} for a wrk body template. */
export type IdOrSlot = number | typeof ID_SLOT;

/** A tools/call of the echo tool. */
export function echoCallBody(id: IdOrSlot): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${ECHO_TEXT}"}}}`;
}

/** A tools/call of the progress tool with a progress token. */
export function progressCallBody(id: IdOrSlot): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"progress","arguments":{},"_meta":{"progressToken":"p${id}"}}}`;
}

/** The echo tool's result as the ceiling server sends it. */
export function echoResultJson(id: unknown): string {
  return `{"jsonrpc":"2.0","id":${
    JSON.stringify(id)
  },"result":{"content":[{"type":"text","text":"${ECHO_TEXT}"}]}}`;
}

/**
 * Checks one tools/call response body (JSON or SSE) for the echo result of
 * request `id`. Cheap substring tests: it runs on every response.
 */
export function isEchoResult(body: string, id: number): boolean {
  return body.includes(`"id":${id}`) && body.includes(`"text":"${ECHO_TEXT}"`) &&
    body.includes(`"result"`) &&
    !body.includes(`"isError":true`);
}

/** {@linkcode isEchoResult} for wrk's Lua checks (the id is checked by wrk.ts itself). */
export const ECHO_CHECK: WrkCheck = {
  contains: [`"text":"${ECHO_TEXT}"`, `"result"`],
  excludes: [`"isError":true`],
};

/** Checks a progress-tool SSE body: exactly PROGRESS_COUNT progress notifications, then the result. */
export function isProgressResult(body: string, id: number): boolean {
  if (!body.includes(`"id":${id}`) || !body.includes(`"text":"done"`)) return false;
  let count = 0;
  for (
    let at = body.indexOf("notifications/progress");
    at !== -1;
    at = body.indexOf("notifications/progress", at + 1)
  ) count++;
  return count === PROGRESS_COUNT &&
    body.lastIndexOf("notifications/progress") < body.indexOf(`"text":"done"`);
}

/** {@linkcode isProgressResult} for wrk's Lua checks; every event names the request's token. */
export const PROGRESS_CHECK: WrkCheck = {
  contains: [`"text":"done"`, `"progressToken":"p{id}"`],
  occurrences: { needle: "notifications/progress", count: PROGRESS_COUNT, before: `"text":"done"` },
};

/**
 * A tools/call of the ticker tool: one progress notification a second for
 * `seconds` seconds (the first at once, token `s<id>`), then the result
 * "ticked".
 */
export function tickerCallBody(id: number, seconds: number): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"ticker","arguments":{"seconds":${seconds}},"_meta":{"progressToken":"s${id}"}}}`;
}

/** Checks a ticker SSE body: `seconds` progress notifications with the request's token, then the result. */
export function isTickerResult(body: string, id: number, seconds: number): boolean {
  const result = body.indexOf(`"text":"ticked"`);
  if (result === -1 || !body.includes(`"id":${id}`)) return false;
  let count = 0;
  for (
    let at = body.indexOf(`"progressToken":"s${id}"`);
    at !== -1;
    at = body.indexOf(`"progressToken":"s${id}"`, at + 1)
  ) count++;
  return count === seconds &&
    body.split("notifications/progress").length - 1 === seconds &&
    body.lastIndexOf("notifications/progress") < result;
}

/** Bytes of the large tool's text result (and of the text in its answer: ASCII, nothing escaped). */
export const LARGE_TEXT_BYTES = 256 * 1024;

const LARGE_BLOCK = "abcdefghijklmnop";
const LARGE_END = "0123456789-END--";

/**
 * `bytes` of text: {@linkcode LARGE_BLOCK} repeated, then {@linkcode LARGE_END},
 * made one flat string by a single `join`. Not `repeat(n) + end`: V8 makes that a
 * rope (a ConsString), and V8's fast `JSON.stringify` (13.8 on, so Deno's V8, not
 * Node 24's) serializes only flat strings; a rope sends the whole call down its slow
 * path (a buffer grown by doubling and copied, 3.5 MiB of malloc for a 1 MiB text).
 * Whether a process still held the rope depended on its garbage collector's history:
 * a scavenge shortcuts a flattened rope to its flat string only while it is young.
 * The floor's process got the flat string and tether's kept the rope, so on Deno
 * the large rows compared two different strings (tether 1 MiB JSON 1,349 µs a call
 * against the floor's 665; with both flat 856 against 776).
 */
function largeText(bytes: number): string {
  const blocks = new Array<string>(bytes / LARGE_BLOCK.length - 1).fill(LARGE_BLOCK);
  blocks.push(LARGE_END);
  return blocks.join("");
}

/** The large tool's result text: a repeated block, then an end marker found once. */
export const LARGE_TEXT: string = largeText(LARGE_TEXT_BYTES);

/** Bytes of the `large-1m` tool's text result (the 1 MiB rows). */
export const LARGE_1M_TEXT_BYTES = 1024 * 1024;

/** The `large-1m` tool's result text: {@linkcode LARGE_TEXT}'s shape, four times as long. */
export const LARGE_1M_TEXT: string = largeText(LARGE_1M_TEXT_BYTES);

/** A tools/call of the large tool (a 256 KiB text result), or of `large-1m` (1 MiB). */
export function largeCallBody(id: IdOrSlot, tool: "large" | "large-1m" = "large"): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${tool}","arguments":{}}}`;
}

/**
 * Checks a large-tool response (JSON or SSE): the id, the whole text's start and end, the size
 * (`bytes`: {@linkcode LARGE_1M_TEXT_BYTES} for `large-1m`).
 */
export function isLargeResult(body: string, id: number, bytes = LARGE_TEXT_BYTES): boolean {
  return body.length >= bytes && body.includes(`"id":${id}`) &&
    body.includes(`"text":"${LARGE_BLOCK}${LARGE_BLOCK}`) && body.includes(`${LARGE_END}"`) &&
    body.includes(`"result"`) && !body.includes(`"isError":true`);
}

/** {@linkcode isLargeResult} for wrk's Lua checks. */
export const LARGE_CHECK: WrkCheck = {
  minBytes: LARGE_TEXT_BYTES,
  contains: [`"text":"${LARGE_BLOCK}${LARGE_BLOCK}`, `${LARGE_END}"`, `"result"`],
  excludes: [`"isError":true`],
};

/** {@linkcode LARGE_CHECK} for the `large-1m` tool (a 1 MiB text). */
export const LARGE_1M_CHECK: WrkCheck = { ...LARGE_CHECK, minBytes: LARGE_1M_TEXT_BYTES };

// ---------------------------------------------------------------------------
// 2026-07-28 (stateless): no session, an envelope in every request's _meta,
// and the routing headers.

/** The stateless protocol revision. */
export const MODERN_PROTOCOL_VERSION = "2026-07-28";

const MODERN_META =
  `"_meta":{"io.modelcontextprotocol/protocolVersion":"${MODERN_PROTOCOL_VERSION}","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}`;

/** Headers of a stateless tools/call of `tool`. */
export function modernCallHeaders(tool: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": MODERN_PROTOCOL_VERSION,
    "mcp-method": "tools/call",
    "mcp-name": tool,
  };
}

/** A stateless tools/call of the echo tool. */
export function modernEchoCallBody(id: IdOrSlot): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${ECHO_TEXT}"},${MODERN_META}}}`;
}

/** The echo tool's stateless result as the ceiling server sends it. */
export function modernEchoResultJson(id: unknown): string {
  return `{"jsonrpc":"2.0","id":${
    JSON.stringify(id)
  },"result":{"content":[{"type":"text","text":"${ECHO_TEXT}"}],"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"ceiling","version":"1.0.0"}}}}`;
}

/** Checks a stateless echo response: the id, the text and `resultType: "complete"`. */
export function isModernEchoResult(body: string, id: number): boolean {
  return isEchoResult(body, id) && body.includes(`"resultType":"complete"`);
}

/** {@linkcode isModernEchoResult} for wrk's Lua checks. */
export const MODERN_ECHO_CHECK: WrkCheck = {
  contains: [...ECHO_CHECK.contains, `"resultType":"complete"`],
  excludes: ECHO_CHECK.excludes,
};

/**
 * A stateless tools/call of the `confirm` tool (one elicitation round):
 * without `answer`, the first round; with it, the retry carrying the answer
 * and the sealed `requestState` of the first round.
 */
export function confirmCallBody(id: number, retry?: { requestState: string }): string {
  const more = retry === undefined
    ? ""
    : `,"inputResponses":{"confirm":{"action":"accept","content":{"ok":true}}},"requestState":${
      JSON.stringify(retry.requestState)
    }`;
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"confirm","arguments":{}${more},${MODERN_META}}}`;
}

/** The sealed requestState of an `input_required` answer, or undefined. */
export function requestStateOf(body: string): string | undefined {
  if (!body.includes(`"resultType":"input_required"`)) return undefined;
  const match = /"requestState":"([^"]+)"/.exec(body);
  return match === null ? undefined : match[1];
}

/**
 * The bare in-process handler of bench/lab/micro.ts and bench/lab/instructions.ts:
 * parses the body and answers the echo result's bytes.
 */
export async function bareEchoHandler(request: Request): Promise<Response> {
  const message = JSON.parse(await request.text());
  return new Response(echoResultJson(message.id), {
    headers: { "content-type": "application/json" },
  });
}
