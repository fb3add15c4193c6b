/**
 * JSON-RPC 2.0 message shapes and the envelope check that sorts a parsed body
 * into requests, notifications and responses. It validates the envelope only;
 * what a method's params mean is the protocol layer's business.
 * @module
 */

/**
 * A JSON-RPC request id: a string or an integer, never null.
 *
 * @example
 * ```ts
 * import type { RequestId } from "@tether/mcp/types";
 * const ids: RequestId[] = [1, "call-2"];
 * ```
 */
export type RequestId = string | number;

/**
 * A JSON-RPC request: a method call that expects exactly one response.
 *
 * @example
 * ```ts
 * import type { JsonRpcRequest } from "@tether/mcp/types";
 * const request: JsonRpcRequest = { jsonrpc: "2.0", id: 1, method: "tools/list" };
 * ```
 */
export interface JsonRpcRequest {
  /** Always "2.0". */
  jsonrpc: "2.0";
  /** The request id, echoed by the response. */
  id: RequestId;
  /** The method name. */
  method: string;
  /** Named parameters. */
  params?: Record<string, unknown>;
}

/**
 * A JSON-RPC notification: a method call that gets no response.
 *
 * @example
 * ```ts
 * import type { JsonRpcNotification } from "@tether/mcp/types";
 * const changed: JsonRpcNotification = { jsonrpc: "2.0", method: "notifications/tools/list_changed" };
 * ```
 */
export interface JsonRpcNotification {
  /** Always "2.0". */
  jsonrpc: "2.0";
  /** The method name. */
  method: string;
  /** Named parameters. */
  params?: Record<string, unknown>;
}

/**
 * The error member of a JSON-RPC error response.
 *
 * @example
 * ```ts
 * import { ErrorCode } from "@tether/mcp";
 * import type { JsonRpcErrorObject } from "@tether/mcp/types";
 * const error: JsonRpcErrorObject = { code: ErrorCode.MethodNotFound, message: "Method not found" };
 * ```
 */
export interface JsonRpcErrorObject {
  /** The error code. */
  code: number;
  /** A short description. */
  message: string;
  /** Extra detail. */
  data?: unknown;
}

/**
 * A successful JSON-RPC response.
 *
 * @example
 * ```ts
 * import type { JsonRpcResultResponse } from "@tether/mcp/types";
 * const response: JsonRpcResultResponse = { jsonrpc: "2.0", id: 1, result: {} };
 * ```
 */
export interface JsonRpcResultResponse {
  /** Always "2.0". */
  jsonrpc: "2.0";
  /** The request id, echoed by the response. */
  id: RequestId;
  /** The method's result. */
  result: Record<string, unknown>;
}

/**
 * A JSON-RPC error response; `id` is null when the request id is unknown.
 *
 * @example
 * ```ts
 * import type { JsonRpcErrorResponse } from "@tether/mcp/types";
 * const response: JsonRpcErrorResponse = { jsonrpc: "2.0", id: 1, error: { code: -32601, message: "Method not found" } };
 * ```
 */
export interface JsonRpcErrorResponse {
  /** Always "2.0". */
  jsonrpc: "2.0";
  /** The request id, or null when it could not be read. */
  id: RequestId | null;
  /** What went wrong. */
  error: JsonRpcErrorObject;
}

/**
 * Either kind of JSON-RPC response.
 *
 * @example
 * ```ts
 * import type { JsonRpcResponse } from "@tether/mcp/types";
 * const failed = (response: JsonRpcResponse): boolean => "error" in response;
 * ```
 */
export type JsonRpcResponse = JsonRpcResultResponse | JsonRpcErrorResponse;

/**
 * Any JSON-RPC message that can travel in a POST body.
 *
 * @example
 * ```ts
 * import type { JsonRpcMessage } from "@tether/mcp/types";
 * const isRequest = (message: JsonRpcMessage): boolean => "method" in message && "id" in message;
 * ```
 */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** A message that passed the envelope check, tagged with its kind. */
export type ClassifiedMessage =
  | { kind: "request"; message: JsonRpcRequest }
  | { kind: "notification"; message: JsonRpcNotification }
  | { kind: "response"; message: JsonRpcResponse };

/** True for a JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` when it is a JSON object ({@linkcode isPlainObject}), else undefined. */
export function asPlainObject(value: unknown): Record<string, unknown> | undefined {
  return isPlainObject(value) ? value : undefined;
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
}

