/**
 * The default {@linkcode EventLog}, in process memory. Bounds: events per
 * stream, streams per session, bytes per session (a stream over it alone
 * sheds its own first, then the oldest go first) and bytes for the whole
 * process (`maxTotalBytes`: the streams written least recently go first,
 * finished ones before running ones). Followers wait in `waitAfter` for the
 * next event of a stream written in this process.
 *
 * It is not shared between processes (redis/redis_event_log.ts is), and it
 * never reports a lost writer: a writer in this process is never lost.
 * @module
 */

import { type MemoryEventLogOptions, resolveBounds } from "./memory_budget.ts";
import {
  dataAt,
  heldCount,
  holdEvent,
  holdEvents,
  holdPacked,
  type PackedEvents,
  releaseOldest,
  sizeAt,
} from "./held_events.ts";
import {
  type AppendOptions,
  type EventLog,
  formatEventId,
  parseEventId,
  type Replay,
  type StoredEvent,
  type StreamInfo,
  type WaitOptions,
} from "./event_log_interface.ts";
import {
  newSessionLog,
  newStreamLog,
  type SessionLog,
  type StreamLog,
} from "./memory_log_records.ts";

export type { MemoryEventLogOptions } from "./memory_budget.ts";

/** Stores a whole new stream, ended (see {@linkcode wholeStreamAppender}). */
type AppendWhole = (
  sessionId: string,
  streamId: string,
  events: PackedEvents,
  bytes: number,
) => boolean;
/** Set by MemoryEventLog's static block, where its private members are in reach. */
let appendWhole: (log: MemoryEventLog, ...args: Parameters<AppendWhole>) => boolean;

/**
 * The default event log, in process memory. Memory is bounded per stream,
 * per session, and for the whole process (`maxTotalBytes`), so the number of
 * sessions never multiplies it past one figure.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { MemoryEventLog } from "@tether/mcp/storage";
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   streams: {
 *     eventLog: new MemoryEventLog({ maxEventsPerStream: 200, maxTotalBytes: 64 * 1024 * 1024 }),
 *   },
 * });
 * ```
 */
export class MemoryEventLog implements EventLog {
  #sessions = new Map<string, SessionLog>();
  #maxEvents: number;
  #maxStreams: number;
  #maxBytes: number;
  #maxTotalBytes: number;
  #totalBytes = 0;
  /** Streams by last write, least recent first; finished and running ones apart, so finished ones go first. */
  #finished = new Set<StreamLog>();
  #running = new Set<StreamLog>();

  /** Creates an empty log with the given bounds. */
  constructor(options: MemoryEventLogOptions = {}) {
    const bounds = resolveBounds(options);
    this.#maxEvents = bounds.maxEventsPerStream;
    this.#maxStreams = bounds.maxStreamsPerSession;
    this.#maxBytes = bounds.maxBytesPerSession;
    this.#maxTotalBytes = bounds.maxTotalBytes;
  }

  /** Bytes of event data held for all sessions. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /**
   * Registers a stream; the oldest stream of the session is dropped past the
   * bound. `info` is not kept: a writer in this process is never lost.
   */
  open(sessionId: string, streamId: string, _info?: StreamInfo): Promise<void> {
    this.#stream(sessionId, streamId);
    return Promise.resolve();
  }

