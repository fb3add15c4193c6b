/**
 * Reads a request body as UTF-8 text with a hard byte cap and a deadline.
 * A body without a Content-Length (chunked) is read as a stream into a
 * buffer of our own, and reading stops at the first chunk past the cap, so an
 * oversized or endless body never holds more than about `limit` bytes however
 * it is chunked. On Deno, a byte stream (Deno.serve's chunked bodies) is read
 * with a BYOB reader through one buffer of ours: its default reader allocates
 * a fresh 64 KiB buffer for every read however few bytes arrived, so a body
 * sent in 1-byte chunks made 64 KiB of garbage per byte (hundreds of MB of
 * resident set for a few 20 KB bodies). Other streams (Node's and Bun's
 * bodies are never byte streams) are read chunk by chunk, each chunk copied,
 * never kept (a chunk may be a small view into a large buffer). A body with a
 * Content-Length within the cap is read in one `arrayBuffer()` call: HTTP
 * framing bounds it, and runtimes serve that call without building a web
 * stream (on Node, @hono/node-server reads the socket directly — several
 * times cheaper than `request.body`). Either read gives up at the deadline (a
 * slow or stalled sender) or when the server closes; a streamed body is then
 * cancelled, while an `arrayBuffer()` call cannot be: it is abandoned, and the
 * runtime drops the rest when the answer is sent.
 * @module
 */

import type { Scheduler } from "../../runtime.ts";
import { SlowCalls } from "../slow_calls.ts";
import { ByteAccumulator } from "./byte_accumulator.ts";

/**
 * Why a body could not be read: larger than the limit, not UTF-8, broken off
 * by the client, not finished within the deadline, or stopped because the
 * server is closing.
 */
export type BodyFailure = "too-large" | "invalid-utf8" | "aborted" | "timeout" | "cancelled";

/** The outcome of {@linkcode readBodyText}. */
export type BodyResult = { ok: true; text: string } | { ok: false; failure: BodyFailure };

/** Deadline and cancellation of {@linkcode readBodyText}. */
export interface BodyReadControl {
  /** Give up (`"timeout"`) when the whole body has not arrived this many ms after the read began. */
  timeoutMs?: number;
  /**
   * The reads in progress of one handler, instead of a timer per read: their
   * shared deadline, and `cancelAll()` for a closing server. Takes the place
   * of `timeoutMs`.
   */
  reads?: BodyReads;
}

/**
 * The body reads in progress of one handler. Each gets `timeoutMs` to finish
 * (told by one interval timer ticking four times per timeout, so a read gives
 * up between `timeoutMs` and 1.25 × `timeoutMs`: no clock read, timer or
 * closure per read), and `cancelAll()` ends every one as `"cancelled"`.
 *
 * @example
 * ```ts
 * import { BodyReads, readBodyText } from "./read_body.ts";
 * const reads = new BodyReads(30_000);
 * const request = new Request("http://x/", { method: "POST", body: "{}" });
 * const result = await readBodyText(request, 1024, { reads });
 * reads.cancelAll(); // on close: reads still in progress end as "cancelled"
 * ```
 */
export class BodyReads extends SlowCalls<BodyRead> {
  /** Reads that must finish within `timeoutMs` on `scheduler`'s clock (the runtime's by default). */
  constructor(timeoutMs: number, scheduler?: Scheduler) {
    super(timeoutMs, 4, scheduler);
  }

  /** Ends every read in progress as `"cancelled"`, and stops the timer. */
  cancelAll(): void {
    const reads = this.calls();
    this.stop();
    for (const read of reads) read.stop("cancelled");
  }
}

/** Decodes without checking: the fast path on every runtime (Deno's fatal decoder is an op call). */
const lenient = new TextDecoder();
/** Decodes or throws on malformed UTF-8: asked only when the lenient pass replaced something. */
const strict = new TextDecoder("utf-8", { fatal: true });
const REPLACEMENT = "\uFFFD";

