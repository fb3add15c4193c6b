/**
 * Server-Sent Events encoding (WHATWG HTML §9.2). One message interface, one
 * pure `stringifySseMessage`, one comment helper. Field values that would break
 * framing (newlines in `event` or `id`, NUL in `id`) are refused with an error
 * naming the field; multi-line data is split into one `data:` line per line.
 * @module
 */

/**
 * One SSE message. Every field is optional; an empty object encodes a blank event.
 *
 * @example
 * ```ts
 * import { type SseMessage, stringifySseMessage } from "./sse.ts";
 * const message: SseMessage = { id: "s1:1", data: '{"jsonrpc":"2.0","method":"ping"}' };
 * const text = stringifySseMessage(message);
 * ```
 */
export interface SseMessage {
  /** The `event:` field (message type). Must not contain newlines. */
  event?: string;
  /** The payload; each line becomes its own `data:` line. */
  data?: string;
  /** The `id:` field. Must not contain newlines or NUL. */
  id?: string;
  /** The `retry:` field: reconnection delay in milliseconds (non-negative integer). */
  retry?: number;
  /** A comment line (`: ...`), ignored by clients; used for heartbeats. */
  comment?: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

function assertSingleLine(field: string, value: string): void {
  if (value.includes("\n") || value.includes("\r")) {
    throw new RangeError(`SSE ${field} must not contain a newline: ${JSON.stringify(value)}`);
  }
}

/**
 * Encodes one message as SSE text, ending with the blank line that dispatches it.
 *
 * @example
 * ```ts
 * import { stringifySseMessage } from "./sse.ts";
 * stringifySseMessage({ id: "1", data: "a\nb" }); // "id: 1\ndata: a\ndata: b\n\n"
 * ```
 */
export function stringifySseMessage(message: SseMessage): string {
  let out = "";
  if (message.comment !== undefined) {
    for (const line of message.comment.split(LINE_BREAK)) out += `: ${line}\n`;
  }
  if (message.event !== undefined) {
    assertSingleLine("event", message.event);
    out += `event: ${message.event}\n`;
  }
  if (message.id !== undefined) {
    assertSingleLine("id", message.id);
    if (message.id.includes("\0")) throw new RangeError("SSE id must not contain NUL");
    out += `id: ${message.id}\n`;
  }
  if (message.retry !== undefined) {
    if (!Number.isInteger(message.retry) || message.retry < 0) {
      throw new RangeError(`SSE retry must be a non-negative integer: ${message.retry}`);
    }
    out += `retry: ${message.retry}\n`;
  }
  if (message.data !== undefined) {
    const data = message.data;
    // Serialised JSON never contains a raw line break: skip the split for it.
    if (!data.includes("\n") && !data.includes("\r")) out += `data: ${data}\n`;
    else for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  }
  return out + "\n";
}

const UNSAFE_ID = /[\r\n\0]/;

/**
 * Encodes events whose data is serialized JSON (`JSON.stringify` output
 * never holds a line break, so each is one `data:` line), `ids[i]` with
 * `data[i]`, after `head`: the fast path of {@linkcode stringifySseMessage}
 * for the events of a stream.
 *
 * @example
 * ```ts
 * import { stringifyJsonEvents } from "./sse.ts";
 * stringifyJsonEvents(["s1:1"], ['{"jsonrpc":"2.0"}']); // 'id: s1:1\ndata: {"jsonrpc":"2.0"}\n\n'
 * ```
 */
export function stringifyJsonEvents(
  ids: readonly string[],
  data: readonly string[],
  head = "",
): string {
  let text = head;
  for (let i = 0; i < data.length; i++) {
    const id = ids[i];
    if (UNSAFE_ID.test(id)) {
      throw new RangeError(`SSE id must not contain a line break or NUL: ${JSON.stringify(id)}`);
    }
    text += `id: ${id}\ndata: ${data[i]}\n\n`;
  }
  return text;
}

/**
 * {@linkcode stringifyJsonEvents} for events numbered in order: event `i`'s
 * id is `idPrefix` followed by `first + i`. The prefix is checked once (a
 * number never breaks framing), and no array of ids is made.
 *
 * @example
 * ```ts
 * import { stringifyNumberedJsonEvents } from "./sse.ts";
 * stringifyNumberedJsonEvents("s1:", 1, ["{}", "[]"]); // "id: s1:1\ndata: {}\n\nid: s1:2\ndata: []\n\n"
 * ```
 */
export function stringifyNumberedJsonEvents(
  idPrefix: string,
  first: number,
  data: readonly string[],
  head = "",
): string {
  if (UNSAFE_ID.test(idPrefix)) {
    throw new RangeError(
      `SSE id must not contain a line break or NUL: ${JSON.stringify(idPrefix)}`,
    );
  }
  if (data.length === 0) return head;
  // One event (a large result, maybe): left a rope, not copied here; the runtime writes it as is.
  if (data.length === 1) return `${head}id: ${idPrefix}${numberedDataLead(first)}${data[0]}\n\n`;
  // Joined once: one flat string, where `+=` would leave a rope of a few strings an event for
  // the runtime to flatten when it writes the body. Nothing is concatenated per event, and no
  // number converted: each event's number and `data:` come made (numberedDataLead).
  const parts = new Array<string>(3 * data.length + 1);
  const between = `\n\nid: ${idPrefix}`;
  for (let i = 0; i < data.length; i++) {
    parts[3 * i] = i === 0 ? `${head}id: ${idPrefix}` : between;
    parts[3 * i + 1] = numberedDataLead(first + i);
    parts[3 * i + 2] = data[i];
  }
  parts[3 * data.length] = "\n\n";
  return parts.join("");
}

/** Event numbers whose lead is kept made: the first events of every stream. */
const LEADS_KEPT = 1_024;
/** `${n}\ndata: ` at index `n`, filled in order as numbers are first needed (never sparse). */
const leads: string[] = ["0\ndata: "];

/**
 * `${n}\ndata: `: what follows an event's id prefix, up to its data, in
 * {@linkcode stringifyNumberedJsonEvents}. Made once for the first
 * {@linkcode LEADS_KEPT} numbers (a short flat string each), fresh beyond.
 *
 * @example
 * ```ts
 * import { numberedDataLead } from "./sse.ts";
 * numberedDataLead(12); // "12\ndata: "
 * ```
 */
export function numberedDataLead(n: number): string {
  if (n >= LEADS_KEPT || n < 0 || !Number.isInteger(n)) return `${n}\ndata: `;
  while (leads.length <= n) leads.push(`${leads.length}\ndata: `);
  return leads[n];
}

/** Response headers every SSE response carries. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

/**
 * A `200` SSE answer: a live connection's body, or events known already as
 * one string.
 *
 * @example
 * ```ts
 * import { sseResponse } from "./sse.ts";
 * sseResponse("data: {}\n\n").headers.get("content-type"); // "text/event-stream"
 * ```
 */
export function sseResponse(body: ReadableStream<Uint8Array> | string): Response {
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}
