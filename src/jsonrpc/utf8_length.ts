/**
 * The UTF-8 byte length of a string without keeping its encoding (longer
 * strings are encoded into one reused scratch buffer), for the limits that
 * are documented in bytes (session state, event log).
 * @module
 */

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * From this many UTF-16 units on, a string is counted by the runtime's
 * encoder (see `encodedLength`): valgrind counts about 1.75k instructions for
 * the regex scan of a 110-character progress event on Node 24, 915 for
 * `encodeInto`, and 2.7M for the scan of a 256 KiB result, where the
 * encoder's pass is a small fraction of that. On Deno a call of `encodeInto`
 * (WebIDL checks, then an op) costs more than the scan of a short event
 * (1.61k against 1.46k), so only longer strings go to it there.
 */
const LONG_TEXT = "Deno" in globalThis ? 1024 : 64;
/** UTF-16 units encoded per call: their UTF-8 (at most 3 bytes a unit) fits the scratch buffer. */
const CHUNK = 16_384;
let scratch: Uint8Array | undefined;
let encoder: TextEncoder | undefined;

/**
 * Counts the bytes `text` takes in UTF-8.
 *
 * @example
 * ```ts
 * import { utf8Length } from "./utf8_length.ts";
 * utf8Length("é"); // 2
 * ```
 */
export function utf8Length(text: string): number {
  if (text.length >= LONG_TEXT) return encodedLength(text);
  // ASCII (most JSON) is one byte a character: the regex engine finds the first other one fast.
  const first = text.search(NON_ASCII);
  if (first === -1) return text.length;
  let bytes = text.length;
  for (let i = first; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * {@linkcode utf8Length} of a longer string (an event in the event log, a
 * large tool result): `encodeInto` a reused scratch buffer, a chunk at a
 * time, is a native pass (SIMD on V8 and JavaScriptCore) where the regex
 * scan costs about 10 instructions a character. A lone surrogate is written
 * as U+FFFD, 3 bytes, as the scan counts it; a chunk never ends between the
 * two halves of a pair.
 */
function encodedLength(text: string): number {
  scratch ??= new Uint8Array(3 * CHUNK);
  encoder ??= new TextEncoder();
  if (text.length <= CHUNK) return encoder.encodeInto(text, scratch).written;
  let bytes = 0;
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + CHUNK, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    bytes += encoder.encodeInto(text.slice(start, end), scratch).written;
    start = end;
  }
  return bytes;
}

/**
 * True when `text` takes more than `limit` bytes in UTF-8. The UTF-16 length
 * is a lower bound and three times it an upper one (a unit is 1 to 3 bytes, a
 * surrogate pair 4), so only a string between the two is counted.
 *
 * @example
 * ```ts
 * import { exceedsUtf8Bytes } from "./utf8_length.ts";
 * exceedsUtf8Bytes("éé", 3); // true: 4 bytes
 * ```
 */
export function exceedsUtf8Bytes(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false;
  return text.length > limit || utf8Length(text) > limit;
}
