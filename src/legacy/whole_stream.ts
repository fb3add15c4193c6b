/**
 * The SSE body of a stream known whole (every message of a POST's answer is
 * known at once), framed once into one flat string and counted in UTF-8 in
 * one pass, which tells each event's size too when the body is ASCII (its
 * bytes are as many as its characters). The events' data stay in the
 * body's text, at `starts[i]` to `ends[i]`, for the memory log to keep the
 * stream in that one string. The body stays text: Deno's `TextEncoder.encode`
 * of a large string costs many times the count (a fresh buffer each call),
 * and every runtime copies a byte body into its `Response`.
 *
 * It logs nothing and decides no ids: the caller numbers the events, and
 * its id prefix and `head` must be ASCII (the stream hub's stream ids and
 * priming event are).
 * @module
 */

import { numberedDataLead, stringifyNumberedJsonEvents } from "../http/sse.ts";
import { utf8Length } from "../jsonrpc/utf8_length.ts";

/** A whole stream's SSE body. */
export interface WholeStreamBody {
  /** The body as text. */
  text: string;
  /** Where event `i`'s data starts and ends in `text`. */
  starts: number[];
  ends: number[];
  /** Each event's data in UTF-8 bytes; undefined when all are ASCII (a size is a length). */
  sizes: number[] | undefined;
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
 * body.sizes; // [10]: the data is not ASCII
 * body.text.slice(body.starts[0], body.ends[0]); // '{"a":"é"}'
 * ```
 */
export function frameWholeStream(
  idPrefix: string,
  first: number,
  data: readonly string[],
  head: string,
): WholeStreamBody {
  const text = stringifyNumberedJsonEvents(idPrefix, first, data, head);
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
  // The framing is ASCII: whatever the body has beyond its characters is the data's. One event's
  // body is a rope (see stringifyNumberedJsonEvents): its data, already flat, is counted instead.
  const counted = data.length === 1 ? data[0] : text;
  let dataBytes = dataLength + utf8Length(counted) - counted.length;
  let sizes: number[] | undefined;
  if (dataBytes !== dataLength) {
    sizes = data.map(utf8Length);
    dataBytes = 0;
    for (const size of sizes) dataBytes += size;
  }
  return { text, starts, ends, sizes, dataBytes };
}
