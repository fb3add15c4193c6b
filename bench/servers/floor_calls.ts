/**
 * What the scale-out floors (bench/servers/floor_redis.ts, bench/servers/floor_postgres.ts) share:
 * the JSON-RPC answers, the checks of a POST, and a call once its session was touched (`ping`,
 * `echo`, and the 10-progress tools: a burst written whole, or a spread one written an event a
 * tick, each kept before it is sent, a cancel ending it unanswered). A plain call builds no store. Each floor keeps its own
 * store: sessions, events, routes and cancels, through {@linkcode CallStore}.
 * @module
 */

/** Progress notifications of the 10-progress tools. */
export const PROGRESS_EVENTS = 10;
/** The spread tool's tick, ms. */
const TICK_MS = 20;

/** The headers of an SSE answer. */
export const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

/** A JSON answer of `value`, with `headers`. */
export const json = (value: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(value), {
    headers: { "content-type": "application/json", ...headers },
  });

/** A JSON-RPC result. */
export const result = (id: unknown, value: unknown): Record<string, unknown> => ({
  jsonrpc: "2.0",
  id,
  result: value,
});

/** A JSON-RPC error answer, with `status`. */
export const error = (id: unknown, code: number, message: string, status = 200): Response =>
  new Response(JSON.stringify({ jsonrpc: "2.0", id: id ?? null, error: { code, message } }), {
    status,
    headers: { "content-type": "application/json" },
  });

/** A tool result of one text, serialized. */
const textResult = (id: unknown, text: string) =>
  JSON.stringify(result(id, { content: [{ type: "text", text }] }));

/** Progress notification `progress` of `PROGRESS_EVENTS`, serialized. */
const progressEvent = (token: unknown, progress: number) =>
  JSON.stringify({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: token, progress, total: PROGRESS_EVENTS },
  });

/**
 * Event `n` of `stream` as SSE, its id `<stream>:<n>`.
 *
 * @example
 * ```ts
 * import { sseEvent } from "./floor_calls.ts";
 * sseEvent("s1", 2, "{}"); // "id: s1:2\ndata: {}\n\n"
 * ```
 */
export const sseEvent = (stream: string, n: number, data: string): string =>
  `id: ${stream}:${n}\ndata: ${data}\n\n`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `value` is a plain object (not null, not an array). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A POST's one JSON-RPC message, checked. */
export interface FloorMessage {
  id: unknown;
  method: string;
  params: Record<string, unknown>;
}

/**
 * The message of a POST, or the error answer it gets: its Accept and Content-Type, its JSON, its
 * JSON-RPC shape (none of the guards bench/servers/floor.ts measures).
 *
 * @example
 * ```ts ignore (a floor's request handler)
 * const message = await readMessage(request);
 * if (message instanceof Response) return message;
 * ```
 */
export async function readMessage(request: Request): Promise<FloorMessage | Response> {
  const accept = request.headers.get("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    return error(null, -32000, "Not Acceptable", 406);
  }
  if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
    return error(null, -32000, "Unsupported Media Type", 415);
  }
  let message: unknown;
  try {
    message = JSON.parse(await request.text());
  } catch {
    return error(null, -32700, "Parse error", 400);
  }
  if (!isObject(message) || message.jsonrpc !== "2.0" || typeof message.method !== "string") {
    return error(null, -32600, "Invalid Request", 400);
  }
  const params = isObject(message.params) ? message.params : {};
  return { id: message.id, method: message.method, params };
}

/** Whether `message` calls a 10-progress tool (its call gets a route, for its cancel). */
export const isStreamed = ({ method, params }: FloorMessage): boolean =>
  method === "tools/call" && (params.name === "progress10" || params.name === "progress10spread");

/** How a floor keeps a streamed call's events, and ends its route. */
export interface CallStore {
  /** The burst's events (1 to `PROGRESS_EVENTS + 1`) of `stream`, at once, ending the route. */
  burst(stream: string, data: string[]): Promise<unknown>;
  /** Event `n` of a spread call's `stream`; the last one (`last`) ends the route. */
  spread(stream: string, n: number, data: string, last: boolean): Promise<unknown>;
  /** Ends the route of a call cancelled before its last event. */
  cancelled(): Promise<unknown>;
}