/**
 * Reads `request`'s body up to `limit` bytes. `headers` is `request.headers`,
 * passed when the caller holds it already (each read of `request.headers`
 * costs a little on Deno.serve).
 *
 * @example
 * ```ts
 * import { readBodyText } from "./read_body.ts";
 * const result = await readBodyText(new Request("http://x/", { method: "POST", body: "{}" }), 1024, { timeoutMs: 30_000 });
 * if (result.ok) console.log(result.text); // "{}"
 * ```
 */
export function readBodyText(
  request: Request,
  limit: number,
  control: BodyReadControl = {},
  headers: Headers = request.headers,
): Promise<BodyResult> {
  const declared = headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return refuseDeclaredTooLarge(request);
  if (declared === null && request.body === null) return Promise.resolve({ ok: true, text: "" });
  // One promise per read, settled by the read or by its stop (deadline, close), whichever is first.
  // No async layers: on Bun each one costs about as much as the read itself.
  return new Promise<BodyResult>((resolve) => {
    const read = new BodyRead(resolve, control);
    if (declared !== null) {
      // The Content-Length path: one `arrayBuffer()` call.
      request.arrayBuffer().then(
        (buffer) =>
          read.finish(buffer.byteLength > limit ? TOO_LARGE : decode(new Uint8Array(buffer))),
        () => read.finish(ABORTED),
      );
    } else {
      readStream(request.body!, limit, read).then(
        (result) => read.finish(result),
        () => read.finish(ABORTED), // a body another reader has locked
      );
    }
  });
}

const TOO_LARGE: BodyResult = { ok: false, failure: "too-large" };
const ABORTED: BodyResult = { ok: false, failure: "aborted" };

async function refuseDeclaredTooLarge(request: Request): Promise<BodyResult> {
  await request.body?.cancel().catch(() => {});
  return TOO_LARGE;
}

/**
 * One read in progress: registered for its deadline and for `close()` until
 * it finishes. Stopping it finishes it at once with the reason (the first
 * reason given wins) and wakes a streamed read, which then cancels its body.
 */
class BodyRead {
  /** Its place in the slow-call watch (slow_calls.ts). */
  slowWatch: unknown = undefined;
  reason: BodyFailure | undefined;
  #resolve: ((result: BodyResult) => void) | undefined;
  #reads: BodyReads | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: ((reason: BodyFailure) => void) | undefined;

