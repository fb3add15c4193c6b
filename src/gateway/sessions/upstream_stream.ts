/**
 * What the gateway reads of an upstream's response body as it passes to
 * its reader: the size of each message (a JSON body, or one SSE event),
 * and, for an SSE response to requests, which of them it answered and where
 * it could be resumed from. It neither decides nor delivers anything:
 * upstream_fetch.ts does.
 * @module
 */

import type { RequestId } from "../../jsonrpc/messages.ts";

/**
 * The size of the largest message in each chunk read: a JSON body is one
 * message; an SSE body's events end at a blank line (`\n\n` or `\n\r\n`),
 * found across chunk boundaries too.
 *
 * @example
 * ```ts
 * import { MessageSizes } from "./upstream_stream.ts";
 * const sizes = new MessageSizes(true);
 * console.log(sizes.add(new TextEncoder().encode("data: 1\n\ndata: 22"))); // 9
 * ```
 */
export class MessageSizes {
  readonly #sse: boolean;
  /** Bytes of the message still open. */
  #open = 0;
  /** The last two bytes seen. */
  #last = 0;
  #beforeLast = 0;

  /** Counts an SSE body by event when `sse`, else a whole body as one message. */
  constructor(sse: boolean) {
    this.#sse = sse;
  }

  /** Counts `chunk`; returns the largest message size it ended or extended. */
  add(chunk: Uint8Array): number {
    if (!this.#sse) return this.#open += chunk.length;
    let largest = 0;
    for (const byte of chunk) {
      this.#open++;
      const blankLine = byte === 10 &&
        (this.#last === 10 || (this.#last === 13 && this.#beforeLast === 10));
      this.#beforeLast = this.#last;
      this.#last = byte;
      if (blankLine) {
        if (this.#open > largest) largest = this.#open;
        this.#open = 0;
      }
    }
    return Math.max(largest, this.#open);
  }
}

/** How an SSE response to requests ended: what to add to it, and what became of its requests. */
export interface StreamEnd {
  /** Text to append for the reader (empty when every request was answered). */
  text: string;
  /** The requests the stream left unanswered that are failed in it (see `SseAnswers.end`). */
  unanswered: RequestId[];
}

/**
 * Closes any event the stream left unfinished as one a reader does
 * not read (it keeps only `message` events) and with no id to resume from,
 * so that what it carried is dropped, as an unfinished event at the end of a
 * stream is.
 */
const DISCARD = "id:\nevent: tether-discarded\n\n";

/**
 * Follows an SSE response to requests `ids` as an SSE parser reads it: an
 * event counts once it has a data line; its `id`, if any, is where the
 * stream resumes from; a JSON-RPC response in a `message` event answers its
 * request (ids compared as numbers).
 *
 * @example
 * ```ts
 * import { SseAnswers } from "./upstream_stream.ts";
 * const answers = new SseAnswers([1]);
 * answers.add(new TextEncoder().encode('data: {"jsonrpc":"2.0","method":"notifications/message"}\n\n'));
 * console.log(answers.end().unanswered); // [1]
 * ```
 */
export class SseAnswers {
  /** The requests not answered yet, by their number. */
  readonly #waiting = new Map<number, RequestId>();
  readonly #decoder = new TextDecoder();
  /** The unfinished line; whether a CR just ended one (a LF after it is the same line end). */
  #partial = "";
  #afterCR = false;
  /** Whether the last byte read ended a line (or nothing was read). */
  #atLineStart = true;
  /** The event being read. */
  #data = "";
  #dataLines = 0;
  #id: string | undefined;
  #type: string | undefined;
  /** The id of the last event read that had one: a resume starts from it. */
  #lastEventId: string | undefined;
  /** A result was read: the stream is then not resumed. */
  #sawResult = false;

  /** Follows the answers to `ids`. */
  constructor(ids: Iterable<RequestId>) {
    for (const id of ids) this.#waiting.set(Number(id), id);
  }

  /** Reads `chunk`. */
  add(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const last = chunk[chunk.length - 1];
    this.#atLineStart = last === 10 || last === 13;
    this.#feed(this.#decoder.decode(chunk, { stream: true }));
  }

  /**
   * Ends the stream (it ended or broke): the text to append, with one
   * `responseFor` error per request left unanswered unless the stream may
   * be resumed (an event id read, no result).
   */
  end(responseFor: (id: RequestId) => object = () => ({})): StreamEnd {
    if (this.#waiting.size === 0) return { text: "", unanswered: [] };
    let text = (this.#atLineStart ? "" : "\n") + DISCARD;
    this.#feed(this.#decoder.decode() + text);
    const ids = [...this.#waiting.values()];
    if (this.#lastEventId !== undefined && !this.#sawResult && ids.length > 0) {
      return { text, unanswered: [] }; // its reader fails them: it may resume from the event id
    }
    for (const id of ids) text += `data: ${JSON.stringify(responseFor(id))}\n\n`;
    return { text, unanswered: ids };
  }

  #feed(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (this.#afterCR) {
        this.#afterCR = false;
        if (code === 10) {
          start = i + 1;
          continue;
        }
      }
      if (code !== 10 && code !== 13) continue;
      this.#line(this.#partial + text.slice(start, i));
      this.#partial = "";
      start = i + 1;
      this.#afterCR = code === 13;
    }
    this.#partial += text.slice(start);
  }

  #line(line: string): void {
    if (line === "") return this.#dispatch();
    const colon = line.indexOf(":");
    if (colon === 0) return; // a comment
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.#data = this.#dataLines === 0 ? value : `${this.#data}\n${value}`;
      this.#dataLines++;
    } else if (field === "id") {
      if (!value.includes("\0")) this.#id = value;
    } else if (field === "event") {
      this.#type = value === "" ? undefined : value;
    }
  }

  #dispatch(): void {
    if (this.#dataLines > 0) {
      if (this.#id) this.#lastEventId = this.#id;
      if (this.#type === undefined || this.#type === "message") this.#read(this.#data);
    }
    this.#data = "";
    this.#dataLines = 0;
    this.#id = undefined;
    this.#type = undefined;
  }

  /** Notes the request a JSON-RPC response in `data` answers. */
  #read(data: string): void {
    if (data === "" || this.#waiting.size === 0) return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return; // an SSE reader drops it too
    }
    if (typeof message !== "object" || message === null) return;
    const { jsonrpc, id } = message as { jsonrpc?: unknown; id?: unknown };
    if (jsonrpc !== "2.0" || (typeof id !== "number" && typeof id !== "string")) return;
    if ("result" in message) this.#sawResult = true;
    else if (!("error" in message)) return; // a request of the upstream's
    this.#waiting.delete(Number(id));
  }
}