/**
 * The answer to `message` once its session was read and touched, unless it calls a 10-progress
 * tool ({@linkcode answerStreamed}): a notification `202`, `ping`, `echo`, or an error.
 *
 * @example
 * ```ts ignore (a floor's request handler, after the touch)
 * if (!isStreamed(message)) return answerPlain(message);
 * ```
 */
export function answerPlain({ id, method, params }: FloorMessage): Response {
  if (id === undefined) return new Response(null, { status: 202 });
  if (method === "ping") return json(result(id, {}));
  if (method !== "tools/call") return error(id, -32601, "Method not found");
  const input = isObject(params.arguments) ? params.arguments : {};
  if (params.name === "echo") {
    if (typeof input.text !== "string") return error(id, -32602, "Invalid params");
    return new Response(textResult(id, input.text), {
      headers: { "content-type": "application/json" },
    });
  }
  return error(id, -32602, `Unknown tool`);
}

/**
 * The answer to a call of a 10-progress tool once its session was read and touched, its events
 * kept through `store`. A spread call runs while `inflight` holds its abort under `cancelKey` (the
 * floor's cancel aborts it).
 *
 * @example
 * ```ts ignore (a floor's request handler, after the touch)
 * return await answerStreamed(message, store, inflight, `${sid}\n${JSON.stringify(message.id)}`);
 * ```
 */
export async function answerStreamed(
  { id, params }: FloorMessage,
  store: CallStore,
  inflight: Map<string, AbortController>,
  cancelKey: string,
): Promise<Response> {
  if (id === undefined) return new Response(null, { status: 202 });
  const token = isObject(params._meta) ? params._meta.progressToken : undefined;
  const stream = crypto.randomUUID();
  const events = (n: number) =>
    n <= PROGRESS_EVENTS ? progressEvent(token, n) : textResult(id, "done");
  const priming = `id: ${stream}:0\nretry: 1000\ndata: \n\n`;
  if (params.name === "progress10") return await burst(store, stream, priming, events);
  return spread(store, stream, priming, events, inflight, cancelKey);
}

/** The burst: every event kept at once, then the body whole. */
async function burst(
  store: CallStore,
  stream: string,
  priming: string,
  events: (n: number) => string,
): Promise<Response> {
  let body = priming;
  const data: string[] = [];
  for (let n = 1; n <= PROGRESS_EVENTS + 1; n++) {
    data.push(events(n));
    body += sseEvent(stream, n, data[n - 1]);
  }
  await store.burst(stream, data);
  return new Response(body, { headers: SSE_HEADERS });
}

/** Spread: one event a tick, each kept before it is sent; a cancel ends the stream unanswered. */
function spread(
  store: CallStore,
  stream: string,
  priming: string,
  events: (n: number) => string,
  inflight: Map<string, AbortController>,
  cancelKey: string,
): Response {
  const abort = new AbortController();
  inflight.set(cancelKey, abort);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(priming));
      try {
        for (let n = 1; n <= PROGRESS_EVENTS + 1 && !abort.signal.aborted; n++) {
          if (n <= PROGRESS_EVENTS) await sleep(TICK_MS);
          if (abort.signal.aborted) break;
          const data = events(n);
          await store.spread(stream, n, data, n > PROGRESS_EVENTS);
          controller.enqueue(encoder.encode(sseEvent(stream, n, data)));
        }
        controller.close();
      } catch {
        // The store failed, or the client went away (the stream was cancelled): the stream ends,
        // unanswered (the bench counts a wrong answer), never left open.
        try {
          controller.close();
        } catch {
          // Already closed by the client's going away.
        }
      } finally {
        inflight.delete(cancelKey);
        if (abort.signal.aborted) store.cancelled().catch(() => {});
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(body, { headers: SSE_HEADERS });
}
