/**
 * One stdio client's messages, posted to the handler in process as HTTP
 * requests so every check and both eras run unchanged: 2025 messages in one
 * session (its id and version learned from `initialize`, a listening stream
 * opened after `notifications/initialized`), 2026-07-28 requests with the
 * headers their envelope implies (a `notifications/cancelled` naming one is
 * posted in its era).
 * It frames nothing and owns no streams: lines in, {@linkcode WriteLine} out.
 * @module
 */

import type { McpHandler } from "../../handler.ts";
import { attachPrincipal } from "../../auth/principal_attachment.ts";
import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import {
  classifyMessage,
  errorResponse,
  isPlainObject,
  type RequestId,
  requestIdKey,
} from "../../jsonrpc/messages.ts";
import type { Principal } from "../../protocol/context/request_context.ts";
import { type Pace, relayAnswer, type WriteLine } from "./answers.ts";
import type { ProgressPacer } from "./pacing.ts";
import { claimedVersion, modernHeaders } from "./modern_headers.ts";

const ENDPOINT = "http://localhost/mcp";
const ACCEPT = "application/json, text/event-stream";

/** What a {@linkcode StdioSession} needs. */
export interface StdioSessionOptions {
  /** The principal attached to every request (read by `authenticate: attachedPrincipal`). */
  principal?: Principal;
  /** Gets an error nothing else reports (a relay that failed). */
  onError: (error: unknown) => void;
  /** Paces a call's answer after its progress; without it answers are written at once. */
  pacer?: ProgressPacer;
}

/**
 * Routes one client's parsed lines to `handler` and their answers to
 * `write`; {@linkcode settled} resolves when every answer in flight ended.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { StdioSession } from "./session.ts";
 * const handler = createMcpHandler({ name: "demo", version: "1.0.0", tools: [] });
 * const session = new StdioSession(handler, (line) => console.error(line), { onError: console.error });
 * await session.receive('{"jsonrpc":"2.0","id":1,"method":"ping"}');
 * ```
 */
export class StdioSession {
  #handler: McpHandler;
  #write: WriteLine;
  #options: StdioSessionOptions;
  #sessionId: string | undefined;
  #legacyVersion: string | undefined;
  #modernVersion: string | undefined;
  /**
   * Requests in flight with an id, by id key: the version a 2026-07-28 one
   * claims, and whether a `notifications/cancelled` named it (its answer is
   * then dropped: a cancelled request gets no response, as over HTTP).
   */
  #calls = new Map<string, Call>();
  #running = new Set<Promise<void>>();
  /** Requests handed to the handler that it has not answered (not even with headers) yet. */
  #unanswered = new Set<Promise<unknown>>();

  constructor(handler: McpHandler, write: WriteLine, options: StdioSessionOptions) {
    this.#handler = handler;
    this.#write = write;
    this.#options = options;
  }

  /** Answers in flight (2025 calls, 2026 requests, the listening stream). */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Resolves when the handler has answered (at least begun to) every line
   * handed to it, so a shutdown that follows refuses none of them.
   */
  async answered(): Promise<void> {
    while (this.#unanswered.size > 0) await Promise.allSettled([...this.#unanswered]);
  }

  /** Resolves when every answer in flight has ended. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /**
   * Takes one line. Resolves once it was handed to the handler (an
   * `initialize` once answered, so its session serves what follows); the
   * answer streams on in the background.
   */
  async receive(line: string): Promise<void> {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return this.#error(null, ErrorCode.ParseError, "Parse error");
    }
    try {
      await this.#take(line, value);
    } catch (error) {
      // One line's failure is that line's: reported, its request answered, the session serves on.
      this.#options.onError(error);
      if (isPlainObject(value) && typeof value.method === "string" && isId(value.id)) {
        this.#error(value.id, ErrorCode.InternalError, "Internal error");
      }
    }
  }

  async #take(line: string, value: unknown): Promise<void> {
    if (Array.isArray(value)) return this.#post(line, this.#legacyHeaders(), undefined);
    const classified = classifyMessage(value);
    if (classified === undefined) {
      const id = isPlainObject(value) && isId(value.id) ? value.id : null;
      return this.#error(id, ErrorCode.InvalidRequest, "Invalid Request");
    }
    if (classified.kind === "response") {
      if (this.#options.pacer?.receive(classified.message) === true) return;
      return this.#post(line, this.#legacyHeaders(), undefined);
    }
    const { method, params } = classified.message;
    const claim = claimedVersion(params);
    if (claim !== undefined) this.#modernVersion ??= claim;
    if (classified.kind === "notification") {
      const cancelled = method === "notifications/cancelled"
        ? this.#cancelCallNamed(params)
        : undefined;
      const modern = claim ?? cancelled ??
        (this.#sessionId === undefined ? this.#modernVersion : undefined);
      const headers = modern === undefined
        ? this.#legacyHeaders()
        : this.#modernHeaders(modern, method, params);
      await this.#post(line, headers, undefined);
      if (method === "notifications/initialized" && this.#sessionId !== undefined) this.#listen();
      return;
    }
    const id = classified.message.id;
    if (claim !== undefined) return this.#postModern(line, claim, method, params, id);
    if (method === "initialize") return await this.#initialize(line, id);
    return this.#postCall(line, this.#legacyHeaders(), id, undefined, this.#pace("legacy"));
  }

  /**
   * How a call's answer waits after its progress: in a 2025 session for
   * the client's reply to a ping, in 2026-07-28 for a pause.
   */
  #pace(era: "legacy" | "modern"): Pace | undefined {
    const pacer = this.#options.pacer;
    if (pacer === undefined) return undefined;
    return era === "legacy" ? () => pacer.acknowledged() : (at) => pacer.paused(at);
  }

  async #initialize(line: string, id: RequestId): Promise<void> {
    const response = await this.#handler(this.#request(line, this.#legacyHeaders()));
    const sessionId = response.headers.get("mcp-session-id");
    if (response.ok && sessionId !== null) this.#sessionId = sessionId;
    await relayAnswer(response, id, (answer) => {
      const message = JSON.parse(answer);
      const version = message?.id === id ? message.result?.protocolVersion : undefined;
      if (typeof version === "string") this.#legacyVersion = version;
      this.#write(answer);
    });
  }

