/**
 * The SSE body of a stream known whole (every message of a POST's answer is
 * known at once), framed once and counted in UTF-8 in one pass, which tells
 * each event's size too when the body is ASCII (its bytes are as many as its
 * characters). The body stays text: Deno's `TextEncoder.encode` of a large
 * string costs many times the count (a fresh buffer each call), and every
 * runtime copies a byte body into its `Response`.
 *
 * What the memory log keeps (`events`) is the events' data in one string:
 * several events' in the body's own flat text, at `starts[i]` to `ends[i]`;
 * one event's (a large result, say) in its data, the serializer's string. Its
 * body is a rope the runtime flattens into a copy as it writes it, and that
 * copy, kept, would stay in memory in place of the data: on Bun 1.3 a
 * 256 KiB answer then took 22 page faults a call instead of 11.
 *
 * It logs nothing and decides no ids: the caller numbers the events, and
 * its id prefix and `head` must be ASCII (the stream hub's stream ids and
 * priming event are).
 * @module
 */

import { numberedDataLead, stringifyNumberedJsonEvents } from "../../http/sse/sse.ts";
import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import type { PackedEvents } from "../event_log/held_events.ts";

/** A whole stream's SSE body, and its events' data as the memory log keeps them. */
export interface WholeStreamBody {
  /** The body as text. */
  text: string;
  /** The events' data: event `i`'s is `events.text.slice(events.starts[i], events.ends[i])`. */
  events: PackedEvents;
  /** All the events' data in UTF-8 bytes. */
  dataBytes: number;
}

/**
 * Frames `data` (serialized JSON) as events numbered `first` on, with ids
 * `idPrefix` + number, after `head`, and measures it.
 *
 * @example
 * ```ts
 * import { frameWholeStream } from "./whole_stream.ts";
 * const body = frameWholeStream("s1:", 1, ['{"a":"é"}'], "");
 * body.events.sizes; // [10]: the data is not ASCII
 * body.text; // 'id: s1:1\ndata: {"a":"é"}\n\n'
 * ```
 */
export function frameWholeStream(
  idPrefix: string,
  first: number,
  data: readonly string[],
  head: string,
): WholeStreamBody {
  const text = stringifyNumberedJsonEvents(idPrefix, first, data, head);
  if (data.length === 1) {
    // One event's data is kept as itself, not as a part of the body (see the module's comment).
    const only = data[0];
    const bytes = utf8Length(only);
    const sizes = bytes === only.length ? undefined : [bytes];
    return {
      text,
      events: { text: only, starts: [0], ends: [only.length], sizes },
      dataBytes: bytes,
    };
  }
  const starts = new Array<number>(data.length);
  const ends = new Array<number>(data.length);
  // Each event is `id: <prefix><n>\ndata: <data>\n\n`.
  let at = head.length;
  let dataLength = 0;
  for (let i = 0; i < data.length; i++) {
    at += 4 + idPrefix.length + numberedDataLead(first + i).length;
    starts[i] = at;
    at += data[i].length;
    ends[i] = at;
    at += 2;
    dataLength += data[i].length;
  }
  // The framing is ASCII: whatever the body has beyond its characters is the data's.
  let dataBytes = dataLength + utf8Length(text) - text.length;
  let sizes: number[] | undefined;
  if (dataBytes !== dataLength) {
    sizes = data.map(utf8Length);
    dataBytes = 0;
    for (const size of sizes) dataBytes += size;
  }
  return { text, events: { text, starts, ends, sizes }, dataBytes };
}
