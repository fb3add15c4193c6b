/**
 * The events one stream of the memory log holds, oldest first, with their
 * UTF-8 sizes. A batch is counted in one pass (joined once; when ASCII, each
 * event's size is its length). A stream written whole is held packed: one
 * string and where each event starts and ends in it, so a finished stream
 * of a hundred events is a few objects for the garbage collector, not two
 * hundred (the string may be the stream's whole SSE body,
 * src/legacy/streams/whole_stream.ts); it is unpacked only when it must
 * change.
 *
 * It applies no bound and knows no sequence numbers (memory_event_log.ts does).
 * @module
 */

import { utf8Length } from "../../jsonrpc/utf8_length.ts";

/**
 * Packed events: event `i` is `text.slice(starts[i], ends[i])`; its UTF-8
 * size is `sizes[i]`, or its length when `sizes` is undefined (ASCII).
 * Once all of them are let go ({@linkcode releaseOldest}), `text` is emptied.
 */
export interface PackedEvents {
  text: string;
  starts: number[];
  ends: number[];
  sizes: number[] | undefined;
}

/** A stream's events: `data[i]` and `sizes[i]`, or (both empty) `packed`. */
export interface HeldEvents {
  data: string[];
  sizes: number[];
  packed: PackedEvents | undefined;
}

/** Events `held` holds. */
export function heldCount(held: HeldEvents): number {
  return held.packed === undefined ? held.data.length : held.packed.ends.length;
}

/** The UTF-8 size of event `i`. */
export function sizeAt(held: HeldEvents, i: number): number {
  const packed = held.packed;
  if (packed === undefined) return held.sizes[i];
  return packed.sizes?.[i] ?? packed.ends[i] - packed.starts[i];
}

/** The data of event `i`. */
export function dataAt(held: HeldEvents, i: number): string {
  const packed = held.packed;
  if (packed === undefined) return held.data[i];
  const start = packed.starts[i];
  const end = packed.ends[i];
  return start === 0 && end === packed.text.length ? packed.text : packed.text.slice(start, end);
}

/**
 * Holds `data` after the events held, counted in one pass; packed when
 * `pack` and nothing is held yet. Returns their UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { dataAt, holdEvents, type HeldEvents } from "./held_events.ts";
 * const held: HeldEvents = { data: [], sizes: [], packed: undefined };
 * holdEvents(held, ["ab", "é"], true); // 4
 * dataAt(held, 1); // "é"
 * ```
 */
export function holdEvents(held: HeldEvents, data: readonly string[], pack: boolean): number {
  const text = data.length === 1 ? data[0] : data.join("");
  let bytes = utf8Length(text);
  let sizes: number[] | undefined;
  if (bytes !== text.length && data.length > 1) {
    // Not ASCII: each event on its own (halves of a surrogate pair in two events count apart).
    sizes = data.map(utf8Length);
    bytes = 0;
    for (const size of sizes) bytes += size;
  } else if (bytes !== text.length) sizes = [bytes];
  if (pack && heldCount(held) === 0) {
    const starts = new Array<number>(data.length);
    const ends = new Array<number>(data.length);
    let end = 0;
    for (let i = 0; i < data.length; i++) {
      starts[i] = end;
      ends[i] = end += data[i].length;
    }
    held.packed = { text, starts, ends, sizes };
    return bytes;
  }
  if (held.packed !== undefined) unpack(held);
  for (let i = 0; i < data.length; i++) {
    held.data.push(data[i]);
    held.sizes.push(sizes === undefined ? data[i].length : sizes[i]);
  }
  return bytes;
}

/** Holds events already packed (sizes counted by the caller), when nothing is held; false otherwise. */
export function holdPacked(held: HeldEvents, packed: PackedEvents): boolean {
  if (heldCount(held) > 0) return false;
  held.packed = packed;
  return true;
}

/** Holds one more event; returns its UTF-8 size. */
export function holdEvent(held: HeldEvents, data: string): number {
  if (held.packed !== undefined) unpack(held);
  const size = utf8Length(data);
  held.data.push(data);
  held.sizes.push(size);
  return size;
}

/** Lets go of the `count` oldest events; returns their UTF-8 bytes. */
export function releaseOldest(held: HeldEvents, count: number): number {
  if (count === 0) return 0;
  const packed = held.packed;
  if (packed !== undefined && count < packed.ends.length) unpack(held);
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += sizeAt(held, i);
  const dropped = held.packed;
  if (dropped !== undefined) {
    // All of them, and the text with them: the packed record may outlive this hold (V8 can
    // place records like it straight in the old generation once many were kept), and a dead old
    // object keeps what it points to through every young collection until the next full one.
    dropped.text = "";
    held.packed = undefined;
  } else {
    held.data.splice(0, count);
    held.sizes.splice(0, count);
  }
  return bytes;
}

/** Turns packed events back into one string per event, before they change. */
function unpack(held: HeldEvents): void {
  const count = heldCount(held);
  const data = new Array<string>(count);
  const sizes = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    data[i] = dataAt(held, i);
    sizes[i] = sizeAt(held, i);
  }
  held.packed = undefined;
  held.data = data;
  held.sizes = sizes;
}
