/**
 * A shared event log's writer heartbeat: started with the first stream an
 * instance writes (so its mark exists before a stream names the writer),
 * beaten every third of the instance timeout, stopped on close. A first
 * beat that fails is tried again with the next stream; later failures are
 * left to the next beat (the backend fails requests closed meanwhile).
 * It knows nothing of where the mark is kept: the backend's `beat` writes it.
 * @module
 */

import { unrefTimer } from "../../runtime.ts";

/**
 * The heartbeat of one writer.
 *
 * @example
 * ```ts
 * import { WriterHeartbeat } from "./writer_heartbeat.ts";
 * const heartbeat = new WriterHeartbeat(() => Promise.resolve(), 6_000);
 * await heartbeat.start(); // the first beat, then every 2 s
 * console.log(heartbeat.started); // true
 * heartbeat.stop();
 * ```
 */
export class WriterHeartbeat {
  readonly #beat: () => Promise<unknown>;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #first: Promise<unknown> | undefined;

  /** `beat` writes the mark, alive for `timeoutMs`; it is repeated every third of that. */
  constructor(beat: () => Promise<unknown>, timeoutMs: number) {
    this.#beat = beat;
    this.#timeoutMs = timeoutMs;
  }

  /** True once a first beat was asked for (its mark may need deleting on close). */
  get started(): boolean {
    return this.#first !== undefined;
  }

  /** The first beat (the same promise until it fails), starting the timer. */
  start(): Promise<unknown> {
    if (this.#first !== undefined) return this.#first;
    this.#first = this.#beat().catch((error) => {
      this.#first = undefined; // try again with the next stream
      throw error;
    });
    this.#timer ??= setInterval(
      () =>
        void this.#beat().catch(() => {/* the store is away: requests fail closed meanwhile */}),
      Math.max(1, Math.floor(this.#timeoutMs / 3)),
    );
    unrefTimer(this.#timer);
    return this.#first;
  }

  /** Stops the timer; {@linkcode WriterHeartbeat.started} still tells whether a mark was written. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
