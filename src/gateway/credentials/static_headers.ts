/**
 * `staticHeaders`: the same headers for every caller of an upstream (one
 * shared API key). Checked once at startup; it never sees a request.
 * @module
 */

import type { UpstreamCredentials } from "../upstream.ts";

/** RFC 9110 §5.1: a field name is a token. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9110 §5.5: no CR, LF or NUL in a field value. */
const BAD_VALUE = /[\r\n\0]/;

/**
 * Credentials that send `headers` to the upstream for every caller. A bad
 * header name or value is a TypeError at startup naming it (the value is
 * never echoed).
 *
 * @example
 * ```ts
 * import { httpUpstream, staticHeaders } from "@tether/mcp/gateway";
 * const search = httpUpstream({
 *   name: "search",
 *   url: "https://search.internal/mcp",
 *   credentials: staticHeaders({ "x-api-key": "k-123" }),
 * });
 * ```
 */
export function staticHeaders(headers: Record<string, string>): UpstreamCredentials {
  if (typeof headers !== "object" || headers === null) {
    throw new TypeError("staticHeaders takes an object of header names and values");
  }
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!FIELD_NAME.test(name)) {
      throw new TypeError(`staticHeaders: ${JSON.stringify(name)} is not a header name`);
    }
    if (typeof value !== "string" || BAD_VALUE.test(value)) {
      throw new TypeError(
        `staticHeaders: the value of ${name} must be a string without CR, LF or NUL`,
      );
    }
    copy[name] = value;
  }
  Object.freeze(copy);
  return () => ({ ...copy });
}
