/**
 * One stdio process spoken to in 2026-07-28 by several requests at once:
 * each request is written as one line under an id of the process's own (a
 * counter, so concurrent callers never collide) and answered with a
 * synthesized SSE `Response` carrying exactly the messages that belong to
 * it: its answer (by id), its progress (by its progress token, renumbered
 * likewise), its listen stream's messages (by `subscriptionId`), and log
 * messages when it is the only request in flight that asked for them.
 * Anything else is dropped and counted; nothing is ever delivered to
 * another request. It does not start, pool or choose processes
 * (modern_stdio_endpoint.ts does).
 * @module
 */

import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import { isPlainObject, type RequestId } from "../../jsonrpc/messages.ts";
import { ENVELOPE_KEYS } from "../../jsonrpc/modern_claim.ts";
import { utf8Length } from "../../jsonrpc/utf8_length.ts";

/** The `_meta` key that names the listen request a message of its stream belongs to. */
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

/** The message shape the process transport reads and writes. */
type Message = Record<string, unknown>;

/** What a {@linkcode ModernProcess} writes to and hears from (process_group_transport.ts). */
export interface ProcessLine {
  /** Writes one message as a line; rejects when the process cannot take it. */
  send(message: Message): Promise<void>;
  /** Set by the process: each message read. */
  onmessage?: (message: Message) => void;
  /** Set by the process: told once when the process is gone (or retiring). */
  onclose?: () => void;
}

/** One request in flight and the body its messages go to. */
interface Route {
  /** The caller's id. */
  readonly id: RequestId;
  /** The caller's progress token, when it gave one (the process sees the route's own number). */
  readonly token: string | number | undefined;
  /** True when its envelope asked for log messages. */
  readonly logs: boolean;
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** Stops listening to the caller's signal. */
  unlisten(): void;
  /** Told once: the answer, or undefined when the request ended without one. */
  settled?(answer: Message | undefined): void;
}

const encoder = new TextEncoder();

/**
 * The 2026-07-28 requests of one process.
 *
 * @example
 * ```ts
 * import { ModernProcess } from "./modern_process.ts";
 * const written: object[] = [];
 * const line = { send: (message: object) => Promise.resolve(void written.push(message)) };
 * const process = new ModernProcess(line, {
 *   maxMessageBytes: 4_194_304,
 *   onDropped: () => {},
 * });
 * const response = await process.post('{"jsonrpc":"2.0","id":"a","method":"tools/list","params":{}}', AbortSignal.timeout(1_000));
 * console.log(response.headers.get("content-type"), written.length); // text/event-stream 1
 * ```
 */
export class ModernProcess {
  readonly #line: ProcessLine;
  readonly #settings: { maxMessageBytes: number; onDropped(): void };
  /** Requests in flight, by the number the process knows them by. */
  readonly #routes = new Map<number, Route>();
  #next = 1;
  #closed = false;

  /** Requests over `line`; `onDropped` counts each message no request may take. */
  constructor(line: ProcessLine, settings: { maxMessageBytes: number; onDropped(): void }) {
    this.#line = line;
    this.#settings = settings;
    line.onmessage = (message) => this.#receive(message);
    line.onclose = () => this.#close();
  }

  /** True once the process is gone: every request in flight ended without its answer. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Requests in flight (an open listen stream counts until it ends). */
  get inFlight(): number {
    return this.#routes.size;
  }

