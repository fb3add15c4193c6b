/**
 * The Streamable HTTP side of a 2025 session (a {@linkcode MessageTransport}):
 * each message POSTed with the session id and revision, its answer read as
 * JSON or as an SSE stream whose messages are marked with the request they
 * came for, a stream cut before its answers resumed with `Last-Event-ID`
 * (else its requests answered "unanswered"), the listening `GET` stream
 * opened once the session is and reopened when it drops, every message
 * bounded in size, redirects refused or followed within the origin, and
 * `DELETE` to end. Failures are rpc_errors.ts's kinds. It does not match
 * answers to requests (session_client.ts does).
 * @module
 */

import { isPlainObject, type RequestId } from "../jsonrpc/messages.ts";
import type { MessageExtra, MessageTransport } from "./message_transport.ts";
import { HttpStatusError } from "./rpc_errors.ts";
import { readBoundedText, StreamReader, type StreamWatch } from "./session_streams.ts";

/** How a dropped stream is opened again. */
export interface ReconnectOptions {
  /** The first wait, ms (a server's `retry:` replaces it). */
  initialDelayMs: number;
  /** The longest wait, ms. */
  maxDelayMs: number;
  /** Each failed attempt multiplies the wait by this. */
  growFactor: number;
  /** Attempts in a row before giving up. */
  maxRetries: number;
}

/**
 * What an {@linkcode HttpSessionTransport} is made with.
 *
 * @example
 * ```ts
 * import type { HttpSessionOptions } from "./http_session_transport.ts";
 * const options: HttpSessionOptions = { headers: { authorization: "Bearer t" }, maxMessageBytes: 4_194_304 };
 * ```
 */
export interface HttpSessionOptions {
  /** Headers sent with every request (credentials). */
  headers?: Record<string, string>;
  /** The fetch used. Default: the global fetch. */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** The largest message read (a JSON body, one SSE event), bytes. Default: unbounded. */
  maxMessageBytes?: number;
  /** Follows a redirect to `url`'s origin (307, 308; 301-303 of a GET). Default: no redirect is followed. */
  followSameOriginRedirects?: boolean;
  /** How dropped streams are opened again. Default: 1 s, growing 1.5×, at most 30 s, 2 tries. */
  reconnect?: ReconnectOptions;
}

const RECONNECT: ReconnectOptions = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  growFactor: 1.5,
  maxRetries: 2,
};

/** What every POST adds to the session's headers. */
const POST_HEADERS: Record<string, string> = {
  "content-type": "application/json",
  "accept": "application/json, text/event-stream",
};

/** Redirects followed in a row at most. */
const MAX_REDIRECTS = 5;

/** The ids of the requests in a message (one message or a batch). */
function requestIds(message: object): RequestId[] {
  const ids: RequestId[] = [];
  for (const one of Array.isArray(message) ? message : [message]) {
    if (!isPlainObject(one) || typeof one.method !== "string") continue;
    if (typeof one.id === "string" || typeof one.id === "number") ids.push(one.id);
  }
  return ids;
}

/**
 * A Streamable HTTP transport for one 2025 session.
 *
 * @example
 * ```ts ignore (needs a live server)
 * const transport = new HttpSessionTransport(new URL("http://127.0.0.1:9000/mcp"), {});
 * const client = new SessionClient(transport, { clientInfo, capabilities: {} });
 * await client.connect();
 * ```
 */
export class HttpSessionTransport implements MessageTransport {
  readonly #url: URL;
  readonly #options: HttpSessionOptions;
  readonly #fetch: NonNullable<HttpSessionOptions["fetch"]>;
  readonly #reconnect: ReconnectOptions;
  /** Aborts the listening and resumed streams (long-lived: one listener each) at close. */
  readonly #abort = new AbortController();
  /**
   * The POSTs in flight, each with a signal of its own that close aborts: a
   * fetch given one long-lived signal leaves a listener on it until the GC
   * reclaims the request (undici), so adding one grows slower with every call.
   */
  readonly #posts = new Set<AbortController>();
  /** A POST's headers, built once per session id and revision. */
  #postHeaders: Record<string, string> | undefined;
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  /** The server's `retry:`, ms, once it sent one. */
  #serverRetryMs: number | undefined;
  #closed = false;
  /** Set by the client. */
  onmessage?: (message: object, extra?: MessageExtra) => void;
  /** Set by the client. */
  onerror?: (error: Error) => void;
  /** Set by the client. */
  onclose?: () => void;
  /**
   * Told when a response stream ends or breaks (not when closed):
   * `oversized` when it broke on a message over the bound, `unanswered`
   * when requests it carried were answered "unanswered".
   */
  onStreamEnd?: (oversized: boolean, unanswered: boolean) => void;

