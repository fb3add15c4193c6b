/**
 * The bare SSE ticker, the one yardstick of an idle stream: the answer to a ticker `tools/call`
 * (bench/lib/protocol.ts `tickerCallBody`) with no MCP in it, as bare as a stream can be: one
 * progress event a second (the first at once), then the result, from one timer per stream; it
 * ends early if the client goes away. Served by bench/servers/ceiling.ts (the streams rows of
 * bench/run.ts, bench/lab/idle_streams.ts) and in process by bench/lab/idle_heap.ts. Checks nothing.
 *
 * @module
 */

const encoder = new TextEncoder();
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

/** How {@linkcode createTicker}'s streams are framed. */
export interface TickerOptions {
  /**
   * Also what a resumable stream must keep: a priming event first (as tether sends on
   * 2025-11-25), an id on every event, each event's data kept (a per-stream array in a Map) until
   * the stream ends, as a server answering `Last-Event-ID` must. @default false
   */
  resumable?: boolean;
}

/** Answers one ticker call: `seconds` progress events with `token`, then the result for `id`. */
export type Ticker = (id: unknown, token: unknown, seconds: number) => Response;

/**
 * A ticker answerer; its streams share one map of kept events when resumable.
 * @example
 * ```ts
 * const ticker = createTicker();
 * const response = ticker(1, "s1", 10); // event: message\ndata: {…"progress":1,"total":10}}\n\n, …
 * ```
 */
export function createTicker(options: TickerOptions = {}): Ticker {
  const resumable = options.resumable ?? false;
  /** The events kept per stream (resumable): what a `Last-Event-ID` resume would replay. */
  const kept = new Map<number, string[]>();
  let streamCount = 0;
  return (id, token, seconds) => {
    let timer: ReturnType<typeof setInterval> | undefined;
    let sent = 0;
    const stream = ++streamCount;
    const events: string[] = [];
    if (resumable) kept.set(stream, events);
    /** One event: with an id, and kept, when resumable. */
    const event = (data: string) => {
      if (!resumable) return encoder.encode(`event: message\ndata: ${data}\n\n`);
      events.push(data);
      return encoder.encode(`id: ${stream}:${events.length}\ndata: ${data}\n\n`);
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (resumable) controller.enqueue(encoder.encode(`id: ${stream}:0\ndata: \n\n`));
        const tick = () => {
          if (sent === seconds) {
            clearInterval(timer);
            controller.enqueue(event(
              `{"jsonrpc":"2.0","id":${
                JSON.stringify(id)
              },"result":{"content":[{"type":"text","text":"ticked"}]}}`,
            ));
            controller.close();
            kept.delete(stream);
            return;
          }
          sent++;
          controller.enqueue(event(
            `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${
              JSON.stringify(token)
            },"progress":${sent},"total":${seconds}}}`,
          ));
        };
        tick();
        timer = setInterval(tick, 1000);
      },
      cancel() {
        clearInterval(timer);
        kept.delete(stream);
      },
    });
    return new Response(body, { headers: SSE_HEADERS });
  };
}
