/**
 * A growable byte buffer with a hard limit, for reading a streamed body.
 * Every chunk is copied in and never kept: a runtime may hand out chunks that
 * are small views into large buffers (Deno: one 64 KiB buffer per chunk), and
 * keeping the views would keep those buffers. What it holds is its own buffer,
 * at most twice the bytes pushed (1 KiB at least) and never more than the
 * limit. It can also be read into (a BYOB reader): `room()` lends the free
 * part of its buffer and `filled()` takes it back with the bytes the read
 * put there, so nothing is allocated or copied per read. It does not decode,
 * and it does not shrink.
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

  /** Bytes held so far (pushed or read in). */
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
    if (needed > this.#buffer.byteLength) this.#grow(needed);
    this.#buffer.set(chunk, this.#size);
    this.#size = needed;
    return true;
  }

  /**
   * The free part of the buffer, to read into with a BYOB reader: grown
   * first (as `push` grows it) when it has fewer than `minimum` bytes, as far
   * as the limit allows, so it is smaller than `minimum` only near the limit
   * and empty once `limit` bytes are held. A BYOB read transfers the buffer
   * it reads into: hand the view the read returns to
   * {@linkcode ByteAccumulator.filled} before anything else.
   *
   * @example
   * ```ts
   * import { ByteAccumulator } from "./byte_accumulator.ts";
   * const accumulator = new ByteAccumulator(1024);
   * const body = new ReadableStream({
   *   type: "bytes",
   *   start(controller) {
   *     controller.enqueue(new TextEncoder().encode("{}"));
   *     controller.close();
   *   },
   * });
   * const reader = body.getReader({ mode: "byob" });
   * const { value } = await reader.read(accumulator.room(64));
   * accumulator.filled(value!);
   * new TextDecoder().decode(accumulator.bytes()); // "{}"
   * ```
   */
  room(minimum: number): Uint8Array<ArrayBuffer> {
    if (this.#buffer.byteLength - this.#size < minimum && this.#buffer.byteLength < this.#limit) {
      this.#grow(Math.min(this.#limit, this.#size + minimum));
    }
    return this.#buffer.subarray(this.#size);
  }

  /**
   * Takes the buffer back after a BYOB read into {@linkcode ByteAccumulator.room}:
   * `view` is the view the read returned (no bytes when the stream ended).
   */
  filled(view: Uint8Array<ArrayBuffer>): void {
    // The lent buffer is detached now (length 0): only the offset can be checked.
    if (view.byteOffset !== this.#size) {
      throw new RangeError(
        `filled(): a view at offset ${view.byteOffset} is not room() of this accumulator ` +
          `(which holds ${this.#size} bytes)`,
      );
    }
    this.#buffer = new Uint8Array(view.buffer);
    this.#size += view.byteLength;
  }

  /** The bytes held so far: a view into the accumulator's own buffer. */
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#size);
  }

  /** Replaces the buffer with a larger one (up to the limit) holding the same bytes. */
  #grow(needed: number): void {
    const capacity = Math.min(
      this.#limit,
      Math.max(needed, this.#buffer.byteLength * 2, INITIAL_CAPACITY),
    );
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#size));
    this.#buffer = grown;
  }
}
