/**
 * The reading side of a stdio upstream, apart from the process: its stdout
 * cut into lines (line_framer.ts; one JSON-RPC message each, bounded in
 * size) and parsed,
 * and a ledger of the exchanges in flight (requests either way awaiting an
 * answer, resource subscriptions held) that says when a session is idle.
 * It neither delivers nor writes: process_group_transport.ts does.
 * @module
 */

import { LineFramer } from "../../jsonrpc/line_framer.ts";
import { classifyMessage, type JsonRpcMessage, type RequestId } from "../../jsonrpc/messages.ts";

/** Who a {@linkcode LineReader} tells what it read. */
export interface LineListener {
  /** One message, in the order read. */
  message(message: JsonRpcMessage): void;
  /** A line that is not a JSON-RPC message (skipped). */
  invalid(): void;
  /** A line over the limit (the reader drops what it held of it). */
  oversized(): void;
}

/**
 * Newline-delimited JSON-RPC, read chunk by chunk.
 *
 * @example
 * ```ts
 * import { LineReader } from "./stdio_lines.ts";
 * const reader = new LineReader(1024, {
 *   message: (message) => console.log(message),
 *   invalid: () => {},
 *   oversized: () => {},
 * });
 * reader.read(new TextEncoder().encode('{"jsonrpc":"2.0","method":"ping","id":1}\n'));
 * ```
 */
export class LineReader {
  readonly #framer: LineFramer;
  readonly #listener: LineListener;

  /** A reader of lines up to `maxBytes`, telling `listener`. */
  constructor(maxBytes: number, listener: LineListener) {
    this.#framer = new LineFramer(maxBytes);
    this.#listener = listener;
  }

  /** Reads `chunk`: each line it ends becomes a message, the rest waits for the next chunk. */
  read(chunk: Uint8Array): void {
    for (const line of this.#framer.push(chunk)) {
      if (line.tooLong) this.#listener.oversized();
      else this.#parse(line.text);
    }
  }

  #parse(line: string): void {
    let classified;
    try {
      classified = classifyMessage(JSON.parse(line));
    } catch {
      classified = undefined;
    }
    if (classified === undefined) return this.#listener.invalid();
    this.#listener.message(classified.message);
  }
}

/**
 * The exchanges in flight on one session, from the client's side: a
 * session is busy while a request either way awaits its answer or a
 * resource subscription is held (closing it would lose the updates).
 *
 * @example
 * ```ts
 * import { ExchangeLedger } from "./stdio_lines.ts";
 * const ledger = new ExchangeLedger();
 * ledger.sent({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "slow" } });
 * console.log(ledger.busy); // true
 * ledger.received({ jsonrpc: "2.0", id: 1, result: { content: [] } });
 * console.log(ledger.busy); // false
 * ```
 */
export class ExchangeLedger {
  /** Requests sent, unanswered. */
  readonly #asked = new Set<RequestId>();
  /** Requests received, unanswered. */
  readonly #owed = new Set<RequestId>();
  /** Subscribe requests sent, by id: their URI counts once answered with a result. */
  readonly #subscribing = new Map<RequestId, string>();
  readonly #subscriptions = new Set<string>();

  /** True while a request either way awaits its answer, or a subscription is held. */
  get busy(): boolean {
    return this.#asked.size > 0 || this.#owed.size > 0 || this.#subscriptions.size > 0;
  }

  /** Notes a message the client sent. */
  sent(message: JsonRpcMessage): void {
    const { id, method, params } = message as {
      id?: RequestId;
      method?: string;
      params?: { uri?: unknown; requestId?: RequestId };
    };
    if (method === undefined) {
      if (id !== undefined) this.#owed.delete(id);
      return;
    }
    if (id !== undefined) {
      this.#asked.add(id);
      if (method === "resources/subscribe" && typeof params?.uri === "string") {
        this.#subscribing.set(id, params.uri);
      }
    }
    // A cancelled request may never be answered; the client no longer waits for it.
    if (method === "notifications/cancelled" && params?.requestId !== undefined) {
      this.#asked.delete(params.requestId);
      this.#subscribing.delete(params.requestId);
    }
    if (method === "resources/unsubscribe" && typeof params?.uri === "string") {
      this.#subscriptions.delete(params.uri);
    }
  }

  /** Notes a message the client received. */
  received(message: JsonRpcMessage): void {
    const { id, method } = message as { id?: RequestId; method?: string };
    if (id === undefined) return;
    if (method !== undefined) {
      this.#owed.add(id);
      return;
    }
    this.#asked.delete(id);
    const uri = this.#subscribing.get(id);
    if (uri === undefined) return;
    this.#subscribing.delete(id);
    if ("result" in message) this.#subscriptions.add(uri);
  }
}
