/**
 * Appending a stream's messages to the event log in their order: in one
 * call when the log has `appendMany`, else one `append` after another.
 * @module
 */

import type { EventLog } from "./event_log_interface.ts";

/**
 * Appends `data` to `streamId` of `sessionId` in order, in one call when the
 * log can; resolves with the events' ids, in the same order.
 *
 * @example
 * ```ts
 * import { MemoryEventLog } from "./event_log.ts";
 * import { appendAll } from "./append_all.ts";
 * const ids = await appendAll(new MemoryEventLog(), "session", "stream", ["{}", "{}"]);
 * console.log(ids.length); // 2
 * ```
 */
export function appendAll(
  log: EventLog,
  sessionId: string,
  streamId: string,
  data: readonly string[],
): Promise<string[]> {
  if (data.length === 1) return log.append(sessionId, streamId, data[0]).then((id) => [id]);
  if (log.appendMany !== undefined) return log.appendMany(sessionId, streamId, data);
  return (async () => {
    const ids: string[] = [];
    for (const item of data) ids.push(await log.append(sessionId, streamId, item));
    return ids;
  })();
}
