/**
 * The request ids a shared event log records with a stream when it opens (`StreamInfo`, kept
 * as JSON text in Redis and Postgres), read back for a follower that must answer them when the
 * stream's writer is lost. It keeps only string and number ids; anything else reads as none.
 * @module
 */

import type { RequestId } from "../../jsonrpc/messages.ts";

/**
 * The request ids in `text` (a JSON array as recorded), or none when it is not one.
 *
 * @example
 * ```ts
 * import { requestIdsOf } from "./recorded_request_ids.ts";
 * requestIdsOf('[7,"a"]'); // [7, "a"]
 * requestIdsOf("not json"); // []
 * ```
 */
export function requestIdsOf(text: string): RequestId[] {
  try {
    const ids = JSON.parse(text) as unknown;
    return Array.isArray(ids)
      ? ids.filter((id): id is RequestId => typeof id === "string" || typeof id === "number")
      : [];
  } catch {
    return [];
  }
}
