/**
 * The test client of the sessionful era (2025-03-26 … 2025-11-25): initialize
 * with capabilities, the session id and negotiated version on every request,
 * server→client requests answered by POSTing the answer on the session,
 * cancellation by `notifications/cancelled`, a dropped or closed stream
 * resumed with `GET` + `Last-Event-ID`, `close()` as `DELETE`. It speaks to
 * the handler function directly; it has no listening (GET) stream of its own.
 * @module
 */

import type { JsonRpcRequest, RequestId } from "../jsonrpc/messages.ts";
import type { CallToolResult, ClientCapabilities } from "../protocol/types.ts";
import { withDeadline } from "./call_deadline.ts";
import { McpClientError } from "./client_error.ts";
import {
  answerServerRequest,
  capabilitiesOf,
  type ClientHandlers,
  UnansweredRequestError,
} from "./client_handlers.ts";
import type { CallOptions, CallOutcome, SessionStateReader, TestClient } from "./client_types.ts";
import {
  type Capture,
  exchange,
  type ExchangeHooks,
  type FetchHandler,
  refusal,
} from "./exchange.ts";

/** How many times one call may resume its stream before the client gives up. */
const MAX_RESUMES = 16;

/** What the legacy client is made from. */
export interface LegacyClientOptions {
  url: string;
  protocolVersion: string;
  handlers: ClientHandlers;
  capabilities?: ClientCapabilities;
  clientInfo: { name: string; version: string };
  headers: Record<string, string>;
  /** Each call's deadline, ms (0: none). */
  timeoutMs: number;
}

/** A 2025-era client with an open session. */
export class LegacyClient implements TestClient {
  readonly era = "2025" as const;
  readonly protocolVersion: string;
  readonly sessionId: string;
  readonly initializeResult: Record<string, unknown>;
  #handler: FetchHandler;
  #options: LegacyClientOptions;
  #nextId = 1;

  private constructor(
    handler: FetchHandler,
    options: LegacyClientOptions,
    sessionId: string,
    result: Record<string, unknown>,
  ) {
    this.#handler = handler;
    this.#options = options;
    this.sessionId = sessionId;
    this.initializeResult = result;
    this.protocolVersion = String(result.protocolVersion);
  }

