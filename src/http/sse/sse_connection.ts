/**
 * One SSE HTTP response body with a bounded buffer. Writes go into a
 * ReadableStream queue measured in bytes; when a client stops reading and the
 * queue passes `maxBufferedBytes`, the connection is dropped (its queue freed)
 * rather than growing. Callers keep events in the event log, so a dropped
 * client loses nothing it cannot resume. Every body starts with bytes within
 * two task turns of opening (a priming event, or a `: connected` comment):
 * Bun sends no response headers before the first chunk. Events written
 * meanwhile share that first chunk. It frames bytes; it does not know MCP.
 * @module
 */

import { type SseMessage, stringifySseMessage } from "./sse.ts";
import { nextTask } from "../../runtime.ts";

const encoder = new TextEncoder();
/** The first bytes of a body that has no priming event. */
const CONNECTED: SseMessage = { comment: "connected" };
/**
 * Chunks written by {@linkcode SseConnection.writeBacklog}, of every connection: they count as
 * one byte against the buffer bound. One set and one size function for all connections, not one
 * of each per open stream (an idle stream's memory, issue 46).
 */
const BACKLOG = new WeakSet<Uint8Array>();
/** A backlog chunk counts as one byte, not zero: workerd truncates sizes to integers and never hands a reader a chunk whose queue size is 0. */
const chunkSize = (chunk: Uint8Array): number => (BACKLOG.has(chunk) ? 1 : chunk.byteLength);

/** Why a connection ended. */
export type ConnectionEnd = "closed" | "client-gone" | "overflow";

/**
 * The `streams.maxStreamBufferBytes` setting as both eras read it: each hands
 * it to its connections as {@linkcode SseConnectionOptions.maxBufferedBytes}.
 *
 * @example
 * ```ts
 * import type { StreamBufferSettings } from "./sse_connection.ts";
 * const streams: StreamBufferSettings = { maxStreamBufferBytes: 1024 * 1024 };
 * ```
 */
export interface StreamBufferSettings {
  /** Bytes a stream may buffer for a slow reader before it is dropped. */
  maxStreamBufferBytes: number;
}

/** Options of {@linkcode SseConnection}. */
export interface SseConnectionOptions {
  /** Bytes the queue may hold before the connection is dropped. */
  maxBufferedBytes: number;
  /**
   * The message the body starts with (a priming event), queued within two task turns.
   * Default: a `: connected` comment, so the runtime has a chunk to send with
   * the headers however long the first event takes.
   */
  first?: SseMessage;
  /** Called once when the connection ends, whoever ended it. */
  onEnd?: (reason: ConnectionEnd) => void;
  /** Like `onEnd`, an object rather than a closure per connection (an idle stream's memory). */
  watcher?: ConnectionWatcher;
}

/** Told once when a connection ends, whoever ended it ({@linkcode SseConnectionOptions.watcher}). */
export interface ConnectionWatcher {
  /** `connection` ended, for `reason`. */
  connectionEnded(connection: SseConnection, reason: ConnectionEnd): void;
}

/** A live SSE response body. */
export class SseConnection {
  /** The body to put in a Response. */
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #ended = false;
  #onEnd: ((reason: ConnectionEnd) => void) | undefined;
  #watcher: ConnectionWatcher | undefined;
  /** The first message, until the first write (which carries it) or two task turns. */
  #head: string | undefined;
  /** {@linkcode SseConnectionOptions.maxBufferedBytes}, checked against the queue's size on each write. */
  #maxBufferedBytes: number;

  /** Opens a connection. */
  constructor(options: SseConnectionOptions) {
    this.#onEnd = options.onEnd;
    this.#watcher = options.watcher;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    // The connection is the body's source (`start`, `cancel`): no closures of its own per stream.
    this.body = new ReadableStream<Uint8Array>(this, {
      // 0, not the bound: Bun sizes each response's native buffer from the high-water mark (1 MiB
      // cost ~7 KB of RSS per open stream there); the bound is checked in writeRaw instead, where
      // desiredSize is minus the bytes queued.
      highWaterMark: 0,
      size: chunkSize,
    });
    this.#head = stringifySseMessage(options.first ?? CONNECTED);
    // Two task turns: a batch of events written at the end of this task (a stream's flush) still joins it.
    nextTask(() => nextTask(() => this.#flushHead()));
  }

  /** The body's source starts (the ReadableStream calls this once, at construction). */
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  /** The body's source is cancelled: the client went away (the ReadableStream calls this). */
  cancel(): void {
    this.#end("client-gone");
  }

  /** Queues the first message alone: nothing joined it in time. */
  #flushHead(): void {
    const head = this.#head;
    if (head === undefined) return;
    this.#head = undefined;
    this.#enqueue(encoder.encode(head));
  }

  /** `text`, after the first message if that is still held. */
  #withHead(text: string): string {
    const head = this.#head;
    if (head === undefined) return text;
    this.#head = undefined;
    return head + text;
  }

  /** True once the connection has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Writes one message; false when the connection has ended (now or before). */
  write(message: SseMessage): boolean {
    return this.writeRaw(stringifySseMessage(message));
  }

  /** Writes pre-encoded SSE text. */
  writeRaw(text: string): boolean {
    if (!this.#enqueue(encoder.encode(this.#withHead(text)))) return false;
    if ((this.#controller.desiredSize ?? 0) < -this.#maxBufferedBytes) {
      // The reader is not keeping up: drop the connection and free its queue.
      this.#end("overflow");
      try {
        this.#controller.error(new Error("SSE client is not reading; connection dropped"));
      } catch { /* already errored */ }
      return false;
    }
    return true;
  }

  /**
   * Writes replayed events (a resume). The event log bounds them, and the
   * reader cannot have read anything yet, so they are not held against
   * `maxBufferedBytes`: a backlog larger than the buffer would otherwise drop
   * every resume. Live writes after it are bounded as usual.
   */
  writeBacklog(text: string): boolean {
    const chunk = encoder.encode(this.#withHead(text));
    BACKLOG.add(chunk);
    return this.#enqueue(chunk);
  }

  /** Queues a chunk; false when the connection has ended (now or before). */
  #enqueue(chunk: Uint8Array): boolean {
    if (this.#ended) return false;
    try {
      this.#controller.enqueue(chunk);
    } catch {
      this.#end("client-gone");
      return false;
    }
    return true;
  }

  /** Ends the connection after what is queued has been read. */
  close(): void {
    if (this.#ended) return;
    this.#flushHead();
    this.#end("closed");
    try {
      this.#controller.close();
    } catch { /* already closed by the client */ }
  }

  #end(reason: ConnectionEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const onEnd = this.#onEnd;
    const watcher = this.#watcher;
    this.#onEnd = this.#watcher = undefined;
    onEnd?.(reason);
    watcher?.connectionEnded(this, reason);
  }
}
