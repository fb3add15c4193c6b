/**
 * The bare SSE server: a fetch handler with no MCP in it that answers a ticker `tools/call`
 * (bench/lib/protocol.ts `tickerCallBody`) with the same bytes tether sends: one progress
 * notification a second as an SSE event, then the result. The yardstick of bench/idle_streams.ts:
 * what holding an idle SSE stream costs a runtime's own HTTP server, per stream. It checks
 * nothing and keeps no sessions; every other request gets a bare 404. Not a server to run.
 *
 *   --resumable   also what a resumable stream must keep: each event gets an id and its data is
 *                 kept (a per-stream array in a Map) until the stream ends, as a server answering
 *                 `Last-Event-ID` must; a priming event first, as tether sends (2025-11-25).
 */

import { serverArgs, startBenchServer } from "./common.ts";

const resumable = serverArgs().resumable === "true";
/** The events kept per stream (--resumable): what a `Last-Event-ID` resume would replay. */
const kept = new Map<number, string[]>();
let streamCount = 0;

const encoder = new TextEncoder();
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

/** The ticker's arguments as the driver sends them; undefined for anything else. */
function tickerCall(body: unknown): { id: number; token: string; seconds: number } | undefined {
  const call = body as {
    id?: unknown;
    params?: {
      name?: unknown;
      arguments?: { seconds?: unknown };
      _meta?: { progressToken?: unknown };
    };
  };
  const seconds = call?.params?.arguments?.seconds;
  const token = call?.params?._meta?.progressToken;
  if (call?.params?.name !== "ticker" || typeof call.id !== "number") return undefined;
  if (typeof seconds !== "number" || typeof token !== "string") return undefined;
  return { id: call.id, token, seconds };
}

/**
 * One ticker stream, timed as tether's ticker tool: a progress event now and each second after,
 * the result a second after the last; one timer at a time, as the tool's own loop has.
 */
function tickerStream(id: number, token: string, seconds: number): ReadableStream<Uint8Array> {
  let sent = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stream = ++streamCount;
  const events: string[] = [];
  if (resumable) kept.set(stream, events);
  /** One event: with an id and kept when resumable. */
  const event = (data: string) => {
    if (!resumable) return `event: message\ndata: ${data}\n\n`;
    events.push(data);
    return `id: ${stream}:${events.length}\ndata: ${data}\n\n`;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (resumable) controller.enqueue(encoder.encode(`id: ${stream}:0\ndata: \n\n`));
      const tick = () => {
        if (sent === seconds) {
          controller.enqueue(encoder.encode(
            event(
              `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"ticked"}]}}`,
            ),
          ));
          controller.close();
          kept.delete(stream);
          return;
        }
        sent++;
        controller.enqueue(encoder.encode(
          event(
            `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${
              JSON.stringify(token)
            },"progress":${sent},"total":${seconds}}}`,
          ),
        ));
        timer = setTimeout(tick, 1000);
      };
      tick();
    },
    cancel() {
      clearTimeout(timer);
      kept.delete(stream);
    },
  });
}

await startBenchServer({
  fetch: async (request) => {
    if (request.method !== "POST") return new Response(null, { status: 404 });
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return new Response(null, { status: 400 });
    }
    const call = tickerCall(body);
    if (call === undefined) return new Response(null, { status: 404 });
    return new Response(tickerStream(call.id, call.token, call.seconds), { headers: SSE_HEADERS });
  },
});
