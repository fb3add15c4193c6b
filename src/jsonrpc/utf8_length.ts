/**
 * The UTF-8 byte length of a string without encoding it, for the limits that
 * are documented in bytes (session state, event log).
 * @module
 */

const NON_ASCII = /[\u0080-\uffff]/;

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
 * True when `text` takes more than `limit` bytes in UTF-8. The UTF-16 length
 * is a lower bound, so a string far over the limit is refused without being
 * counted.
 *
 * @example
 * ```ts
 * import { exceedsUtf8Bytes } from "./utf8_length.ts";
 * exceedsUtf8Bytes("éé", 3); // true: 4 bytes
 * ```
 */
export function exceedsUtf8Bytes(text: string, limit: number): boolean {
  return text.length > limit || utf8Length(text) > limit;
}