  /** Initializes a session (and sends `notifications/initialized`). */
  static async open(handler: FetchHandler, options: LegacyClientOptions): Promise<LegacyClient> {
    const headers = LegacyClient.#headers(options, undefined, undefined);
    const request = new Request(options.url, {
      method: "POST",
      headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: options.protocolVersion,
          capabilities: capabilitiesOf(options.handlers, options.capabilities),
          clientInfo: options.clientInfo,
        },
      }),
    });
    const end = await withDeadline(
      {},
      options.timeoutMs,
      "initialize",
      (within) =>
        exchange(handler, request, {
          id: 0,
          options: within,
          capture: { progress: [], messages: [] },
          onServerRequest: () => Promise.resolve(),
          cancel: () => Promise.resolve(),
        }),
    );
    const status = end.http.status;
    if (end.response === undefined) throw new McpClientError(status, undefined, "no answer");
    if ("error" in end.response) throw new McpClientError(status, end.response.error);
    const sessionId = end.http.headers.get("mcp-session-id");
    if (sessionId === null) {
      throw new McpClientError(status, undefined, "initialize returned no Mcp-Session-Id");
    }
    const client = new LegacyClient(handler, options, sessionId, end.response.result);
    await client.notify("notifications/initialized");
    return client;
  }

  static #headers(
    options: LegacyClientOptions,
    sessionId: string | undefined,
    protocolVersion: string | undefined,
    extra: Record<string, string> = {},
  ): Headers {
    const headers = new Headers(options.headers);
    headers.set("accept", "application/json, text/event-stream");
    headers.set("content-type", "application/json");
    if (sessionId !== undefined) headers.set("mcp-session-id", sessionId);
    if (protocolVersion !== undefined) headers.set("mcp-protocol-version", protocolVersion);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return headers;
  }

  #post(body: unknown, extra?: Record<string, string>): Request {
    return new Request(this.#options.url, {
      method: "POST",
      headers: LegacyClient.#headers(this.#options, this.sessionId, this.protocolVersion, extra),
      body: JSON.stringify(body),
    });
  }

  /** The hooks of one call's exchanges: answers go back on the session, a cancel is a notification. */
  #hooks(id: RequestId | undefined, options: CallOptions, capture: Capture): ExchangeHooks {
    return {
      id,
      options,
      capture,
      onServerRequest: (request) => this.#answer(request),
      cancel: (reason) =>
        id === undefined ? Promise.resolve() : this.notify("notifications/cancelled", {
          requestId: id,
          reason: typeof reason === "string" ? reason : String(reason),
        }),
    };
  }

  async #answer(request: JsonRpcRequest): Promise<void> {
    let reply: Record<string, unknown>;
    try {
      const result = await answerServerRequest(
        this.#options.handlers,
        request.method,
        request.params ?? {},
      );
      reply = { jsonrpc: "2.0", id: request.id, result };
    } catch (error) {
      const code = error instanceof UnansweredRequestError ? error.code : -32603;
      reply = { jsonrpc: "2.0", id: request.id, error: { code, message: String(error) } };
    }
    const response = await this.#handler(this.#post(reply));
    await response.body?.cancel();
  }

  request<R = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CallOutcome<R>> {
    return withDeadline(
      options,
      this.#options.timeoutMs,
      method,
      (within) => this.#request<R>(method, params, within),
    );
  }

  async #request<R>(
    method: string,
    params: Record<string, unknown>,
    options: CallOptions,
  ): Promise<CallOutcome<R>> {
    const id = this.#nextId++;
    const withMeta = options.meta === undefined
      ? params
      : { ...params, _meta: { ...(params._meta as object), ...options.meta } };
    const capture: Capture = { progress: [], messages: [] };
    const hooks = this.#hooks(id, options, capture);
    let end = await exchange(
      this.#handler,
      this.#post({ jsonrpc: "2.0", id, method, params: withMeta }, options.headers),
      hooks,
    );
    let resumed = 0;
    while (end.response === undefined) {
      if (capture.lastEventId === undefined || resumed === MAX_RESUMES) {
        throw new McpClientError(200, undefined, `the stream of ${method} ended without an answer`);
      }
      resumed++;
      end = await exchange(this.#handler, this.#resumeRequest(capture.lastEventId), hooks);
    }
    if ("error" in end.response) throw new McpClientError(200, end.response.error);
    return {
      result: end.response.result as R,
      progress: capture.progress,
      messages: capture.messages,
      lastEventId: capture.lastEventId,
      resumed,
      rounds: 0,
    };
  }

  #resumeRequest(lastEventId: string): Request {
    const headers = LegacyClient.#headers(this.#options, this.sessionId, this.protocolVersion, {
      accept: "text/event-stream",
      "last-event-id": lastEventId,
    });
    headers.delete("content-type");
    return new Request(this.#options.url, { method: "GET", headers });
  }

  resume(lastEventId: string, options: CallOptions = {}): Promise<CallOutcome> {
    return withDeadline(
      options,
      this.#options.timeoutMs,
      "a resumed stream",
      (within) => this.#resume(lastEventId, within),
    );
  }

  async #resume(lastEventId: string, options: CallOptions): Promise<CallOutcome> {
    const capture: Capture = { progress: [], messages: [], lastEventId };
    const end = await exchange(
      this.#handler,
      this.#resumeRequest(lastEventId),
      this.#hooks(undefined, options, capture),
    );
    if (end.response === undefined) {
      throw new McpClientError(200, undefined, "the resumed stream ended without an answer");
    }
    if ("error" in end.response) throw new McpClientError(200, end.response.error);
    return {
      result: end.response.result,
      progress: capture.progress,
      messages: capture.messages,
      lastEventId: capture.lastEventId,
      resumed: 1,
      rounds: 0,
    };
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    const message = params === undefined
      ? { jsonrpc: "2.0", method }
      : { jsonrpc: "2.0", method, params };
    const response = await this.#handler(this.#post(message));
    if (response.status !== 202) throw await refusal(response);
    await response.body?.cancel();
  }

  async listTools(
    params: { cursor?: string } = {},
  ): Promise<{ tools: Record<string, unknown>[]; nextCursor?: string }> {
    return (await this.request<{ tools: Record<string, unknown>[]; nextCursor?: string }>(
      "tools/list",
      params,
    )).result;
  }

  callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CallOutcome<CallToolResult>> {
    const progressToken = `progress-${this.#nextId}`;
    return this.request<CallToolResult>("tools/call", { name, arguments: args }, {
      ...options,
      meta: { progressToken, ...options.meta },
    });
  }

  readSessionState(store: SessionStateReader, key: string): Promise<unknown> {
    return store.readState(this.sessionId, key);
  }

  async close(): Promise<void> {
    const headers = LegacyClient.#headers(this.#options, this.sessionId, this.protocolVersion);
    headers.delete("content-type");
    const response = await this.#handler(
      new Request(this.#options.url, { method: "DELETE", headers }),
    );
    await response.body?.cancel();
    if ((response.status < 200 || response.status > 299) && response.status !== 404) {
      throw new McpClientError(response.status, undefined);
    }
  }
}