  /**
   * Writes the JSON-RPC message `body`: a request's answer is a
   * `text/event-stream` response of its messages, ended by its answer (or
   * without it when the process ends); a notification's is a `202`.
   * Rejects when the process is gone or the line is over the bound;
   * `signal` cancels the request upstream and ends the body. `settled` is
   * told the answer once (undefined: the request ended without one).
   */
  async post(
    body: string,
    signal: AbortSignal,
    settled?: (answer: Message | undefined) => void,
  ): Promise<Response> {
    if (this.#closed) throw new Error("The upstream process has ended");
    if (utf8Length(body) > this.#settings.maxMessageBytes) {
      throw new Error("The request is over the upstream's maxMessageBytes");
    }
    const message = JSON.parse(body) as Message;
    const id = message.id as RequestId | undefined;
    if (typeof message.method !== "string" || id === undefined || id === null) {
      await this.#line.send(message);
      return new Response(null, { status: 202 });
    }
    signal.throwIfAborted();
    const number = this.#next++;
    const params = isPlainObject(message.params) ? { ...message.params } : {};
    const meta = isPlainObject(params._meta) ? { ...params._meta } : {};
    const token = meta.progressToken as string | number | undefined;
    if (token !== undefined) meta.progressToken = number;
    params._meta = meta;
    const abort = () => this.#cancel(number);
    let route!: Route;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        route = {
          id,
          token,
          logs: typeof meta[ENVELOPE_KEYS.logLevel] === "string",
          controller,
          unlisten: () => signal.removeEventListener("abort", abort),
          settled,
        };
      },
      // The reader stopped before the answer (the caller went): the request is cancelled.
      cancel: () => this.#cancel(number),
    });
    this.#routes.set(number, route);
    signal.addEventListener("abort", abort, { once: true });
    try {
      await this.#line.send({ ...message, id: number, params });
    } catch (error) {
      this.#end(number);
      throw error;
    }
    return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } });
  }

  /** Ends request `number`'s body (once) after `answer`, if any; the process keeps running. */
  #end(number: number, answer?: Message): void {
    const route = this.#routes.get(number);
    if (route === undefined) return;
    this.#routes.delete(number);
    route.unlisten();
    if (answer !== undefined) this.#deliver(route, answer);
    route.settled?.(answer);
    try {
      route.controller.close();
    } catch {
      // Already cancelled by its reader.
    }
  }

  /** The caller went before the answer: the process is told, the body ends. */
  #cancel(number: number): void {
    if (!this.#routes.has(number)) return;
    this.#end(number);
    if (this.#closed) return;
    const params = { requestId: number, reason: "The caller cancelled the request" };
    void this.#line.send({ jsonrpc: "2.0", method: "notifications/cancelled", params })
      .catch(() => {});
  }

  #deliver(route: Route, message: Message): void {
    try {
      route.controller.enqueue(encoder.encode(`data: ${JSON.stringify(message)}\n\n`));
    } catch {
      // Its reader cancelled it meanwhile.
    }
  }

  #receive(message: Message): void {
    if (typeof message.method === "string") {
      if (message.id !== undefined) return this.#refuse(message.id as RequestId);
      return this.#notification(message);
    }
    const number = message.id;
    const route = typeof number === "number" ? this.#routes.get(number) : undefined;
    if (route === undefined) return this.#settings.onDropped();
    this.#end(number as number, { ...message, id: route.id });
  }

  /** A notification goes to the one request it belongs to, or nowhere (counted). */
  #notification(message: Message): void {
    const params = isPlainObject(message.params) ? message.params : {};
    const meta = isPlainObject(params._meta) ? params._meta : undefined;
    const subscription = meta?.[SUBSCRIPTION_ID];
    if (subscription !== undefined) {
      const route = typeof subscription === "number" ? this.#routes.get(subscription) : undefined;
      if (route === undefined) return this.#settings.onDropped();
      const restored = { ...params, _meta: { ...meta, [SUBSCRIPTION_ID]: route.id } };
      return this.#deliver(route, { ...message, params: restored });
    }
    if (message.method === "notifications/progress") {
      const token = params.progressToken;
      const route = typeof token === "number" ? this.#routes.get(token) : undefined;
      if (route === undefined || route.token === undefined) return this.#settings.onDropped();
      return this.#deliver(route, {
        ...message,
        params: { ...params, progressToken: route.token },
      });
    }
    if (message.method === "notifications/message") {
      // stdio carries no request a log message belongs to: only the one asker can own it.
      const askers = [...this.#routes.values()].filter((route) => route.logs);
      if (askers.length !== 1) return this.#settings.onDropped();
      return this.#deliver(askers[0], message);
    }
    this.#settings.onDropped();
  }

  /** 2026-07-28 servers ask through `input_required`: a request from the process is refused. */
  #refuse(id: RequestId): void {
    this.#settings.onDropped();
    const error = {
      code: ErrorCode.MethodNotFound,
      message: "The gateway takes no requests from a 2026-07-28 upstream",
    };
    void this.#line.send({ jsonrpc: "2.0", id, error }).catch(() => {});
  }

  /** The process is gone: every body in flight ends without its answer. */
  #close(): void {
    this.#closed = true;
    for (const number of [...this.#routes.keys()]) this.#end(number);
  }
}
