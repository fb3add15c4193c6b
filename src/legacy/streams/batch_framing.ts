/**
 * The SSE text of a batch a live stream flushed (logical_stream.ts): where
 * the memory log numbered it (its own `appendMany`, ids `<stream>:<n>`), the
 * id prefix is checked once and the events framed numbered; any other log's
 * ids are checked one by one. It logs and writes nothing.
 * @module
 */

import { stringifyJsonEvents, stringifyNumberedJsonEvents } from "../../http/sse/sse.ts";
import type { EventLog } from "../../storage/event_log/event_log_interface.ts";
import { numbersInOrder } from "../../storage/event_log/memory_event_log.ts";

/**
 * Frames `data` with the `ids` that `log` gave them in `streamId`.
 *
 * @example
 * ```ts
 * import { frameBatch } from "./batch_framing.ts";
 * import { MemoryEventLog } from "../../storage/event_log/memory_event_log.ts";
 * frameBatch(new MemoryEventLog(), "s", ["s:3", "s:4"], ["{}", "[]"]); // "id: s:3\ndata: {}\n\nid: s:4\ndata: []\n\n"
 * ```
 */
export function frameBatch(
  log: EventLog,
  streamId: string,
  ids: readonly string[],
  data: readonly string[],
): string {
  // One id came from `append` (maybe a subclass's): checked as it is.
  if (ids.length > 1 && numbersInOrder(log)) {
    const first = Number(ids[0].slice(streamId.length + 1));
    if (ids[0] === `${streamId}:${first}`) {
      return stringifyNumberedJsonEvents(`${streamId}:`, first, data);
    }
  }
  return stringifyJsonEvents(ids, data);
}