  /** A transport to `url`. */
  constructor(url: URL, options: HttpSessionOptions = {}) {
    this.#url = url;
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#reconnect = options.reconnect ?? RECONNECT;
  }

  /** The session id the server gave, once it gave one. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
    this.#postHeaders = undefined;
  }

  /** A POST's headers, as `#headers` makes them, kept until the session id or revision change. */
  #postHeadersNow(): Record<string, string> {
    return this.#postHeaders ??= Object.fromEntries(this.#headers(POST_HEADERS));
  }

  #headers(extra: Record<string, string>): Headers {
    const headers = new Headers(this.#options.headers);
    if (this.#sessionId !== undefined) headers.set("mcp-session-id", this.#sessionId);
    if (this.#protocolVersion !== undefined) {
      headers.set("mcp-protocol-version", this.#protocolVersion);
    }
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return headers;
  }

  /** Fetches with redirects refused, or followed within the origin when asked. */
  async #request(init: RequestInit, signal = this.#abort.signal): Promise<Response> {
    let url = this.#url;
    init.redirect = "manual";
    init.signal = signal;
    for (let hop = 0;; hop++) {
      const response = await this.#fetch(url, init);
      const redirect = response.type === "opaqueredirect" ||
        (response.status >= 300 && response.status < 400);
      if (!redirect) return response;
      await response.body?.cancel().catch(() => {});
      const next = this.#followable(response, url, init.method ?? "GET");
      if (next === undefined || hop === MAX_REDIRECTS) {
        throw new Error("The server answered with a redirect, which is not followed");
      }
      url = next;
    }
  }

  #followable(response: Response, from: URL, method: string): URL | undefined {
    if (this.#options.followSameOriginRedirects !== true) return undefined;
    const keepsMethod = response.status === 307 || response.status === 308;
    if (!keepsMethod && method !== "GET") return undefined;
    const location = response.headers.get("location");
    if (location === null) return undefined;
    try {
      const next = new URL(location, from);
      return next.origin === this.#url.origin ? next : undefined;
    } catch {
      return undefined;
    }
  }

  async send(message: object): Promise<void> {
    try {
      await this.#send(message);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (!this.#closed) this.onerror?.(failure);
      throw failure;
    }
  }

  async #send(message: object): Promise<void> {
    if (this.#closed) throw new Error("The transport is closed");
    const post = new AbortController();
    this.#posts.add(post);
    let followed = false;
    try {
      const response = await this.#request({
        method: "POST",
        headers: this.#postHeadersNow(),
        body: JSON.stringify(message),
      }, post.signal);
      followed = await this.#answer(message, response, post);
    } finally {
      if (!followed) this.#posts.delete(post);
    }
  }

  /**
   * Takes the response to POST `message`; true when its SSE body is being
   * followed (`post` is then let go once the stream ends).
   */
  async #answer(message: object, response: Response, post: AbortController): Promise<boolean> {
    const sessionId = response.headers.get("mcp-session-id");
    if (sessionId !== null && sessionId !== this.#sessionId) {
      this.#sessionId = sessionId;
      this.#postHeaders = undefined;
    }
    if (!response.ok) {
      const text = await readBoundedText(response, 1_024).catch(() => "");
      throw new HttpStatusError(response.status, text);
    }
    if (response.status === 202) {
      await response.body?.cancel().catch(() => {});
      if ((message as { method?: unknown }).method === "notifications/initialized") {
        void this.#listen(undefined, 0);
      }
      return false;
    }
    const ids = requestIds(message);
    if (ids.length === 0) {
      await response.body?.cancel().catch(() => {});
      return false;
    }
    const type = response.headers.get("content-type") ?? "";
    if (type.includes("text/event-stream")) {
      void this.#follow(response, ids).finally(() => this.#posts.delete(post));
      return true;
    }
    if (!type.includes("application/json")) {
      await response.body?.cancel().catch(() => {});
      throw new HttpStatusError(-1, `Unexpected content type: ${type}`);
    }
    const text = await readBoundedText(response, this.#options.maxMessageBytes);
    const parsed: unknown = JSON.parse(text);
    for (const one of Array.isArray(parsed) ? parsed : [parsed]) {
      if (isPlainObject(one)) this.onmessage?.(one);
    }
    return false;
  }

  /** A reader of one stream's events, delivering with `related` as their request. */
  #reader(watch: StreamWatch): StreamReader {
    return new StreamReader(watch, {
      maxEventBytes: this.#options.maxMessageBytes ?? Infinity,
      deliver: (message, extra) => this.onmessage?.(message, extra),
      invalid: (error) => this.onerror?.(error),
      retry: (ms) => this.#serverRetryMs = ms,
    });
  }

  /**
   * Reads the SSE answer to requests `ids`; when it ends with some
   * unanswered, resumes it once from its last event id, else (or when the
   * resume fails) answers them "unanswered".
   */
  async #follow(response: Response, ids: RequestId[]): Promise<void> {
    const watch: StreamWatch = {
      waiting: new Set(ids),
      related: ids.length === 1 ? ids[0] : undefined,
    };
    let end = await this.#reader(watch).read(response);
    for (let attempt = 0; end.resumeFrom !== undefined && !this.#closed; attempt++) {
      if (attempt === this.#reconnect.maxRetries) break;
      await this.#wait(attempt);
      const resumed = await this.#resume(end.resumeFrom);
      if (resumed === undefined) break;
      end = await this.#reader(watch).read(resumed);
    }
    if (this.#closed) return;
    const unanswered = end.oversized ? [] : [...watch.waiting];
    for (const id of unanswered) {
      this.onmessage?.({
        jsonrpc: "2.0",
        id,
        error: { code: -32603, message: "The response stream ended without the answer" },
      }, { unanswered: true, relatedRequestId: id });
    }
    this.onStreamEnd?.(end.oversized, unanswered.length > 0);
  }

  /** A `GET` resuming from `lastEventId`; undefined when refused. */
  async #resume(lastEventId: string): Promise<Response | undefined> {
    try {
      const response = await this.#request({
        method: "GET",
        headers: this.#headers({ "accept": "text/event-stream", "last-event-id": lastEventId }),
      });
      const sse = response.headers.get("content-type")?.includes("text/event-stream") === true;
      if (response.ok && sse) return response;
      await response.body?.cancel().catch(() => {});
    } catch {
      // Refused as much as a 4xx: its requests are answered "unanswered".
    }
    return undefined;
  }

  /**
   * Opens (or reopens from `lastEventId`) the listening stream and reads
   * it; a stream that ends or drops is opened again, up to the tries in a
   * row the reconnect options allow. A server without one (405) is fine.
   */
  async #listen(lastEventId: string | undefined, failures: number): Promise<void> {
    if (this.#closed) return;
    let response: Response;
    try {
      const headers = this.#headers({ "accept": "text/event-stream" });
      if (lastEventId !== undefined) headers.set("last-event-id", lastEventId);
      response = await this.#request({ method: "GET", headers });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        if (response.status === 405) return;
        throw new HttpStatusError(response.status, "the listening stream was refused");
      }
    } catch (error) {
      if (this.#closed) return;
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      if (failures + 1 >= this.#reconnect.maxRetries) return;
      await this.#wait(failures);
      return void this.#listen(lastEventId, failures + 1);
    }
    const end = await this.#reader({ waiting: new Set(), related: undefined, listening: true })
      .read(response);
    if (this.#closed) return;
    this.onStreamEnd?.(end.oversized, false);
    if (end.oversized) return;
    await this.#wait(0);
    return void this.#listen(end.lastEventId ?? lastEventId, 0);
  }

  /** Waits before attempt `attempt` of a reconnection (or until closed). */
  #wait(attempt: number): Promise<void> {
    const { initialDelayMs, growFactor, maxDelayMs } = this.#reconnect;
    const ms = this.#serverRetryMs ??
      Math.min(initialDelayMs * Math.pow(growFactor, attempt), maxDelayMs);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#abort.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#abort.signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Ends the session with `DELETE` (a server that does not allow it, 405, is fine). */
  async terminate(): Promise<void> {
    if (this.#sessionId === undefined || this.#closed) return;
    const response = await this.#request({ method: "DELETE", headers: this.#headers({}) });
    await response.body?.cancel().catch(() => {});
    if (!response.ok && response.status !== 405) {
      throw new HttpStatusError(response.status, "the session was not ended");
    }
    this.#sessionId = undefined;
    this.#postHeaders = undefined;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const reason = new Error("The transport is closed");
    this.#abort.abort(reason);
    for (const post of this.#posts) post.abort(reason);
    this.#posts.clear();
    this.onclose?.();
    return Promise.resolve();
  }
}
