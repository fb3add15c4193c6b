/**
 * Required parameters of MCP methods, read with the refusal a client gets
 * when one is missing or too long (-32602). It reads; it looks nothing up.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { exceedsUtf8Bytes } from "../../jsonrpc/utf8_length.ts";

/** The string parameter `key` of `method`; throws -32602 when it is not a string. */
export function requireString(
  params: Record<string, unknown>,
  key: string,
  method: string,
): string {
  const value = params[key];
  if (typeof value !== "string") {
    throw new McpError(ErrorCode.InvalidParams, `${method} requires a string ${key}`);
  }
  return value;
}

/** A `uri` parameter within the size limit: longer ones are refused before any lookup or store write. */
export function requireUri(
  params: Record<string, unknown>,
  key: string,
  method: string,
  maxBytes: number,
): string {
  const uri = requireString(params, key, method);
  if (exceedsUtf8Bytes(uri, maxBytes)) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `${method}: ${key} is longer than ${maxBytes} bytes`,
    );
  }
  return uri;
}
