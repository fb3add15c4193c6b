/**
 * The SSE body of a stream known whole (every message of a POST's answer is
 * known at once), framed once and encoded to UTF-8 once: the bytes are the
 * response body, and the encoding tells each event's UTF-8 size for free
 * (ASCII when the bytes are as many as the characters), so nothing counts
 * them again. The events' data stay in the body's text, at `starts[i]` to
 * `ends[i]`, for the memory log to keep the stream in that one string.
 *
 * It logs nothing and decides no ids: the caller numbers the events, and
 * its id prefix and `head` must be ASCII (the stream hub's stream ids and
 * priming event are).
 * @module
 */

import { stringifyNumberedJsonEvents } from "../http/sse.ts";
import { utf8Length } from "../jsonrpc/utf8_length.ts";

/** A whole stream's SSE body. */
export interface WholeStreamBody {
  /** The body as text. */
  text: string;
  /** The body in UTF-8. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Where event `i`'s data starts and ends in `text`. */
  starts: number[];
  ends: number[];
  /** Each event's data in UTF-8 bytes; undefined when all are ASCII (a size is a length). */
  sizes: number[] | undefined;
  /** All the events' data in UTF-8 bytes. */
  dataBytes: number;
}

let encoder: TextEncoder | undefined;

/**
 * Frames `data` (serialized JSON) as events numbered `first` on, with ids
 * `idPrefix` + number, after `head`, and encodes it.
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
    at += 4 + idPrefix.length + digits(first + i) + 7;
    starts[i] = at;
    at += data[i].length;
    ends[i] = at;
    at += 2;
    dataLength += data[i].length;
  }
  const bytes = (encoder ??= new TextEncoder()).encode(text);
  // The framing is ASCII: whatever the body has beyond its characters is the data's.
  let dataBytes = dataLength + bytes.length - text.length;
  let sizes: number[] | undefined;
  if (dataBytes !== dataLength) {
    sizes = data.map(utf8Length);
    dataBytes = 0;
    for (const size of sizes) dataBytes += size;
  }
  return { text, bytes, starts, ends, sizes, dataBytes };
}

/** Decimal digits of a positive integer. */
function digits(n: number): number {
  let count = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    count++;
  }
  return count;
}
