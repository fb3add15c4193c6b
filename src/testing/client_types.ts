/**
 * The public face of the test client, shared by both eras: the per-call
 * options, what a call returns (its result with the progress and messages
 * that came with it), and the client itself. Types only.
 * @module
 */

import type { JsonRpcMessage } from "../jsonrpc/messages.ts";
import type { CallToolResult } from "../protocol/types.ts";

/** The era a test client speaks: `"2025"` (sessionful, 2025-11-25 by default) or `"2026"` (2026-07-28, stateless). */
export type TestEra = "2025" | "2026";

/** One `notifications/progress` the server sent for a call. */
export interface ProgressUpdate {
  /** The token the client sent with the call. */
  progressToken: string | number;
  /** Progress so far. */
  progress: number;
  /** The total, when the server knows it. */
  total?: number;
  /** A human-readable message, when sent. */
  message?: string;
}

/**
 * Options of one call.
 *
 * @example
 * ```ts
 * import type { CallOptions } from "@tether/mcp/testing";
 * const controller = new AbortController();
 * const options: CallOptions = { signal: controller.signal, onProgress: () => controller.abort() };
 * ```
 */
export interface CallOptions {
  /**
   * Cancels the call when it aborts: the client posts `notifications/cancelled`
   * (the tool's `ctx.signal` aborts), drops the stream, and the call rejects
   * with the signal's reason.
   */
  signal?: AbortSignal;
  /** Told about each progress notification of the call, as it arrives. */
  onProgress?: (update: ProgressUpdate) => void;
  /**
   * Told about each message the call's stream carried (notifications, server
   * requests), as it arrives, with its SSE event id when it had one (for
   * `resume`).
   */
  onMessage?: (message: JsonRpcMessage, eventId: string | undefined) => void;
  /**
   * 2025 era: drops the call's stream after the message for which this
   * returns true (as a lost connection would); the client then resumes with
   * `GET` + `Last-Event-ID`, as a real client does.
   */
  disconnectAfter?: (message: JsonRpcMessage) => boolean;
  /** Extra `_meta` keys for the request (the client adds `progressToken` to tool calls itself). */
  meta?: Record<string, unknown>;
  /** Extra HTTP headers for the request (e.g. `Mcp-Param-*` in the 2026 era, or who the caller is). */
  headers?: Record<string, string>;
}

/** What one call returned, and what came with it. */
export interface CallOutcome<R = Record<string, unknown>> {
  /** The JSON-RPC result (a 2026 `input_required` result is answered, never returned). */
  result: R;
  /** The progress notifications of the call, in order. */
  progress: ProgressUpdate[];
  /** Every message carried before the answer (notifications and server→client requests), in order. */
  messages: JsonRpcMessage[];
  /** The last SSE event id seen (2025 era, SSE answers). */
  lastEventId?: string;
  /** How many times the stream was resumed with `Last-Event-ID` (2025 era). */
  resumed: number;
  /** How many `input_required` rounds were answered (2026 era). */
  rounds: number;
}

/** A session store's read side: what {@linkcode TestClient.readSessionState} needs of the store the test gave the handler. */
export interface SessionStateReader {
  /** Reads one key of a session's state. */
  readState(id: string, key: string): Promise<unknown>;
}

/**
 * An in-process MCP client over a handler (no sockets). Made by `connect`.
 *
 * @example
 * ```ts
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import { connect } from "@tether/mcp/testing";
 *
 * const handler = createMcpHandler({
 *   name: "t",
 *   version: "1",
 *   tools: [defineTool({ name: "ping", handler: () => "pong" })],
 * });
 * const client = await connect(handler, { era: "2026" });
 * const { result } = await client.callTool("ping");
 * console.log(result.content); // [{ type: "text", text: "pong" }]
 * await client.close();
 * ```
 */
export interface TestClient {
  /** The era the client speaks. */
  readonly era: TestEra;
  /** The protocol revision in use (the negotiated one in the 2025 era). */
  readonly protocolVersion: string;
  /** The session id (2025 era); undefined in the 2026 era. */
  readonly sessionId: string | undefined;
  /** The `initialize` result (2025 era); undefined in the 2026 era. */
  readonly initializeResult: Record<string, unknown> | undefined;
  /** Sends one request and reads its answer; throws `McpClientError` on an error answer. */
  request<R = Record<string, unknown>>(
    method: string,
    params?: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<CallOutcome<R>>;
  /** Sends one notification; throws `McpClientError` unless the server accepts it (202). */
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  /** `tools/list`: the result (tools and `nextCursor`). */
  listTools(
    params?: { cursor?: string },
  ): Promise<{ tools: Record<string, unknown>[]; nextCursor?: string }>;
  /** `tools/call`, with a progress token: the result, its progress and messages. */
  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<CallOutcome<CallToolResult>>;
  /**
   * 2025 era: `GET` + `Last-Event-ID`, reading the replayed and live events
   * until an answer arrives (server requests on the way are answered).
   */
  resume(lastEventId: string, options?: CallOptions): Promise<CallOutcome>;
  /**
   * 2025 era: one key of this session's `ctx.session` state, read from the
   * session store the test gave the handler (`sessions.store`): the handler
   * itself offers no way to read a session's state from outside.
   */
  readSessionState(store: SessionStateReader, key: string): Promise<unknown>;
  /** Ends the session (2025: `DELETE`); nothing to end in the 2026 era. */
  close(): Promise<void>;
}