  constructor(resolve: (result: BodyResult) => void, control: BodyReadControl) {
    this.#resolve = resolve;
    this.#reads = control.reads;
    if (this.#reads !== undefined) this.#reads.add(this);
    else if (control.timeoutMs !== undefined) {
      this.#timer = setTimeout(() => this.stop("timeout"), control.timeoutMs);
    }
  }

  /** Told by {@linkcode BodyReads} once the deadline has passed. */
  slow(): void {
    this.stop("timeout");
  }

  stop(reason: BodyFailure): void {
    if (this.reason !== undefined || this.#resolve === undefined) return;
    this.reason = reason;
    this.#wake?.(reason);
    this.finish({ ok: false, failure: reason });
  }

  /** Settles the read (once) and unregisters it. */
  finish(result: BodyResult): void {
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    this.#resolve = undefined;
    this.#reads?.delete(this);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    resolve(result);
  }

  /**
   * `step`'s value, or the reason if the read is stopped first. A fresh race
   * per step: racing every chunk against one long-lived promise would pile a
   * reaction per chunk onto it.
   */
  wait<T extends object>(step: Promise<T>): Promise<T | BodyFailure> {
    if (this.reason !== undefined) return Promise.resolve(this.reason);
    return new Promise<T | BodyFailure>((resolve, reject) => {
      this.#wake = resolve;
      step.then(resolve, reject);
    });
  }
}

/**
 * Whether a streamed body is asked for a BYOB reader. Deno.serve's chunked
 * bodies are byte streams; Node's (@hono/node-server) and Bun's never are,
 * and asking a stream that is not one costs a thrown TypeError (in process,
 * a chunked read took 6.5 → 18 µs on Node 24 and 3.9 → 5.5 µs on Bun when
 * every read asked), so only Deno asks.
 */
const ASK_FOR_BYOB = "Deno" in globalThis;

/**
 * The chunked path: on Deno a BYOB reader where the body is a byte stream,
 * else the default reader (a stream that is not a byte stream refuses a
 * BYOB reader with a TypeError). A body another reader holds refuses both.
 */
function readStream(
  body: ReadableStream<Uint8Array>,
  limit: number,
  stop: BodyRead,
): Promise<BodyResult> {
  if (!ASK_FOR_BYOB) return readChunks(body, limit, stop);
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    return readChunks(body, limit, stop);
  }
  return readInto(reader, limit, stop);
}

/**
 * The size of the buffer a BYOB read fills: 64 KiB, the size of the buffer
 * Deno's default reader reads into. Deno.serve (2.9.5) decodes a chunked
 * body into the reader's view, and a read never settles when what it must
 * take in next does not fit: a view of 4 bytes or fewer stalls on 1-byte
 * chunks, one of 1 KiB on a chunk line with a 1.5 KB extension, one of
 * 8 KiB on 12 KB of trailers. At 64 KiB a body reads wherever the default
 * reader did (longer trailers stall both; the deadline ends them).
 */
const READ_BYTES = 64 * 1024;

/**
 * Reads a byte stream through one buffer of our own, each read raced with
 * the stop: a BYOB read hands the buffer back (transferred, not copied) with
 * the bytes in it, and they are copied into the accumulator. One 64 KiB
 * allocation per body, however it is chunked (the default reader makes one
 * per read).
 */
async function readInto(
  reader: ReadableStreamBYOBReader,
  limit: number,
  stop: BodyRead,
): Promise<BodyResult> {
  const accumulator = new ByteAccumulator(limit);
  let buffer = new Uint8Array(READ_BYTES);
  try {
    for (;;) {
      const next = await stop.wait(reader.read(buffer));
      if (typeof next === "string") {
        // Not awaited: a stalled source may never settle its cancel.
        reader.cancel().catch(() => {});
        return { ok: false, failure: next };
      }
      if (next.done) break;
      // A read that is not the last always has its view; the check is for the type.
      if (next.value === undefined) return ABORTED;
      buffer = new Uint8Array(next.value.buffer);
      if (!accumulator.push(next.value)) {
        await reader.cancel().catch(() => {});
        return TOO_LARGE;
      }
    }
  } catch {
    return ABORTED;
  }
  return decode(accumulator.bytes());
}

/** Reads any stream chunk by chunk, each chunk copied into the accumulator, each read raced with the stop. */
async function readChunks(
  body: ReadableStream<Uint8Array>,
  limit: number,
  stop: BodyRead,
): Promise<BodyResult> {
  const reader = body.getReader();
  const accumulator = new ByteAccumulator(limit);
  try {
    for (;;) {
      const next = await stop.wait(reader.read());
      if (typeof next === "string") {
        // Not awaited: a stalled source may never settle its cancel.
        reader.cancel().catch(() => {});
        return { ok: false, failure: next };
      }
      if (next.done) break;
      if (!accumulator.push(next.value)) {
        await reader.cancel().catch(() => {});
        return TOO_LARGE;
      }
    }
  } catch {
    return ABORTED;
  }
  return decode(accumulator.bytes());
}

/**
 * The bytes as text, or `invalid-utf8`. Malformed input always decodes to
 * U+FFFD, so text without one is exact; text with one (malformed, or a
 * literal U+FFFD) is decoded again, strictly, to tell which.
 */
function decode(bytes: Uint8Array): BodyResult {
  const text = lenient.decode(bytes);
  if (!text.includes(REPLACEMENT)) return { ok: true, text };
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    return { ok: false, failure: "invalid-utf8" };
  }
}
