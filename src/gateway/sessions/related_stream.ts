/**
 * Which upstream request an HTTP upstream's message belongs to: the SSE
 * response of a POSTed request carries what the upstream sends about that
 * request (logs, elicitation, sampling, roots). The SDK client's transport
 * forgets which stream a message came on, so this fetch wrapper writes the
 * POSTed request's id into each such message's `_meta` under
 * {@linkcode RELATED_KEY}, and removes that key from every other message (an
 * upstream cannot forge it). It reads only SSE bodies; it bounds nothing
 * (upstream.ts bounds the message sizes before it).
 * @module
 */

/**
 * The `_meta` key naming the upstream request (its JSON-RPC id) a message
 * came with; absent on messages of no request's stream.
 *
 * @example
 * ```ts
 * import { RELATED_KEY } from "./related_stream.ts";
 * const meta: Record<string, unknown> = { [RELATED_KEY]: 7 };
 * console.log(meta[RELATED_KEY]); // 7
 * ```
 */
export const RELATED_KEY = "tether.gateway/relatedRequestId";

/**
 * The related id of `params` (a message's params, as received), or
 * undefined; the key is removed from them, so nothing of it is relayed on.
 *
 * @example
 * ```ts
 * import { RELATED_KEY, takeRelated } from "./related_stream.ts";
 * const params = { level: "info", _meta: { [RELATED_KEY]: 3 } };
 * console.log(takeRelated(params), params._meta); // 3 {}
 * ```
 */
export function takeRelated(params: unknown): string | number | undefined {
  const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  if (typeof meta !== "object" || meta === null || !(RELATED_KEY in meta)) return undefined;
  const related = meta[RELATED_KEY];
  delete meta[RELATED_KEY];
  return typeof related === "string" || typeof related === "number" ? related : undefined;
}

/**
 * A fetch whose SSE bodies have {@linkcode RELATED_KEY} written into the
 * upstream's requests and notifications: the POSTed request's id on its
 * response stream, nothing (the key removed) on any other stream.
 *
 * @example
 * ```ts
 * import { relatedFetch } from "./related_stream.ts";
 * const marked: typeof fetch = relatedFetch(fetch);
 * ```
 */
export function relatedFetch(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const body = response.body;
    const sse = response.headers.get("content-type")?.includes("text/event-stream") === true;
    if (body === null || !sse) return response;
    const marked = body.pipeThrough(markEvents(requestIdOf(init?.body)));
    return new Response(marked, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** The id of a POSTed JSON-RPC request (a JSON text), if it is one. */
function requestIdOf(body: unknown): string | number | undefined {
  if (typeof body !== "string") return undefined;
  try {
    const message = JSON.parse(body) as { id?: unknown; method?: unknown };
    const id = message?.id;
    if (typeof message?.method !== "string") return undefined;
    return typeof id === "string" || typeof id === "number" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The end of one SSE event: a blank line, whatever the line endings. */
const EVENT_END = /(?:\r\n|\r|\n)(?:\r\n|\r|\n)/g;

/** Rewrites each complete SSE event of a stream (see {@linkcode markEvent}). */
function markEvents(related: string | number | undefined): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  return new TransformStream({
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      let out = "";
      let start = 0;
      EVENT_END.lastIndex = 0;
      for (let end = EVENT_END.exec(pending); end !== null; end = EVENT_END.exec(pending)) {
        out += markEvent(pending.slice(start, end.index), related) + "\n\n";
        start = EVENT_END.lastIndex;
      }
      pending = pending.slice(start);
      if (out !== "") controller.enqueue(encoder.encode(out));
    },
    flush(controller) {
      pending += decoder.decode();
      if (pending !== "") controller.enqueue(encoder.encode(pending));
    },
  });
}

/**
 * One SSE event (its lines, without the blank line) with the key written
 * into (or removed from) a request's or notification's `params._meta`;
 * anything else (answers, comments, text that is not JSON) as it came.
 */
function markEvent(event: string, related: string | number | undefined): string {
  if (!event.includes('"method"')) return event;
  const lines = event.split(/\r\n|\r|\n/);
  const data = lines.filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5));
  let message: { method?: unknown; params?: Record<string, unknown> };
  try {
    message = JSON.parse(data.join("\n"));
  } catch {
    return event;
  }
  if (typeof message !== "object" || message === null || typeof message.method !== "string") {
    return event;
  }
  const params = typeof message.params === "object" && message.params !== null
    ? message.params
    : {};
  const meta = typeof params._meta === "object" && params._meta !== null
    ? { ...params._meta as Record<string, unknown> }
    : {};
  delete meta[RELATED_KEY];
  if (related !== undefined) meta[RELATED_KEY] = related;
  message.params = { ...params, _meta: meta };
  const rest = lines.filter((line) => !line.startsWith("data:"));
  return [...rest, `data: ${JSON.stringify(message)}`].join("\n");
}
