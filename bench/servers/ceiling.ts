/**
 * The ceiling: a bare fetch handler on the same runtime and adapter that
 * parses the JSON-RPC body and answers with fixed bytes: the echo result for
 * tools/call (its 2026-07-28 shape for a stateless request; or, for the progress tool, a precomputed SSE body with 100
 * progress events and the result), a fixed InitializeResult with a random
 * session id for initialize, 202 for notifications. No MCP library at all:
 * it is the most any server on this runtime + adapter can do. The large
 * tools' 256 KiB and 1 MiB answers are precomputed bytes behind a per-request
 * head with the id. The ticker tool (bench/lib/ticker_sse.ts) is the bare
 * server holding idle streams, the one yardstick of the streams phase and
 * bench/lab/idle_streams.ts: an SSE stream with one fixed progress event a second
 * (the first at once), then the result, one timer per stream.
 *   --mode sse    answers tools/call of the large tools as one SSE event
 *                 (the "ceiling-sse" rows of the large-result workloads)
 *   --resumable   its ticker streams also keep what a resumable stream must
 *                 (event ids, each event's data until the end, a priming
 *                 event): the bare floor under tether's streams
 */

import {
  echoResultJson,
  LARGE_1M_TEXT,
  LARGE_TEXT,
  modernEchoResultJson,
  PROGRESS_COUNT,
  PROTOCOL_VERSION,
} from "../lib/protocol.ts";
import { createTicker } from "../lib/ticker_sse.ts";
import { serverArgs, startBenchServer } from "./common.ts";

const sse = serverArgs().mode === "sse";
const ticker = createTicker({ resumable: serverArgs().resumable === "true" });

const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

function progressSse(id: unknown, token: unknown): string {
  let out = "";
  for (let i = 1; i <= PROGRESS_COUNT; i++) {
    out +=
      `event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${
        JSON.stringify(token)
      },"progress":${i},"total":${PROGRESS_COUNT}}}\n\n`;
  }
  return out +
    `event: message\ndata: {"jsonrpc":"2.0","id":${
      JSON.stringify(id)
    },"result":{"content":[{"type":"text","text":"done"}]}}\n\n`;
}

const encoder = new TextEncoder();
const LARGE_TAILS: Record<string, Uint8Array> = {
  large: encoder.encode(`${LARGE_TEXT}"}]}}${sse ? "\n\n" : ""}`),
  "large-1m": encoder.encode(`${LARGE_1M_TEXT}"}]}}${sse ? "\n\n" : ""}`),
};

/** A large tool's answer: a small head with the id, then the precomputed 256 KiB or 1 MiB tail. */
function largeAnswer(id: unknown, tail: Uint8Array): Response {
  const head = encoder.encode(
    `${sse ? "event: message\ndata: " : ""}{"jsonrpc":"2.0","id":${
      JSON.stringify(id)
    },"result":{"content":[{"type":"text","text":"`,
  );
  const body = new Uint8Array(head.length + tail.length);
  body.set(head);
  body.set(tail, head.length);
  return new Response(body, { headers: sse ? SSE_HEADERS : JSON_HEADERS });
}

async function fetch(request: Request): Promise<Response> {
  const message = JSON.parse(await request.text());
  if (message.id === undefined) return new Response(null, { status: 202 });
  if (message.method === "tools/call") {
    const tail = LARGE_TAILS[message.params?.name];
    if (tail !== undefined) return largeAnswer(message.id, tail);
    if (message.params?.name === "ticker") {
      return ticker(
        message.id,
        message.params._meta?.progressToken,
        Number(message.params.arguments?.seconds),
      );
    }
    if (message.params?.name === "progress") {
      return new Response(progressSse(message.id, message.params._meta?.progressToken), {
        headers: SSE_HEADERS,
      });
    }
    // A 2026-07-28 request names its version in _meta and gets the stateless result shape.
    const modern = message.params?._meta?.["io.modelcontextprotocol/protocolVersion"] !== undefined;
    return new Response(modern ? modernEchoResultJson(message.id) : echoResultJson(message.id), {
      headers: JSON_HEADERS,
    });
  }
  if (message.method === "initialize") {
    const body = `{"jsonrpc":"2.0","id":${
      JSON.stringify(message.id)
    },"result":{"protocolVersion":"${PROTOCOL_VERSION}","capabilities":{"tools":{}},"serverInfo":{"name":"ceiling","version":"1.0.0"}}}`;
    return new Response(body, {
      headers: { ...JSON_HEADERS, "mcp-session-id": crypto.randomUUID() },
    });
  }
  return new Response(`{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{}}`, {
    headers: JSON_HEADERS,
  });
}

await startBenchServer({ fetch });