/**
 * Checks one parsed value against the JSON-RPC 2.0 envelope and says what it is.
 * Returns `undefined` when it is not a valid message.
 *
 * @example
 * ```ts
 * import { classifyMessage } from "./messages.ts";
 * classifyMessage({ jsonrpc: "2.0", id: 1, method: "ping" })?.kind; // "request"
 * classifyMessage({ jsonrpc: "1.0" }); // undefined
 * ```
 */
export function classifyMessage(value: unknown): ClassifiedMessage | undefined {
  if (!isPlainObject(value) || value.jsonrpc !== "2.0") return undefined;
  if (Object.hasOwn(value, "method")) {
    if (typeof value.method !== "string" || value.method.length === 0) return undefined;
    if (
      Object.hasOwn(value, "params") && value.params !== undefined && !isPlainObject(value.params)
    ) {
      return undefined;
    }
    if (!Object.hasOwn(value, "id")) {
      return { kind: "notification", message: value as unknown as JsonRpcNotification };
    }
    if (!isRequestId(value.id)) return undefined;
    return { kind: "request", message: value as unknown as JsonRpcRequest };
  }
  if (!Object.hasOwn(value, "id") || !(isRequestId(value.id) || value.id === null)) {
    return undefined;
  }
  const hasResult = Object.hasOwn(value, "result");
  const hasError = Object.hasOwn(value, "error");
  if (hasResult === hasError) return undefined;
  if (hasResult && !isPlainObject(value.result)) return undefined;
  if (hasError) {
    const error = value.error;
    if (
      !isPlainObject(error) || typeof error.code !== "number" || typeof error.message !== "string"
    ) {
      return undefined;
    }
  }
  return { kind: "response", message: value as unknown as JsonRpcResponse };
}

/**
 * Builds a JSON-RPC success response.
 *
 * @example
 * ```ts
 * import { resultResponse } from "./messages.ts";
 * resultResponse(1, {}); // { jsonrpc: "2.0", id: 1, result: {} }
 * ```
 */
export function resultResponse(
  id: RequestId,
  result: Record<string, unknown>,
): JsonRpcResultResponse {
  return { jsonrpc: "2.0", id, result };
}

/**
 * Builds a JSON-RPC error response; `data` is omitted when undefined.
 *
 * @example
 * ```ts
 * import { errorResponse } from "./messages.ts";
 * errorResponse(7, -32601, "Method not found: foo");
 * ```
 */
export function errorResponse(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcErrorResponse {
  const error: JsonRpcErrorObject = data === undefined
    ? { code, message }
    : { code, message, data };
  return { jsonrpc: "2.0", id, error };
}

/** A stable string key for a request id, so `1` and `"1"` never collide. */
export function requestIdKey(id: RequestId): string {
  return typeof id === "number" ? `n:${id}` : `s:${id}`;
}

const SERIALIZED: unique symbol = Symbol("tether.serialized");

/**
 * Attaches `json`, which must equal `JSON.stringify(message)`, to `message`
 * (under a symbol, which `JSON.stringify` skips), so that
 * {@linkcode serializeMessage} need not encode it again. For messages built
 * on a hot path from a fixed shape (progress notifications).
 *
 * @example
 * ```ts
 * import { serializeMessage, withSerialized } from "./messages.ts";
 * const ping = withSerialized({ jsonrpc: "2.0" as const, method: "ping" }, '{"jsonrpc":"2.0","method":"ping"}');
 * serializeMessage(ping); // '{"jsonrpc":"2.0","method":"ping"}', without encoding
 * ```
 */
export function withSerialized<T extends object>(message: T, json: string): T {
  (message as { [SERIALIZED]?: string })[SERIALIZED] = json;
  return message;
}

/**
 * A notification with its JSON text attached, as {@linkcode withSerialized}
 * attaches it, made in one object literal (no property added later). `json`
 * must equal `JSON.stringify` of the notification.
 *
 * @example
 * ```ts
 * import { serializedNotification, serializeMessage } from "./messages.ts";
 * const note = serializedNotification("notifications/x", { a: 1 }, '{"jsonrpc":"2.0","method":"notifications/x","params":{"a":1}}');
 * serializeMessage(note); // the text given, without encoding
 * ```
 */
export function serializedNotification(
  method: string,
  params: Record<string, unknown>,
  json: string,
): JsonRpcNotification {
  return { jsonrpc: "2.0", method, params, [SERIALIZED]: json } as JsonRpcNotification;
}

/** The JSON text of `message`: the one attached by {@linkcode withSerialized}, else `JSON.stringify`. */
export function serializeMessage(message: JsonRpcMessage): string {
  return (message as { [SERIALIZED]?: string })[SERIALIZED] ?? JSON.stringify(message);
}