  #stream(sessionId: string, streamId: string): StreamLog {
    let session = this.#sessions.get(sessionId);
    if (session === undefined) {
      this.#sessions.set(sessionId, session = newSessionLog());
    }
    let stream = session.streams.get(streamId);
    if (stream === undefined) {
      if (session.streams.size >= this.#maxStreams) {
        this.#drop(session.streams.values().next().value!);
      }
      stream = newStreamLog(session, sessionId, streamId);
      session.streams.set(streamId, stream);
      session.holding.add(stream);
      this.#running.add(stream);
    }
    return stream;
  }

  /** Forgets a whole stream. */
  #drop(stream: StreamLog): void {
    this.#wake(stream);
    this.#release(stream, heldCount(stream));
    stream.session.streams.delete(stream.streamId);
    stream.session.holding.delete(stream);
    this.#finished.delete(stream);
    this.#running.delete(stream);
  }

  /** Drops a stream's `count` oldest events; a finished stream left with none leaves the walks. */
  #release(stream: StreamLog, count: number): void {
    this.#account(stream, -releaseOldest(stream, count));
    stream.firstSeq += count;
    if (stream.complete) this.#settle(stream);
  }

  /**
   * A finished stream holding no events stays on record (a resume from it is
   * answered as one whose events were dropped) but leaves the budgets' walks:
   * they have nothing to take from it.
   */
  #settle(stream: StreamLog): void {
    if (heldCount(stream) > 0) return;
    stream.session.holding.delete(stream);
    this.#finished.delete(stream);
  }

  /** Books `bytes` (negative when freed) to the stream, its session and the process. */
  #account(stream: StreamLog, bytes: number): void {
    stream.bytes += bytes;
    stream.session.bytes += bytes;
    this.#totalBytes += bytes;
  }

  /**
   * Drops oldest events until the session fits its byte budget: first of
   * `current` while it alone is over it (it cannot be kept whole, and must
   * not take the session's other streams with it), then oldest streams first.
   */
  #trimSession(current: StreamLog): void {
    const session = current.session;
    if (current.bytes > this.#maxBytes) this.#shed(current, current.bytes - this.#maxBytes);
    for (const stream of session.holding) {
      if (session.bytes <= this.#maxBytes) return;
      this.#shed(stream, session.bytes - this.#maxBytes);
    }
  }

  /** Drops `stream`'s oldest events until `excess` bytes are freed or none are left. */
  #shed(stream: StreamLog, excess: number): void {
    let count = 0;
    const held = heldCount(stream);
    for (let freed = 0; freed < excess && count < held;) freed += sizeAt(stream, count++);
    if (count > 0) this.#release(stream, count);
  }

  /**
   * Brings the process under its global budget: whole streams written least
   * recently go first, finished ones before running ones, and `current` (the
   * stream being written) only when nothing else is left.
   */
  #trimGlobal(current: StreamLog): void {
    for (const candidates of [this.#finished, this.#running]) {
      for (const stream of candidates) {
        if (this.#totalBytes <= this.#maxTotalBytes) return;
        if (stream === current) continue;
        if (stream.complete) {
          this.#drop(stream);
        } else if (heldCount(stream) > 0) this.#lose(stream, heldCount(stream));
      }
    }
    let count = 0;
    let bytes = this.#totalBytes;
    const held = heldCount(current);
    while (bytes > this.#maxTotalBytes && count < held - 1) bytes -= sizeAt(current, count++);
    if (count > 0) this.#lose(current, count);
  }

  /**
   * Evicts a running stream's oldest events. A resume from before them is
   * refused from now on rather than replayed with a gap: the client learns its
   * stream is gone and asks again. A client still connected has them already.
   */
  #lose(stream: StreamLog, count: number): void {
    stream.lostThrough = stream.firstSeq + count - 1;
    this.#release(stream, count);
  }

  /** Appends an event and returns its id. */
  append(sessionId: string, streamId: string, data: string): Promise<string> {
    const stream = this.#stream(sessionId, streamId);
    const id = this.#push(stream, data);
    this.#written(stream);
    return Promise.resolve(id);
  }

  /**
   * Appends several events in order (synchronously: one bookkeeping pass
   * for all, their sizes counted in one pass; a stream written whole is
   * held packed, see held_events.ts).
   */
  appendMany(
    sessionId: string,
    streamId: string,
    data: readonly string[],
    options?: AppendOptions,
  ): Promise<string[]> {
    const stream = this.#stream(sessionId, streamId);
    const first = this.#pushAll(stream, data, options?.complete === true);
    const ids = new Array<string>(data.length);
    for (let i = 0; i < data.length; i++) ids[i] = formatEventId(streamId, first + i);
    return Promise.resolve(ids);
  }

  static {
    appendWhole = (log, sessionId, streamId, events, bytes) =>
      log.#pushWhole(log.#stream(sessionId, streamId), events, bytes);
  }

  /** Stores one event at the end of `stream`; {@linkcode MemoryEventLog.#written} applies the bounds after. */
  #push(stream: StreamLog, data: string): string {
    const id = formatEventId(stream.streamId, stream.nextSeq++);
    this.#account(stream, holdEvent(stream, data));
    return id;
  }

  /** Stores the events of a stream that has numbered none yet, and ends it; false (nothing stored) otherwise. */
  #pushWhole(stream: StreamLog, events: PackedEvents, bytes: number): boolean {
    if (stream.nextSeq !== 1 || !holdPacked(stream, events)) return false;
    if (events.ends.length > 0) {
      stream.nextSeq += events.ends.length;
      this.#account(stream, bytes);
      this.#written(stream);
    }
    this.#complete(stream);
    return true;
  }

  /** Stores `data` at the end of `stream`, applies the bounds, ends it when `complete`; returns the first seq. */
  #pushAll(stream: StreamLog, data: readonly string[], complete: boolean): number {
    const first = stream.nextSeq;
    if (data.length > 0) {
      this.#account(stream, holdEvents(stream, data, complete));
      stream.nextSeq += data.length;
      this.#written(stream);
    }
    if (complete) this.#complete(stream);
    return first;
  }

  /** After writes to `stream`: it becomes the most recently written, the bounds hold again, followers wake. */
  #written(stream: StreamLog): void {
    const order = stream.complete ? this.#finished : this.#running;
    order.delete(stream);
    order.add(stream);
    // A running stream is always held; a finished one written again is held again.
    if (stream.complete) stream.session.holding.add(stream);
    const excess = heldCount(stream) - this.#maxEvents;
    if (excess > 0) this.#release(stream, excess);
    if (stream.session.bytes > this.#maxBytes) this.#trimSession(stream);
    if (this.#totalBytes > this.#maxTotalBytes) this.#trimGlobal(stream);
    this.#wake(stream);
  }

  /** Marks a stream as ended. */
  complete(sessionId: string, streamId: string): Promise<void> {
    const stream = this.#sessions.get(sessionId)?.streams.get(streamId);
    if (stream !== undefined) this.#complete(stream);
    return Promise.resolve();
  }

  #complete(stream: StreamLog): void {
    if (stream.complete) return;
    stream.complete = true;
    this.#running.delete(stream);
    this.#finished.add(stream);
    this.#settle(stream);
    this.#wake(stream);
  }

  /** Tells the followers of `stream` to look again. */
  #wake(stream: StreamLog): void {
    const waiters = stream.waiters;
    if (waiters === undefined) return;
    stream.waiters = undefined;
    for (const wake of waiters) wake();
  }

  /**
   * Live tailing: events after `lastEventId`, waiting for the next one (or
   * the end) when there are none yet. A process-local writer never goes
   * missing, so `writerLost` is never set.
   */
  async waitAfter(
    sessionId: string,
    lastEventId: string,
    options: WaitOptions,
  ): Promise<Replay | undefined> {
    const now = await this.replayAfter(sessionId, lastEventId);
    const signal = options.signal;
    if (now === undefined || now.events.length > 0 || now.complete || signal?.aborted) return now;
    const stream = this.#sessions.get(sessionId)?.streams.get(now.streamId);
    if (stream === undefined) return undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        stream.waiters?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, options.timeoutMs);
      signal?.addEventListener("abort", done, { once: true });
      (stream.waiters ??= new Set()).add(done);
    });
    return this.replayAfter(sessionId, lastEventId);
  }

  /** Events after `lastEventId` in its own stream; undefined when events it needs were evicted. */
  replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return Promise.resolve(undefined);
    const stream = this.#sessions.get(sessionId)?.streams.get(parsed.streamId);
    if (stream === undefined || parsed.seq >= stream.nextSeq || parsed.seq < stream.lostThrough) {
      return Promise.resolve(undefined);
    }
    const events: StoredEvent[] = [];
    for (let seq = Math.max(parsed.seq + 1, stream.firstSeq); seq < stream.nextSeq; seq++) {
      const data = dataAt(stream, seq - stream.firstSeq);
      events.push({ id: formatEventId(parsed.streamId, seq), data });
    }
    const replay: Replay = { streamId: parsed.streamId, events, complete: stream.complete };
    if (parsed.seq + 1 < stream.firstSeq) replay.gap = true; // events after it were dropped
    return Promise.resolve(replay);
  }

  /** Forgets a session's streams. */
  deleteSession(sessionId: string): Promise<void> {
    const session = this.#sessions.get(sessionId);
    if (session !== undefined) {
      for (const stream of [...session.streams.values()]) this.#drop(stream);
      this.#sessions.delete(sessionId);
    }
    return Promise.resolve();
  }
}

/**
 * For the stream hub: when {@linkcode numbersInOrder} holds of `log`, a
 * function that stores a whole new stream at once, synchronously, and ends
 * it: its events packed in one string (their UTF-8 `bytes` counted by the
 * caller), numbered from 1, so their ids are `formatEventId(streamId, 1 + i)`.
 * It returns false, storing nothing, when the stream has numbered events
 * already. Undefined for any other log.
 */
export function wholeStreamAppender(log: EventLog): AppendWhole | undefined {
  if (!numbersInOrder(log)) return undefined;
  return (sessionId, streamId, events, bytes) =>
    appendWhole(log, sessionId, streamId, events, bytes);
}

/** A {@linkcode MemoryEventLog} with its own `appendMany` (ids `<stream>:<n>` in order). */
export function numbersInOrder(log: EventLog): log is MemoryEventLog {
  return log instanceof MemoryEventLog && log.appendMany === MemoryEventLog.prototype.appendMany;
}
