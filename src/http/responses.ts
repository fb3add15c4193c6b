/**
 * The bodiless HTTP answers both eras send: `202 Accepted` for posted
 * notifications and responses, `204 No Content` for a session's DELETE.
 * Error answers are built by error_response.ts, JSON answers by its
 * `jsonResponse`, SSE answers by sse/sse.ts's `sseResponse`; this module decides
 * no status, it only builds the one it is named for.
 * @module
 */

/**
 * `202 Accepted` with no body: a POST that carried only notifications or
 * responses.
 *
 * @example
 * ```ts
 * import { accepted } from "./responses.ts";
 * accepted().status; // 202
 * ```
 */
export function accepted(): Response {
  return new Response(null, { status: 202 });
}

/**
 * `204 No Content`: a session ended by DELETE.
 *
 * @example
 * ```ts
 * import { noContent } from "./responses.ts";
 * noContent().status; // 204
 * ```
 */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}
