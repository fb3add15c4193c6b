/**
 * The `requireHeader` step (seed 001's Rack app): every request must carry a
 * header the operator names, or it is `403`. Defence in depth against
 * cross-site requests: an HTML form cannot set a custom header, and a browser
 * `fetch` that sets one must pass a CORS preflight first (the `cors`
 * option allows the header for the origins it grants, and no other). It checks presence only,
 * not the value: it is not authentication, and clients outside a browser
 * pass it by sending it.
 * @module
 */

import { type Refusal, refuse } from "./refusal.ts";

/** A field name as `Headers` accepts it (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The option's value checked and lower-cased at startup; a TypeError names a bad one. */
export function requiredHeaderName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw new TypeError("Option requireHeader must be a header name");
  }
  return name.toLowerCase();
}

/** The `403` for a request without header `name`, or `undefined` to go on. */
export function checkRequiredHeader(request: Request, name: string): Refusal | undefined {
  return request.headers.has(name)
    ? undefined
    : refuse(403, `Forbidden: the ${name} header is required`);
}
