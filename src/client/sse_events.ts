/**
 * Reads a `text/event-stream` body event by event, as it arrives: the one
 * SSE reader of tether's client side (the 2025 session transport, the
 * 2026-07-28 requests, the test kit). It keeps each event's `id`, `data`
 * and `retry` (the WHATWG field rules); `event` names and comments are read
 * past. It bounds each event's size when asked. It does not reconnect: the
 * caller decides what a stream that ends means.
 * @module
 */

/** One server-sent event: its id and retry (when sent) and its data lines joined. */
export interface SseEvent {
  /** The event's `id` field, when it had one. */
  id?: string;
  /** The `data` lines joined with `\n`; undefined for an event without data (a priming event). */
  data?: string;
  /** The event's `retry` field, ms, when it had a valid one. */
  retry?: number;
}

/**
 * Thrown by {@linkcode readSseEvents} when one event passes its size bound.
 *
 * @example
 * ```ts
 * import { OversizedEvent } from "./sse_events.ts";
 * console.log(new OversizedEvent(1024).message); // An event is over 1024 bytes
 * ```
 */
export class OversizedEvent extends Error {
  /** The bound it passed, bytes. */
  readonly maxBytes: number;
  /** An event passed `maxBytes`. */
  constructor(maxBytes: number) {
    super(`An event is over ${maxBytes} bytes`);
    this.name = "OversizedEvent";
    this.maxBytes = maxBytes;
  }
}

/** The end of one event: a blank line, whatever the line endings. */
const EVENT_END = /\r\n\r\n|\n\n|\r\r|\r\n\n|\n\r\n/;

/** One event from a block of SSE lines (one space after the colon is dropped). */
function parseBlock(block: string): SseEvent {
  const event: SseEvent = {};
  for (const line of block.split(/\r\n|\n|\r/)) {
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") event.data = event.data === undefined ? value : `${event.data}\n${value}`;
    else if (field === "id" && !value.includes("\0")) event.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) event.retry = Number(value);
  }
  return event;
}

/**
 * Yields the events of an SSE body as each one completes; stops when the
 * body ends or the reader is cancelled (an unfinished last event is
 * dropped). A block of comments only is no event. Throws
 * {@linkcode OversizedEvent} once an event passes `maxEventBytes` (counted
 * in UTF-16 units of its text, never more than its bytes).
 *
 * @example
 * ```ts
 * import { readSseEvents } from "./sse_events.ts";
 * const body = new Response("id: 1\ndata: {}\n\n").body!;
 * for await (const event of readSseEvents(body.getReader())) console.log(event.id, event.data);
 * ```
 */
export async function* readSseEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxEventBytes = Infinity,
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffered = "";
  while (true) {
    const next = await reader.read();
    if (next.done) return;
    buffered += decoder.decode(next.value, { stream: true });
    for (let found = EVENT_END.exec(buffered); found !== null; found = EVENT_END.exec(buffered)) {
      const block = buffered.slice(0, found.index);
      buffered = buffered.slice(found.index + found[0].length);
      if (block.length > maxEventBytes) throw new OversizedEvent(maxEventBytes);
      if (block.split(/\r\n|\n|\r/).some((line) => line !== "" && !line.startsWith(":"))) {
        yield parseBlock(block);
      }
    }
    if (buffered.length > maxEventBytes) throw new OversizedEvent(maxEventBytes);
  }
}
