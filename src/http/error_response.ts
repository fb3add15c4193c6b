/**
 * The one helper that builds every HTTP error response tether sends: an HTTP
 * status plus a JSON-RPC error body. Messages are fixed strings chosen by the
 * caller; raw request input is never echoed back.
 * @module
 */

import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { JsonRpcResponse, RequestId } from "../jsonrpc/messages.ts";
import { unavailableRetryAfter } from "../jsonrpc/unavailable_answer.ts";

const JSON_HEADERS = { "content-type": "application/json" } as const;

/** Options for {@linkcode httpError}. */
export interface HttpErrorOptions {
  /** JSON-RPC error code; defaults to -32600 (Invalid Request). */
  code?: number;
  /** The request id, when one is known; otherwise the body says `null`. */
  id?: RequestId | null;
  /** Extra response headers (Allow, Retry-After, WWW-Authenticate, ...). */
  headers?: Record<string, string>;
  /** Structured detail for the error's `data` member. */
  data?: unknown;
}

/**
 * Builds an HTTP error response with a JSON-RPC error body.
 *
 * @example
 * ```ts
 * import { httpError } from "./error_response.ts";
 * const response = httpError(405, "Method not allowed", { headers: { allow: "GET, POST, DELETE" } });
 * response.status; // 405
 * ```
 */
export function httpError(
  status: number,
  message: string,
  options: HttpErrorOptions = {},
): Response {
  const error: Record<string, unknown> = {
    code: options.code ?? ErrorCode.InvalidRequest,
    message,
  };
  if (options.data !== undefined) error.data = options.data;
  const body = JSON.stringify({ jsonrpc: "2.0", id: options.id ?? null, error });
  const headers = options.headers ? { ...JSON_HEADERS, ...options.headers } : JSON_HEADERS;
  return new Response(body, { status, headers });
}

/**
 * Builds a JSON response (`200 OK` unless `status` says otherwise) from an
 * already-serialised body, plus headers.
 */
export function jsonResponse(
  body: string,
  headers?: Record<string, string>,
  status = 200,
): Response {
  return new Response(body, {
    status,
    headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS,
  });
}

/**
 * One JSON-RPC answer as the whole JSON body of its POST: `status` (200 by default), or `503`
 * with `Retry-After` when the answer stands for a storage failure
 * (src/jsonrpc/unavailable_answer.ts), as every other storage failure is answered.
 *
 * @example
 * ```ts
 * import { jsonAnswer } from "./error_response.ts";
 * jsonAnswer({ jsonrpc: "2.0", id: 1, result: {} }).status; // 200
 * ```
 */
export function jsonAnswer(answer: JsonRpcResponse, status = 200): Response {
  const retryAfter = "error" in answer ? unavailableRetryAfter(answer) : undefined;
  if (retryAfter === undefined) return jsonResponse(JSON.stringify(answer), undefined, status);
  return jsonResponse(JSON.stringify(answer), { "retry-after": String(retryAfter) }, 503);
}
