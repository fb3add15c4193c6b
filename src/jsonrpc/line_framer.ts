/**
 * Newline-delimited framing, the one of tether's stdio (the stdio server
 * and the gateway's stdio upstreams): splits bytes (or text) into lines,
 * however the chunks fall, tolerating CRLF. A line longer than the bound is
 * reported once and skipped up to its newline; its bytes are never kept
 * whole. It decodes UTF-8 and nothing more (no JSON).
 * @module
 */

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** One framed line: its text, or `tooLong` when it passed the bound and was skipped. */
export type Line = { text: string; tooLong?: never } | { tooLong: true; text?: never };

const encoder = new TextEncoder();

/**
 * Cuts the chunks pushed into it into lines (without their `\n` or
 * `\r\n`, trimmed); blank lines are skipped. A line of more than
 * `maxLineBytes` bytes is one `{ tooLong: true }`, its bytes dropped as
 * they arrive.
 *
 * @example
 * ```ts
 * import { LineFramer } from "./line_framer.ts";
 * const framer = new LineFramer(1024);
 * console.log(framer.push('{"a":1}\r\n{"b"')); // [{ text: '{"a":1}' }]
 * console.log(framer.push(":2}\n")); // [{ text: '{"b":2}' }]
 * ```
 */
export class LineFramer {
  readonly #maxLineBytes: number;
  readonly #decoder = new TextDecoder();
  #parts: Uint8Array[] = [];
  #size = 0;
  #skipping = false;

  /** A framer of lines up to `maxLineBytes` bytes. */
  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** The lines `chunk` completes (and a `tooLong` for a line it takes past the bound). */
  push(chunk: Uint8Array | string): Line[] {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    const lines: Line[] = [];
    let start = 0;
    while (start < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline === -1 ? bytes.length : newline;
      if (!this.#skipping) {
        if (this.#size + (end - start) > this.#maxLineBytes) {
          this.#parts = [];
          this.#size = 0;
          this.#skipping = true;
          lines.push({ tooLong: true });
        } else {
          this.#parts.push(bytes.subarray(start, end));
          this.#size += end - start;
        }
      }
      if (newline === -1) break;
      if (this.#skipping) this.#skipping = false;
      else this.#take(lines);
      start = newline + 1;
    }
    return lines;
  }

  /** The last line, when the input ended without its newline. */
  end(): Line[] {
    const lines: Line[] = [];
    if (!this.#skipping && this.#size > 0) this.#take(lines);
    this.#skipping = false;
    return lines;
  }

  #take(lines: Line[]): void {
    const bytes = join(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CARRIAGE_RETURN) end--;
    const text = this.#decoder.decode(bytes.subarray(0, end)).trim();
    if (text !== "") lines.push({ text });
  }
}

/**
 * Yields the lines of `input` (see {@linkcode LineFramer}); a last line
 * without a newline is yielded when the input ends.
 *
 * @example
 * ```ts
 * import { readLines } from "./line_framer.ts";
 * for await (const line of readLines(["{\"a\":1}\r\n{\"b\"", ":2}\n"], 1024)) {
 *   console.error(line.text); // {"a":1} then {"b":2}
 * }
 * ```
 */
export async function* readLines(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<Line> {
  const framer = new LineFramer(maxLineBytes);
  for await (const chunk of input) yield* framer.push(chunk);
  yield* framer.end();
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
