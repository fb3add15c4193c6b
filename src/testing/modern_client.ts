/**
 * The test client of the 2026-07-28 era: every request carries the envelope
 * in `_meta` (version, capabilities, client info) and the routing headers
 * (`Mcp-Method`, `Mcp-Name`); an `input_required` result is answered by the
 * same handlers as 2025's server requests and retried with the answers and
 * the sealed `requestState` until it completes. Stateless: no session, no
 * resumption. It does not send `Mcp-Param-*` headers (a call's `headers`
 * option can).
 * @module
 */

import { modernEnvelope, modernHeaders, retryParams } from "../client/modern_request.ts";
import type { RequestId } from "../jsonrpc/messages.ts";
import { FIRST_MODERN_PROTOCOL_VERSION } from "../protocol/eras.ts";
import type { CallToolResult, ClientCapabilities } from "../protocol/types.ts";
import { withDeadline } from "./call_deadline.ts";
import { McpClientError } from "./client_error.ts";
import { answerServerRequest, capabilitiesOf, type ClientHandlers } from "./client_handlers.ts";
import type { CallOptions, CallOutcome, SessionStateReader, TestClient } from "./client_types.ts";
import { type Capture, exchange, type FetchHandler, refusal } from "./exchange.ts";
import { headerValue } from "../protocol/header_value.ts";

export { headerValue };

/** The revision this client speaks. */
export const MODERN_VERSION = FIRST_MODERN_PROTOCOL_VERSION;

/** How many `input_required` rounds one call may take before the client gives up. */
const MAX_ROUNDS = 16;

/** What the modern client is made from. */
export interface ModernClientOptions {
  url: string;
  handlers: ClientHandlers;
  capabilities?: ClientCapabilities;
  clientInfo: { name: string; version: string };
  headers: Record<string, string>;
  /** Each call's deadline, ms (0: none). */
  timeoutMs: number;
}

/** A 2026-07-28 client: each request stands alone. */
export class ModernClient implements TestClient {
  readonly era = "2026" as const;
  readonly protocolVersion: string = MODERN_VERSION;
  readonly sessionId: undefined = undefined;
  readonly initializeResult: undefined = undefined;
  #handler: FetchHandler;
  #options: ModernClientOptions;
  #capabilities: ClientCapabilities;
  #nextId = 1;

  /** A client over `handler`; nothing is sent until the first request. */
  constructor(handler: FetchHandler, options: ModernClientOptions) {
    this.#handler = handler;
    this.#options = options;
    this.#capabilities = capabilitiesOf(options.handlers, options.capabilities);
  }

  #envelope(extra?: Record<string, unknown>): Record<string, unknown> {
    return modernEnvelope(extra, {
      capabilities: this.#capabilities,
      clientInfo: this.#options.clientInfo,
    });
  }

  #post(
    method: string,
    body: Record<string, unknown>,
    params: Record<string, unknown>,
    extra: Record<string, string> = {},
  ): Request {
    const headers = new Headers(this.#options.headers);
    for (const [name, value] of Object.entries(modernHeaders(method, params))) {
      headers.set(name, value);
    }
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return new Request(this.#options.url, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
  }

  #cancel(id: RequestId, reason: unknown): Promise<void> {
    return this.notify("notifications/cancelled", {
      requestId: id,
      reason: typeof reason === "string" ? reason : String(reason),
    });
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
    const capture: Capture = { progress: [], messages: [] };
    let retry: Record<string, unknown> = {};
    for (let rounds = 0; rounds <= MAX_ROUNDS; rounds++) {
      const id = this.#nextId++;
      const sent = {
        ...params,
        ...retry,
        _meta: this.#envelope({ ...(params._meta as object), ...options.meta }),
      };
      const end = await exchange(
        this.#handler,
        this.#post(method, { jsonrpc: "2.0", id, method, params: sent }, sent, options.headers),
        {
          id,
          options,
          capture,
          // A 2026-07-28 server never sends requests on a call's stream: it asks with input_required.
          onServerRequest: () => Promise.resolve(),
          cancel: (reason) => this.#cancel(id, reason),
        },
      );
      const status = end.http.status;
      if (end.response === undefined) {
        throw new McpClientError(status, undefined, `the answer to ${method} carried no response`);
      }
      if ("error" in end.response) throw new McpClientError(status, end.response.error);
      const result = end.response.result;
      if (result.resultType !== "input_required") {
        return {
          result: result as R,
          progress: capture.progress,
          messages: capture.messages,
          resumed: 0,
          rounds,
        };
      }
      retry = await this.#answers(result);
    }
    throw new McpClientError(
      200,
      undefined,
      `${method} asked for input more than ${MAX_ROUNDS} times`,
    );
  }

  /** The retry's params for an `input_required` result: every request answered, the state echoed. */
  async #answers(result: Record<string, unknown>): Promise<Record<string, unknown>> {
    const inputResponses: Record<string, Record<string, unknown>> = {};
    const asked = (result.inputRequests ?? {}) as Record<
      string,
      { method: string; params?: Record<string, unknown> }
    >;
    for (const [key, request] of Object.entries(asked)) {
      inputResponses[key] = await answerServerRequest(
        this.#options.handlers,
        request.method,
        request.params ?? {},
      );
    }
    return retryParams(result, inputResponses);
  }

  async notify(method: string, params: Record<string, unknown> = {}): Promise<void> {
    const sent = { ...params, _meta: this.#envelope(params._meta as Record<string, unknown>) };
    const response = await this.#handler(
      this.#post(method, { jsonrpc: "2.0", method, params: sent }, sent),
    );
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

  resume(): Promise<CallOutcome> {
    return Promise.reject(new TypeError("2026-07-28 has no resumable streams (no Last-Event-ID)"));
  }

  readSessionState(_store: SessionStateReader, _key: string): Promise<unknown> {
    return Promise.reject(new TypeError("2026-07-28 has no sessions"));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
