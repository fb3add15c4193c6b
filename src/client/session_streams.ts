/**
 * Reading what a 2025 server sends on one HTTP response: an SSE stream's
 * messages, each delivered with the request it came for, the answers it
 * carried crossed off, and where it may be resumed from; and a JSON body
 * read within a size bound. It sends nothing and never reconnects
 * (http_session_transport.ts does).
 * @module
 */

import { isPlainObject, type RequestId } from "../jsonrpc/messages.ts";
import type { MessageExtra } from "./message_transport.ts";
import { OversizedEvent, readSseEvents } from "./sse_events.ts";

/** What one request's (or the listening) stream is followed for, across its resumptions. */
export interface StreamWatch {
  /** The requests not answered yet: an answer on the stream removes its id. */
  waiting: Set<RequestId>;
  /** The request its messages came for (a stream of one request). */
  related: RequestId | undefined;
  /** The listening stream (its messages came for no request). */
  listening?: boolean;
}

/** How a stream ended. */
export interface StreamEnd {
  /** The last event id read, if any. */
  lastEventId?: string;
  /** Set when requests are left waiting and the stream may be resumed from there. */
  resumeFrom?: string;
  /** It broke on a message over the bound. */
  oversized: boolean;
}

/** Where a {@linkcode StreamReader} hands what it read. */
export interface StreamSink {
  /** The largest event, bytes. */
  maxEventBytes: number;
  /** One message, with what is known of it. */
  deliver(message: Record<string, unknown>, extra: MessageExtra): void;
  /** An event that is not a JSON-RPC message (skipped). */
  invalid(error: Error): void;
  /** The server's `retry:`, ms. */
  retry(ms: number): void;
}

/**
 * Reads one SSE response for a {@linkcode StreamWatch}.
 *
 * @example
 * ```ts
 * import { StreamReader } from "./session_streams.ts";
 * const watch = { waiting: new Set([1]), related: 1 };
 * const reader = new StreamReader(watch, {
 *   maxEventBytes: 1024,
 *   deliver: (message) => console.log(message),
 *   invalid: () => {},
 *   retry: () => {},
 * });
 * await reader.read(new Response('data: {"jsonrpc":"2.0","id":1,"result":{}}\n\n'));
 * console.log(watch.waiting.size); // 0
 * ```
 */
export class StreamReader {
  readonly #watch: StreamWatch;
  readonly #sink: StreamSink;

  /** Follows `watch`, handing messages to `sink`. */
  constructor(watch: StreamWatch, sink: StreamSink) {
    this.#watch = watch;
    this.#sink = sink;
  }

  /** Reads `response`'s body to its end (or its break). */
  async read(response: Response): Promise<StreamEnd> {
    const reader = response.body!.getReader();
    let lastEventId: string | undefined;
    let oversized = false;
    try {
      for await (const event of readSseEvents(reader, this.#sink.maxEventBytes)) {
        if (event.retry !== undefined) this.#sink.retry(event.retry);
        // An empty id resets it (the WHATWG rule): nothing to resume from.
        if (event.id !== undefined) lastEventId = event.id === "" ? undefined : event.id;
        if (event.data === undefined || event.data === "") continue;
        this.#take(event.data);
      }
    } catch (error) {
      if (error instanceof OversizedEvent) {
        oversized = true;
        this.#sink.invalid(error);
      }
    } finally {
      void reader.cancel().catch(() => {});
    }
    const waiting = this.#watch.waiting.size > 0 || this.#watch.listening === true;
    const resumeFrom = !oversized && waiting ? lastEventId : undefined;
    return { lastEventId, resumeFrom, oversized };
  }

  #take(data: string): void {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return this.#sink.invalid(new Error("An event that is not JSON"));
    }
    if (!isPlainObject(message)) {
      return this.#sink.invalid(new Error("An event that is not a JSON-RPC message"));
    }
    if (!("method" in message)) {
      const id = message.id;
      if (typeof id === "string" || typeof id === "number") this.#watch.waiting.delete(id);
      return this.#sink.deliver(message, {});
    }
    const related = this.#watch.related;
    this.#sink.deliver(message, related === undefined ? {} : { relatedRequestId: related });
  }
}

/** Decodes whole bodies (never a stream of them: it keeps no state between calls). */
const UTF8 = new TextDecoder();

/**
 * The text of `response`'s body, failing past `maxBytes` (the body then
 * cancelled).
 *
 * @example
 * ```ts
 * import { readBoundedText } from "./session_streams.ts";
 * console.log(await readBoundedText(new Response("{}"), 1024)); // {}
 * ```
 */
export async function readBoundedText(response: Response, maxBytes = Infinity): Promise<string> {
  if (response.body === null) return "";
  if (maxBytes === Infinity) return await response.text();
  const reader = response.body.getReader();
  // The chunks are kept and decoded once, by one decoder for every body: a body within the
  // bound is as cheap to hold as its text, and making a decoder per body is not.
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      void reader.cancel().catch(() => {});
      throw new OversizedEvent(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return UTF8.decode(chunks[0]);
  const whole = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  return UTF8.decode(whole);
}
