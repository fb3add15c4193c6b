/**
 * How an upstream's failure reads downstream. Only the upstream's own
 * JSON-RPC error responses are passed on, known by their kind: the client
 * side makes an `RpcError` only of an error response it received (a
 * 2026-07-28 answer's error becomes one through {@linkcode upstreamError}).
 * Any other failure (a transport's error may name hosts, headers, a body or
 * a redirect target) is one fixed sentence. It bounds no sizes (relay_limits.ts).
 * @module
 */

import { RpcError, UnansweredError } from "../client/rpc_errors.ts";
import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type { RequestId } from "../jsonrpc/messages.ts";

/** The longest upstream error message passed on. */
const MAX_ERROR_MESSAGE = 1_024;
/** The largest `data.requiredCapabilities` of an upstream's `-32021` passed on, bytes of JSON. */
const MAX_REQUIRED_CAPABILITIES = 4_096;

/**
 * Marks the gateway's own "ended without an answer" responses: they may
 * travel in an upstream's SSE stream (so they are parsed again on the way),
 * where an upstream cannot guess this. Drawn on first use: workerd allows
 * no random values at startup.
 */
let unansweredMark: string | undefined;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The sentence of a call whose response stream ended without its answer. */
function unansweredSentence(upstream: string): string {
  return `Upstream "${upstream}" ended the response without an answer`;
}

/**
 * The JSON-RPC error (`-32603`) a 2026-07-28 response stream that ended
 * without the answer to request `id` is ended with, as if the upstream had
 * sent it; {@linkcode upstreamError} knows it by its mark.
 *
 * @example
 * ```ts
 * import { unansweredResponse } from "./upstream_failure.ts";
 * console.log(unansweredResponse("files", 7).error.code); // -32603
 * ```
 */
export function unansweredResponse(
  upstream: string,
  id: RequestId,
): { jsonrpc: "2.0"; id: RequestId; error: { code: number; message: string; data: object } } {
  return {
    jsonrpc: "2.0",
    id,
    error: {
      code: ErrorCode.InternalError,
      message: unansweredSentence(upstream),
      data: { unanswered: unansweredMark ??= crypto.randomUUID() },
    },
  };
}

/**
 * The error of a JSON-RPC error response a 2026-07-28 request was answered
 * with (modern_wire.ts): the upstream's own ({@linkcode RpcError}), or the
 * gateway's "ended without an answer" ({@linkcode UnansweredError}), so
 * that {@linkcode upstreamFailure} words it as it words a 2025 session's.
 *
 * @example
 * ```ts
 * import { upstreamError, upstreamFailure } from "./upstream_failure.ts";
 * const error = upstreamError({ code: -32602, message: "Unknown tool" });
 * console.log(upstreamFailure("files", error).message); // Upstream "files": MCP error -32602: Unknown tool
 * ```
 */
export function upstreamError(error: { code: number; message: string; data?: unknown }): Error {
  const data = error.data;
  if (isObject(data) && unansweredMark !== undefined && data.unanswered === unansweredMark) {
    return new UnansweredError();
  }
  return new RpcError(error.code, error.message, data);
}

/**
 * An upstream failure as the downstream caller sees it. A JSON-RPC error
 * response of the caller's own upstream session is passed on (shortened):
 * that session served no one else. A response stream that ended without
 * the answer is a `-32603` naming the upstream. Anything else (a transport
 * failure, a redirect, an error the client side raised itself) reads
 * `Upstream "<name>" is unavailable`. The upstream's refusal of a client
 * capability the request did not declare (`-32021`) is passed back as it
 * is: its code, its message and its `data.requiredCapabilities` (nothing
 * else of its `data`), for the client to declare them and ask again.
 *
 * @example
 * ```ts
 * import { upstreamFailure } from "./upstream_failure.ts";
 * const failure = upstreamFailure("files", new TypeError("fetch failed: db01.internal"));
 * console.log(failure.message); // Upstream "files" is unavailable
 * ```
 */
export function upstreamFailure(upstream: string, error: unknown): Error {
  if (error instanceof UnansweredError) {
    return new McpError(ErrorCode.InternalError, unansweredSentence(upstream));
  }
  if (error instanceof RpcError) {
    const refusal = capabilityRefusal(error);
    if (refusal !== undefined) return refusal;
    const message = error.message.slice(0, MAX_ERROR_MESSAGE);
    return new Error(`Upstream "${upstream}": ${message}`);
  }
  return new Error(`Upstream "${upstream}" is unavailable`);
}

/**
 * The upstream's `-32021` as it was sent: its code, message and
 * `requiredCapabilities` (an object of at most 4 KiB of JSON; nothing else
 * of its `data`); undefined for any other error.
 */
function capabilityRefusal(error: RpcError): McpError | undefined {
  if (error.code !== ErrorCode.MissingRequiredClientCapability) return undefined;
  const required = isObject(error.data) ? error.data.requiredCapabilities : undefined;
  if (!isObject(required) || Array.isArray(required)) return undefined;
  if (JSON.stringify(required).length > MAX_REQUIRED_CAPABILITIES) return undefined;
  return new McpError(error.code, error.sent.slice(0, MAX_ERROR_MESSAGE), {
    requiredCapabilities: structuredClone(required),
  });
}

/**
 * The error of an upstream task that failed (its `tasks/get` `error`), as
 * the downstream task fails with it: the upstream's code (a JSON-RPC
 * integer, else `-32603`) and its message, shortened and naming the
 * upstream; nothing of its `data`.
 *
 * @example
 * ```ts
 * import { upstreamTaskError } from "./upstream_failure.ts";
 * const error = upstreamTaskError("jobs", { code: -32603, message: "disk full" });
 * console.log(error.message); // Upstream "jobs": disk full
 * ```
 */
export function upstreamTaskError(upstream: string, error: unknown): McpError {
  const given = isObject(error) ? error : {};
  const code = Number.isInteger(given.code) ? given.code as number : ErrorCode.InternalError;
  const message = typeof given.message === "string" ? given.message : "the task failed";
  return new McpError(code, `Upstream "${upstream}": ${message.slice(0, MAX_ERROR_MESSAGE)}`);
}