  #postModern(
    line: string,
    version: string,
    method: string,
    params: unknown,
    id: RequestId,
  ): Promise<void> {
    const headers = this.#modernHeaders(version, method, params);
    return this.#postCall(line, headers, id, version, this.#pace("modern"));
  }

  /** Posts a request with an id, tracked until answered so a cancellation can drop its answer. */
  #postCall(
    line: string,
    headers: Record<string, string>,
    id: RequestId,
    version: string | undefined,
    pace: Pace | undefined,
  ): Promise<void> {
    const key = requestIdKey(id);
    const call: Call = { version, cancelled: false };
    this.#calls.set(key, call);
    return this.#post(line, headers, id, pace, () => {
      if (this.#calls.get(key) === call) this.#calls.delete(key);
    }, () => call.cancelled);
  }

  /**
   * Marks the call a `notifications/cancelled` names as cancelled (its
   * answer will not be written); returns its version when it is a
   * 2026-07-28 call, so the cancellation is posted in that era (same
   * principal), where it aborts the call's `ctx.signal`.
   */
  #cancelCallNamed(params: unknown): string | undefined {
    if (!isPlainObject(params) || !isId(params.requestId)) return undefined;
    const call = this.#calls.get(requestIdKey(params.requestId));
    if (call === undefined) return undefined;
    call.cancelled = true;
    return call.version;
  }

  #listen(): void {
    this.#track((async () => {
      const response = await this.#handler(
        this.#request(undefined, this.#legacyHeaders(), "GET"),
      );
      if (response.headers.get("content-type")?.includes("text/event-stream")) {
        await relayAnswer(response, undefined, this.#write);
      } else await response.body?.cancel();
    })());
  }

  /** Hands `line` to the handler now; its answer is relayed in the background. */
  #post(
    line: string,
    headers: Record<string, string>,
    id: RequestId | undefined,
    pace?: Pace,
    done?: () => void,
    cancelled: () => boolean = () => false,
  ): Promise<void> {
    const answered = this.#handler(this.#request(line, headers));
    this.#unanswered.add(answered);
    answered.finally(() => this.#unanswered.delete(answered)).catch(() => {});
    this.#track(
      answered.then((response) => relayAnswer(response, id, this.#write, pace, cancelled))
        .catch((error) => {
          this.#options.onError(error);
          if (id !== undefined && !cancelled()) {
            this.#error(id, ErrorCode.InternalError, "Internal error");
          }
        }).finally(done),
    );
    return Promise.resolve();
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((error) => this.#options.onError(error));
    this.#running.add(tracked);
    tracked.finally(() => this.#running.delete(tracked));
  }

  #request(
    body: string | undefined,
    headers: Record<string, string>,
    method = "POST",
  ): Request {
    const request = new Request(ENDPOINT, {
      method,
      headers: method === "POST" ? { ...headers, "content-type": "application/json" } : headers,
      body,
    });
    if (this.#options.principal !== undefined) attachPrincipal(request, this.#options.principal);
    return request;
  }

  #legacyHeaders(): Record<string, string> {
    return {
      accept: ACCEPT,
      ...(this.#sessionId === undefined ? {} : { "mcp-session-id": this.#sessionId }),
      ...(this.#legacyVersion === undefined ? {} : { "mcp-protocol-version": this.#legacyVersion }),
    };
  }

  #modernHeaders(version: string, method: string, params: unknown): Record<string, string> {
    return {
      accept: ACCEPT,
      ...modernHeaders(
        version,
        method,
        params,
        (tool) => this.#handler.tools.headerParameters(tool),
      ),
    };
  }

  #error(id: RequestId | null, code: number, message: string): void {
    this.#write(JSON.stringify(errorResponse(id, code, message)));
  }
}

/** A request in flight (see `#calls`). */
interface Call {
  version: string | undefined;
  cancelled: boolean;
}

function isId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}
