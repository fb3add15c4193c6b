/**
 * How an upstream's failure reads downstream. Only the upstream's own
 * JSON-RPC error responses are passed on, known by identity: each error
 * response is tagged as its transport hands it to the SDK client. Any other
 * failure (a transport's error may name hosts, headers, a body or a
 * redirect target) is one fixed sentence. It bounds no sizes (relay_limits.ts).
 * @module
 */

// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { McpError as SdkMcpError } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type { RequestId } from "../jsonrpc/messages.ts";

/** The longest upstream error message passed on. */
const MAX_ERROR_MESSAGE = 1_024;
/** The largest `data.requiredCapabilities` of an upstream's `-32021` passed on, bytes of JSON. */
const MAX_REQUIRED_CAPABILITIES = 4_096;

/** The `data` of an error response the upstream sent without an object there. */
const SENT_BY_UPSTREAM: object = Object.freeze({});
/** The `data` objects of error responses the upstream sent. */
const sentByUpstream = new WeakSet<object>([SENT_BY_UPSTREAM]);
/** The `data` objects of the gateway's own "ended without an answer" responses. */
const unanswered = new WeakSet<object>();
/**
 * Marks the gateway's own responses: they may travel in an upstream's SSE
 * stream (so they are parsed again on the way), where an upstream cannot
 * guess this. Drawn on first use: workerd allows no random values at
 * startup.
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
 * The JSON-RPC error (`-32603`) the gateway answers request `id` with when
 * the upstream's response stream ended without its answer: handed to the
 * SDK client as if the upstream had sent it.
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
 * Tags every error response `transport` receives as the upstream's own (or
 * as the gateway's "ended without an answer"), before the SDK client reads
 * it: the client's error carries the response's `data`, by which
 * {@linkcode upstreamFailure} knows it. Call it before the client connects
 * (the client keeps a handler set before it and calls it first).
 *
 * @example
 * ```ts ignore (internal: needs an opened upstream transport and its SDK client)
 * tagUpstreamErrors(opened.transport);
 * await client.connect(opened.transport);
 * ```
 */
export function tagUpstreamErrors(
  transport: { onmessage?(message: object, extra?: object): void },
): void {
  const previous = transport.onmessage;
  transport.onmessage = (message, extra) => {
    tag(message);
    previous?.call(transport, message, extra);
  };
}

/**
 * The error of a JSON-RPC error response read outside the SDK client (the
 * 2026-07-28 requests, modern_wire.ts), tagged as the upstream's own (or as
 * the gateway's "ended without an answer") so that
 * {@linkcode upstreamFailure} words it as it words the SDK client's.
 *
 * @example
 * ```ts
 * import { upstreamError, upstreamFailure } from "./upstream_failure.ts";
 * const error = upstreamError({ code: -32602, message: "Unknown tool" });
 * console.log(upstreamFailure("files", error).message); // Upstream "files": MCP error -32602: Unknown tool
 * ```
 */
export function upstreamError(error: { code: number; message: string; data?: unknown }): Error {
  const response = { id: 0, error: { ...error } };
  tag(response);
  return new SdkMcpError(error.code, error.message, response.error.data);
}

function tag(message: object): void {
  const error = (message as { error?: unknown }).error;
  if (!isObject(error) || !("id" in message)) return;
  const data = error.data;
  if (!isObject(data)) {
    // The gateway relays no `data`: one object of its own stands in for a missing or plain one.
    error.data = SENT_BY_UPSTREAM;
  } else if (unansweredMark !== undefined && data.unanswered === unansweredMark) {
    unanswered.add(data);
  } else {
    sentByUpstream.add(data);
  }
}

/**
 * An upstream failure as the downstream caller sees it. A JSON-RPC error
 * response of the caller's own upstream session is passed on (shortened):
 * that session served no one else. A response stream that ended without
 * the answer is a `-32603` naming the upstream. Anything else (a transport
 * failure, a redirect, an error the SDK client raised itself) reads
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
  if (error instanceof SdkMcpError && isObject(error.data)) {
    if (unanswered.has(error.data)) {
      return new McpError(ErrorCode.InternalError, unansweredSentence(upstream));
    }
    if (sentByUpstream.has(error.data)) {
      const refusal = capabilityRefusal(error);
      if (refusal !== undefined) return refusal;
      const message = error.message.slice(0, MAX_ERROR_MESSAGE);
      return new Error(`Upstream "${upstream}": ${message}`);
    }
  }
  return new Error(`Upstream "${upstream}" is unavailable`);
}

/**
 * The upstream's `-32021` as it was sent: its code, message and
 * `requiredCapabilities` (an object of at most 4 KiB of JSON; nothing else
 * of its `data`); undefined for any other error.
 */
function capabilityRefusal(error: InstanceType<typeof SdkMcpError>): McpError | undefined {
  if (error.code !== ErrorCode.MissingRequiredClientCapability) return undefined;
  const required = (error.data as Record<string, unknown>).requiredCapabilities;
  if (!isObject(required) || Array.isArray(required)) return undefined;
  if (JSON.stringify(required).length > MAX_REQUIRED_CAPABILITIES) return undefined;
  // The SDK client's message is "MCP error <code>: <the upstream's message>".
  const prefix = `MCP error ${error.code}: `;
  const message = error.message.startsWith(prefix)
    ? error.message.slice(prefix.length)
    : error.message;
  return new McpError(error.code, message.slice(0, MAX_ERROR_MESSAGE), {
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
