/**
 * The floor: a stateless (2026-07-28) `tools/call` of the echo tool served
 * by one function that makes only the checks the spec requires of it and
 * that tether makes (Host, Origin, Accept, Content-Type, declared size,
 * UTF-8, nesting depth, the JSON-RPC shape, `MCP-Protocol-Version` against
 * the `_meta` claim, `Mcp-Method` and `Mcp-Name` against the body, the
 * client capabilities' shape, the tool's zod schema), awaits the tool and
 * answers the stateless result as JSON. No pipeline, no registries, no
 * streams, no cancellation, no errors worth the name: anything else is a
 * bare status. Not a server anyone should run; a yardstick for what the
 * checks themselves cost on a runtime, next to the ceiling (no checks) and
 * tether (the checks and everything else).
 */

import * as z from "zod";
import { parseJsonWithDepthLimit } from "../../src/http/parse_json.ts";
import { MODERN_PROTOCOL_VERSION } from "../lib/protocol.ts";
import { startBenchServer } from "./common.ts";

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 64;
const VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
const SERVER_INFO = { name: "floor", version: "1.0.0" };
const echoInput = z.object({ text: z.string() });
const lenient = new TextDecoder();
const JSON_HEADERS = { "content-type": "application/json" };

const refused = (status: number) => new Response(null, { status });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

async function fetch(request: Request): Promise<Response> {
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
  const length = headers.get("content-length");
  if (length === null || Number(length) > MAX_BODY_BYTES) return refused(413);
  const text = lenient.decode(await request.arrayBuffer());
  if (text.includes("\uFFFD")) return refused(400);
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
  const output = await Promise.resolve(input.data.text); // a tool is awaited
  const result = {
    content: [{ type: "text", text: output }],
    resultType: "complete",
    _meta: { "io.modelcontextprotocol/serverInfo": SERVER_INFO },
  };
  return new Response(JSON.stringify({ jsonrpc: "2.0", id, result }), { headers: JSON_HEADERS });
}

await startBenchServer({ fetch });
