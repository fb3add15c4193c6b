/**
 * Bounds on what the gateway relays between an upstream and a downstream
 * client, and the one way upstream failures are worded downstream. It does
 * not bound the upstream's own transport (stdio lines: stdio_upstream.ts).
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

/** The longest upstream error message passed on. */
const MAX_ERROR_MESSAGE = 1_024;

/**
 * An upstream failure as the downstream caller sees it. A JSON-RPC error of
 * the caller's own upstream session is passed on (shortened): that session
 * served no one else. Anything else (a transport failure, whose text may
 * name hosts, headers or another attempt) becomes a fixed sentence.
 */
export function upstreamFailure(upstream: string, error: unknown): Error {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "number" && error instanceof Error) {
    const message = error.message.slice(0, MAX_ERROR_MESSAGE);
    return new Error(`Upstream "${upstream}": ${message}`);
  }
  return new Error(`Upstream "${upstream}" is unavailable`);
}
