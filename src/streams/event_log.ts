/**
 * The `EventLog` interface (what resumability needs from storage) and its
 * in-memory default. Event ids are `<stream>:<seq>`: unique within a session
 * and naming their stream, so a replay never crosses streams. Bounds: events
 * per stream, streams per session and bytes per session; oldest go first. The log is scoped by
 * session id; the transport only asks with the id of a session the caller
 * owns, so another session's event id finds nothing.
 * @module
 */

import { utf8Length } from "../utf8_length.ts";

/** One stored SSE event: its id and its JSON-RPC message as JSON text. */
export interface StoredEvent {
  /** The event id, `<stream>:<seq>`. */
  id: string;
  /** The JSON-RPC message, serialised. */
  data: string;
}

/** What {@linkcode EventLog.replayAfter} found. */
export interface Replay {
  /** The stream the event id belongs to. */
  streamId: string;
  /** Events after the given id, oldest first. */
  events: StoredEvent[];
  /** True when the stream has ended (its final response is among the stored events). */
  complete: boolean;
}

/** Storage for resumable SSE streams. Async so a shared store can implement it. */
export interface EventLog {
  /** Registers a new stream (before its priming event), so it can be resumed before its first event. */
  open(sessionId: string, streamId: string): Promise<void>;
  /** Appends an event to a stream and returns its id. */
  append(sessionId: string, streamId: string, data: string): Promise<string>;
  /** Marks a stream as ended. */
  complete(sessionId: string, streamId: string): Promise<void>;
  /** Events of the same stream after `lastEventId`; undefined for unknown or malformed ids. */
  replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined>;
  /** Forgets everything of a session. */
  deleteSession(sessionId: string): Promise<void>;
}

/** Splits `<stream>:<seq>`; undefined when malformed. */
export function parseEventId(eventId: string): { streamId: string; seq: number } | undefined {
  const colon = eventId.lastIndexOf(":");
  if (colon <= 0 || eventId.length > 200) return undefined;
  const seqText = eventId.slice(colon + 1);
  if (!/^\d{1,15}$/.test(seqText)) return undefined;
  return { streamId: eventId.slice(0, colon), seq: Number(seqText) };
}

/** Builds an event id. Sequence 0 is the priming event, which is never stored. */
export function formatEventId(streamId: string, seq: number): string {
  return `${streamId}:${seq}`;
}

/** Bounds of the {@linkcode MemoryEventLog}. */
export interface MemoryEventLogOptions {
  /** Events kept per stream (oldest dropped). Default 1,000. */
  maxEventsPerStream?: number;
  /** Streams kept per session (oldest dropped). Default 64. */
  maxStreamsPerSession?: number;
  /** Bytes of event data kept per session (oldest events dropped). Default 1 MiB. */
  maxBytesPerSession?: number;
}

interface StreamLog {
  events: StoredEvent[];
  seqs: number[];
  sizes: number[];
  nextSeq: number;
  complete: boolean;
}

interface SessionLog {
  streams: Map<string, StreamLog>;
  bytes: number;
}

/**
 * The default event log, in process memory.
 *
 * @example
 * ```ts
 * import { MemoryEventLog } from "@tether/mcp";
 * const log = new MemoryEventLog({ maxEventsPerStream: 200 });
 * ```
 */
export class MemoryEventLog implements EventLog {
  #sessions = new Map<string, SessionLog>();
  #maxEvents: number;
  #maxStreams: number;
  #maxBytes: number;

  /** Creates an empty log with the given bounds. */
  constructor(options: MemoryEventLogOptions = {}) {
    this.#maxEvents = options.maxEventsPerStream ?? 1_000;
    this.#maxStreams = options.maxStreamsPerSession ?? 64;
    this.#maxBytes = options.maxBytesPerSession ?? 1024 * 1024;
  }

  /** Registers a stream; the oldest stream of the session is dropped past the bound. */
  open(sessionId: string, streamId: string): Promise<void> {
    this.#stream(this.#session(sessionId), streamId);
    return Promise.resolve();
  }

  #session(sessionId: string): SessionLog {
    let session = this.#sessions.get(sessionId);
    if (session === undefined) this.#sessions.set(sessionId, session = { streams: new Map(), bytes: 0 });
    return session;
  }

  #stream(session: SessionLog, streamId: string): StreamLog {
    let stream = session.streams.get(streamId);
    if (stream === undefined) {
      if (session.streams.size >= this.#maxStreams) {
        const [oldestId, oldest] = session.streams.entries().next().value!;
        for (const size of oldest.sizes) session.bytes -= size;
        session.streams.delete(oldestId);
      }
      session.streams.set(streamId, stream = { events: [], seqs: [], sizes: [], nextSeq: 1, complete: false });
    }
    return stream;
  }

  /** Drops oldest events, oldest streams first, until the session fits its byte budget. */
  #trim(session: SessionLog): void {
    for (const stream of session.streams.values()) {
      while (session.bytes > this.#maxBytes && stream.events.length > 0) {
        session.bytes -= stream.sizes.shift()!;
        stream.events.shift();
        stream.seqs.shift();
      }
      if (session.bytes <= this.#maxBytes) return;
    }
  }

  /** Appends an event and returns its id. */
  append(sessionId: string, streamId: string, data: string): Promise<string> {
    const session = this.#session(sessionId);
    const stream = this.#stream(session, streamId);
    const seq = stream.nextSeq++;
    const id = formatEventId(streamId, seq);
    const size = utf8Length(data);
    stream.events.push({ id, data });
    stream.seqs.push(seq);
    stream.sizes.push(size);
    session.bytes += size;
    if (stream.events.length > this.#maxEvents) {
      session.bytes -= stream.sizes.shift()!;
      stream.events.shift();
      stream.seqs.shift();
    }
    if (session.bytes > this.#maxBytes) this.#trim(session);
    return Promise.resolve(id);
  }

  /** Marks a stream as ended. */
  complete(sessionId: string, streamId: string): Promise<void> {
    const stream = this.#sessions.get(sessionId)?.streams.get(streamId);
    if (stream !== undefined) stream.complete = true;
    return Promise.resolve();
  }

  /** Events after `lastEventId` in its own stream. */
  replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return Promise.resolve(undefined);
    const stream = this.#sessions.get(sessionId)?.streams.get(parsed.streamId);
    if (stream === undefined || parsed.seq >= stream.nextSeq) return Promise.resolve(undefined);
    let start = 0;
    while (start < stream.seqs.length && stream.seqs[start] <= parsed.seq) start++;
    return Promise.resolve({ streamId: parsed.streamId, events: stream.events.slice(start), complete: stream.complete });
  }

  /** Forgets a session's streams. */
  deleteSession(sessionId: string): Promise<void> {
    this.#sessions.delete(sessionId);
    return Promise.resolve();
  }
}
