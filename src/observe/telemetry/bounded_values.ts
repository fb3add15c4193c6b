/**
 * The bound on every value tether puts on a span or a metric: a span name, an
 * attribute or a status message is at most {@linkcode MAX_ATTRIBUTE_BYTES}
 * UTF-8 bytes (a recorded stack trace {@linkcode MAX_STACK_BYTES}), cut on a
 * character boundary, so one request cannot make an export batch large.
 * {@linkcode oneLine} escapes what would break a line, so a client-chosen
 * string cannot write a second line into a one-line log record.
 * Bounding the number of distinct values is known_names.ts's job, not this.
 * @module
 */

/** What stands for a name the server does not know (as the OTel conventions do for HTTP methods). */
export const OTHER = "_OTHER";

/** The most UTF-8 bytes of a span name, attribute value or status message tether records. */
export const MAX_ATTRIBUTE_BYTES = 256;

/** The most UTF-8 bytes of a recorded exception's stack trace. */
export const MAX_STACK_BYTES = 4096;

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, never inside a character (a
 * lone surrogate counts as the 3 bytes of U+FFFD it is encoded as). Looks at
 * no more than `maxBytes` code units, however long `text` is.
 *
 * @example
 * ```ts
 * import { truncateUtf8 } from "./bounded_values.ts";
 * truncateUtf8("x".repeat(1_000_000), 256).length; // 256
 * truncateUtf8("éé", 3); // "é"
 * ```
 */
export function truncateUtf8(text: string, maxBytes: number = MAX_ATTRIBUTE_BYTES): string {
  // At most 3 bytes a UTF-16 code unit (a pair is 4 bytes for 2 units).
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    let units = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        size = 4;
        units = 2;
      }
    }
    if (bytes + size > maxBytes) return text.slice(0, i);
    bytes += size;
    i += units - 1;
  }
  return text;
}

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** The short escapes JSON writes; the others are `\\uXXXX`. */
const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `text` with every control character (C0, DEL, C1: `\n`, `\r`, NEL, ...)
 * and U+2028/U+2029 written as its JSON escape (`\n`, `\r`, `\t`,
 * `\u2028`, ...), so it stays on one line wherever it is printed. A
 * backslash is kept as it is: the result is for reading, not for undoing.
 *
 * @example
 * ```ts
 * import { oneLine } from "./bounded_values.ts";
 * oneLine("echo\nforged: ok"); // "echo\\nforged: ok"
 * oneLine("a\u2028b"); // "a\\u2028b"
 * ```
 */
export function oneLine(text: string): string {
  return text.replace(
    LINE_BREAKING,
    (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
