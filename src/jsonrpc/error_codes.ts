/**
 * The JSON-RPC and MCP error codes tether answers with, plus
 * {@linkcode McpError}, the exception user code throws to choose one.
 * @module
 */

/**
 * Error codes from JSON-RPC 2.0 and the MCP specification.
 *
 * @example
 * ```ts
 * import { ErrorCode, McpError } from "@tether/mcp";
 * throw new McpError(ErrorCode.ResourceNotFound, "No such report", { uri: "reports://2026/13" });
 * ```
 */
export const ErrorCode = {
  /** The body is not valid JSON. */
  ParseError: -32700,
  /** The body is JSON but not a valid JSON-RPC message, or the transport refused it. */
  InvalidRequest: -32600,
  /** No such method, or its capability was not negotiated. */
  MethodNotFound: -32601,
  /** Bad params: unknown tool or prompt, bad cursor, bad log level, ... */
  InvalidParams: -32602,
  /** The server failed while handling a valid request. */
  InternalError: -32603,
  /** MCP: the requested resource does not exist. */
  ResourceNotFound: -32002,
  /** MCP: a server→client request failed (timeout, undeclared capability, client error). */
  RequestFailed: -32003,
  /**
   * tether: the session has `sessions.maxRequestsPerSession` requests in
   * flight, or the caller holds its per-principal share (listen streams,
   * 2026-07-28 requests, `maxConcurrentRequests`); retry when one has finished.
   */
  TooManyRequests: -32004,
  /**
   * MCP 2025-11-25: the request needs URL-mode elicitations completed first
   * (`data.elicitations`). Thrown as `UrlElicitationRequiredError`; the
   * 2026-07-28 revision asks with an `input_required` result instead.
   */
  UrlElicitationRequired: -32042,
  /** MCP 2026-07-28: a routing header is missing or disagrees with the body. */
  HeaderMismatch: -32020,
  /** MCP 2026-07-28: the request needs a client capability it did not declare (`data.requiredCapabilities`). */
  MissingRequiredClientCapability: -32021,
  /** MCP 2026-07-28: the request names a protocol version the server does not serve (`data.supported`, `data.requested`). */
  UnsupportedProtocolVersion: -32022,
} as const;

/**
 * One of the codes in {@linkcode ErrorCode}, or any other integer.
 *
 * @example
 * ```ts
 * import { ErrorCode } from "@tether/mcp";
 * import type { ErrorCodeValue } from "@tether/mcp/types";
 * const code: ErrorCodeValue = ErrorCode.InvalidParams;
 * ```
 */
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode] | number;

/**
 * An error that becomes a JSON-RPC error response with the given code.
 * Throw it from a resource reader, prompt or completion handler to answer with
 * a specific error; anything else thrown becomes -32603 with a generic message.
 * (Tools are different: a tool that throws yields an `isError: true` result.)
 *
 * @example
 * ```ts
 * import { ErrorCode, McpError } from "@tether/mcp";
 * throw new McpError(ErrorCode.InvalidParams, "Unknown region: mars");
 * ```
 */
export class McpError extends Error {
  /** The JSON-RPC error code. */
  readonly code: number;
  /** Optional structured detail sent as the error's `data`. */
  readonly data?: unknown;

  /** Creates an error with a JSON-RPC code, a message and optional data. */
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "McpError";
    this.code = code;
    this.data = data;
  }
}
