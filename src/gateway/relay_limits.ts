/**
 * Bounds on what the gateway relays between an upstream and a downstream
 * client. It does not bound the upstream's own transport (stdio lines:
 * stdio_upstream.ts) nor word upstream failures (upstream_failure.ts).
 * @module
 */

import { exceedsUtf8Bytes } from "../jsonrpc/utf8_length.ts";

/** Throws when `value`, as JSON, is over `maxBytes`. */
export function checkRelayed(value: unknown, maxBytes: number, what: string): void {
  const text = JSON.stringify(value) ?? "";
  if (exceedsUtf8Bytes(text, maxBytes)) {
    throw new Error(`The upstream's ${what} is over the gateway's limit (${maxBytes} bytes)`);
  }
}
