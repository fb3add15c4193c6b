/**
 * Newline-delimited framing of the stdio transport: splits a byte (or text)
 * stream into lines, however the chunks fall, tolerating CRLF. A line longer
 * than the bound is reported once and skipped up to its newline; its bytes
 * are never kept whole. It decodes UTF-8 and nothing more (no JSON).
 * @module
 */

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** One framed line: its text, or `tooLong` when it passed the bound and was skipped. */
export type Line = { text: string; tooLong?: never } | { tooLong: true; text?: never };

const encoder = new TextEncoder();

/**
 * Yields the lines of `input` (without their `\n` or `\r\n`); blank lines
 * are skipped. A line of more than `maxLineBytes` bytes yields `{ tooLong:
 * true }` once, and its bytes are dropped as they arrive. A last line
 * without a newline is yielded when the input ends.
 *
 * @example
 * ```ts
 * import { readLines } from "./lines.ts";
 * for await (const line of readLines(["{\"a\":1}\r\n{\"b\"", ":2}\n"], 1024)) {
 *   console.error(line.text); // {"a":1} then {"b":2}
 * }
 * ```
 */
export async function* readLines(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<Line> {
  const decoder = new TextDecoder();
  let parts: Uint8Array[] = [];
  let size = 0;
  let skipping = false;
  const take = (): Line | undefined => {
    const bytes = join(parts, size);
    parts = [];
    size = 0;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CARRIAGE_RETURN) end--;
    const text = decoder.decode(bytes.subarray(0, end)).trim();
    return text === "" ? undefined : { text };
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    let start = 0;
    while (start < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline === -1 ? bytes.length : newline;
      if (!skipping) {
        if (size + (end - start) > maxLineBytes) {
          parts = [];
          size = 0;
          skipping = true;
          yield { tooLong: true };
        } else {
          parts.push(bytes.subarray(start, end));
          size += end - start;
        }
      }
      if (newline === -1) break;
      if (skipping) skipping = false;
      else {
        const line = take();
        if (line !== undefined) yield line;
      }
      start = newline + 1;
    }
  }
  if (!skipping && size > 0) {
    const line = take();
    if (line !== undefined) yield line;
  }
}

function join(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}
