/**
 * A growable byte buffer with a hard limit, for reading a streamed body.
 * Every chunk is copied in and never kept: a runtime may hand out chunks that
 * are small views into large buffers (Deno: one 64 KiB buffer per chunk), and
 * keeping the views would keep those buffers. What it holds is its own buffer,
 * at most twice the bytes pushed (1 KiB at least) and never more than the
 * limit. It does not decode, and it does not shrink.
 * @module
 */

const INITIAL_CAPACITY = 1024;

/**
 * Collects chunks into one buffer it owns.
 *
 * @example
 * ```ts
 * import { ByteAccumulator } from "./byte_accumulator.ts";
 * const accumulator = new ByteAccumulator(1024);
 * accumulator.push(new TextEncoder().encode("{}")); // true
 * new TextDecoder().decode(accumulator.bytes()); // "{}"
 * ```
 */
export class ByteAccumulator {
  readonly #limit: number;
  #buffer = new Uint8Array(0);
  #size = 0;

  /** An empty accumulator that refuses to hold more than `limit` bytes. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Bytes pushed so far. */
  get size(): number {
    return this.#size;
  }

  /** Bytes this accumulator keeps alive: the size of its own buffer. */
  get retainedBytes(): number {
    return this.#buffer.byteLength;
  }

  /** Copies `chunk` in; false (and nothing copied) when it would pass the limit. */
  push(chunk: Uint8Array): boolean {
    const needed = this.#size + chunk.byteLength;
    if (needed > this.#limit) return false;
    if (needed > this.#buffer.byteLength) {
      const capacity = Math.min(
        this.#limit,
        Math.max(needed, this.#buffer.byteLength * 2, INITIAL_CAPACITY),
      );
      const grown = new Uint8Array(capacity);
      grown.set(this.#buffer.subarray(0, this.#size));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#size);
    this.#size = needed;
    return true;
  }

  /** The bytes pushed so far: a view into the accumulator's own buffer. */
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#size);
  }
}
