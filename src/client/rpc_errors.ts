/**
 * The failures of tether's client side, one class each, so a caller tells
 * them apart by kind and never by words: the peer's own JSON-RPC error
 * response ({@linkcode RpcError}, the only one carrying what the peer
 * sent), an HTTP status refusing a message ({@linkcode HttpStatusError}),
 * a response stream that ended without the answer
 * ({@linkcode UnansweredError}), a closed connection and a request past its
 * time. It words nothing for anyone downstream (the gateway does).
 * @module
 */

/**
 * A JSON-RPC error response the peer sent: its code, message and data.
 * The message reads `MCP error <code>: <message>`.
 *
 * @example
 * ```ts
 * import { RpcError } from "./rpc_errors.ts";
 * const error = new RpcError(-32602, "Unknown tool");
 * console.log(error.message); // MCP error -32602: Unknown tool
 * ```
 */
export class RpcError extends Error {
  /** The JSON-RPC error code. */
  readonly code: number;
  /** The error's `data`, as sent. */
  readonly data?: unknown;
  /** The peer's `message`, without the prefix. */
  readonly sent: string;

  /** The error response `{ code, message, data }` the peer sent. */
  constructor(code: number, message: string, data?: unknown) {
    super(`MCP error ${code}: ${message}`);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
    this.sent = message;
  }
}

/**
 * An HTTP answer refusing a message (any status outside 2xx, or a body that
 * is not what the request asks for: status `-1`).
 *
 * @example
 * ```ts
 * import { HttpStatusError } from "./rpc_errors.ts";
 * console.log(new HttpStatusError(404, "Session not found").status); // 404
 * ```
 */
export class HttpStatusError extends Error {
  /** The HTTP status; `-1` for a 2xx answer of the wrong content type. */
  readonly status: number;
  /** Answered `status`, with `what` it said. */
  constructor(status: number, what: string) {
    super(`HTTP ${status}: ${what}`);
    this.name = "HttpStatusError";
    this.status = status;
  }
}

/**
 * A request whose response stream ended (and could not be resumed) before
 * its answer came.
 *
 * @example
 * ```ts
 * import { UnansweredError } from "./rpc_errors.ts";
 * console.log(new UnansweredError().name); // UnansweredError
 * ```
 */
export class UnansweredError extends Error {
  /** The stream of a request ended without its answer. */
  constructor() {
    super("The response stream ended without the answer");
    this.name = "UnansweredError";
  }
}

/**
 * The connection closed with the request unanswered.
 *
 * @example
 * ```ts
 * import { ConnectionClosed } from "./rpc_errors.ts";
 * console.log(new ConnectionClosed().message); // Connection closed
 * ```
 */
export class ConnectionClosed extends Error {
  /** The connection closed. */
  constructor() {
    super("Connection closed");
    this.name = "ConnectionClosed";
  }
}

/**
 * A request that ran past its time without an answer (or without progress,
 * when progress resets it).
 *
 * @example
 * ```ts
 * import { RequestTimeout } from "./rpc_errors.ts";
 * console.log(new RequestTimeout(1_000).timeoutMs); // 1000
 * ```
 */
export class RequestTimeout extends Error {
  /** The time it had, ms. */
  readonly timeoutMs: number;
  /** Ran past `timeoutMs`. */
  constructor(timeoutMs: number) {
    super(`Request timed out after ${timeoutMs} ms`);
    this.name = "RequestTimeout";
    this.timeoutMs = timeoutMs;
  }
}
