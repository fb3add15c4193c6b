/**
 * How a 2026-07-28 client writes a string into an `Mcp-*` header: as it is
 * when it is header-safe, else `=?base64?…?=` of its UTF-8. The server side's
 * decoder is src/modern/requests/param_headers.ts; this module only encodes.
 * @module
 */

/**
 * `value` as a conforming client sends it in a header.
 *
 * @example
 * ```ts
 * import { headerValue } from "./header_value.ts";
 * headerValue("echo"); // "echo"
 * headerValue("hé"); // "=?base64?aMOp?="
 * ```
 */
export function headerValue(value: string): string {
  if (/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.startsWith("=?base64?")) {
    return value;
  }
  let binary = "";
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return `=?base64?${btoa(binary)}?=`;
}
