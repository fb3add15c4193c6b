/**
 * Reads a `text/event-stream` body event by event, as it arrives, for the
 * test client (web streams only, no runtime modules). It keeps each event's
 * `id` and `data`; `event`, `retry` and comments are read past. It does not
 * reconnect: the caller decides what a stream that ends means.
 * @module
 */

/** One server-sent event: its id (when sent) and its data lines joined. */
export interface SseEvent {
  /** The event's `id` field, when it had one. */
  id?: string;
  /** The `data` lines joined with `\n`; undefined for an event without data (a priming event). */
  data?: string;
}

/** One event from a block of SSE lines (the WHATWG field rules: one space after the colon is dropped). */
function parseBlock(block: string): SseEvent {
  const event: SseEvent = {};
  for (const line of block.split(/\r\n|\n|\r/)) {
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") event.data = event.data === undefined ? value : `${event.data}\n${value}`;
    else if (field === "id") event.id = value;
  }
  return event;
}

/**
 * Yields the events of an SSE body as each one completes; stops when the
 * body ends or the reader is cancelled (an unfinished last event is dropped).
 *
 * @example
 * ```ts
 * import { readSseEvents } from "./sse_reader.ts";
 * const body = new Response("id: 1\ndata: {}\n\n").body!;
 * for await (const event of readSseEvents(body.getReader())) console.log(event.id, event.data);
 * ```
 */
export async function* readSseEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffered = "";
  while (true) {
    const next = await reader.read();
    if (next.done) return;
    buffered += decoder.decode(next.value, { stream: true });
    let end = buffered.search(/\r\n\r\n|\n\n|\r\r/);
    while (end !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + (buffered.startsWith("\r\n\r\n", end) ? 4 : 2));
      if (block.split(/\r\n|\n|\r/).some((line) => line !== "" && !line.startsWith(":"))) {
        yield parseBlock(block);
      }
      end = buffered.search(/\r\n\r\n|\n\n|\r\r/);
    }
  }
}
