/**
 * The live SSE streams of this process, by session: opens them (the SSE answer to one POST, a
 * session's listening GET stream), indexes them, resumes them from `Last-Event-ID`
 * (stream_resume.ts); its open connections (stream_connections.ts) join the handler's keep-alive,
 * one heartbeat timer for both eras. A logical stream outlives its HTTP connection
 * (logical_stream.ts): every message is logged first, so a client that drops and comes back gets
 * exactly what it missed; the work behind a stream may run without a connection only for the
 * orphan timeout (see guarded_work.ts).
 *
 * A resume of a stream that ended without answering (a cancelled call) is
 * kept open quietly, heartbeats only, instead of closed; past a bound per
 * session such a resume is refused (`409`; see parked_connections.ts).
 *
 * Each bare listening GET opens a new listening stream (a new stream id; the
 * previous one ends), so a resume of an older one replays only what that
 * one carried and never takes the live one back: a message goes out once.
 *
 * Streams written by another instance (a shared event log) are resumed by
 * replaying them and, when the log tails (`waitAfter`), following them live
 * until they end (stream_follower.ts); a follow renews the writer's lease
 * through `onFollow`, and {@linkcode StreamHub.followed} renews the lease
 * of a stream written here.
 *
 * It does not log, batch or write messages (logical_stream.ts does; an
 * answer known whole, whole_stream.ts), nor decide when a GET may open or
 * resume a stream (the pipeline does).
 * @module
 */

import { type SseMessage, sseResponse, stringifySseMessage } from "../../http/sse/sse.ts";
import { toHex } from "../../hex.ts";
import { type JsonRpcMessage, type RequestId, serializeMessage } from "../../jsonrpc/messages.ts";
import { type EventLog, formatEventId } from "../../storage/event_log/event_log.ts";
import { WholeStreams } from "./whole_stream.ts";
import type { OrphanWatch } from "./orphan_watch.ts";
import { StreamConnections, type StreamConnectionsOptions } from "./stream_connections.ts";
import type { Scheduler } from "../../runtime.ts";
import { LogicalStream } from "./logical_stream.ts";
import { ParkedConnections } from "./parked_connections.ts";
import { resumeStream } from "./stream_resume.ts";
import {
  answerStreamId,
  isListeningStreamId,
  LISTENING_STREAM_ID,
  requestStreamId,
} from "./request_stream_id.ts";

/**
 * Settings of the {@linkcode StreamHub}: its connections' (see
 * {@linkcode StreamConnectionsOptions}) and its own.
 */
export interface StreamHubOptions extends StreamConnectionsOptions {
  eventLog: EventLog;
  /** The `retry:` hint sent with priming events, ms. */
  retryMs: number;
  /** How long a stream's work may run without a connection (see {@linkcode LogicalStream.guardWork}). */
  orphans: OrphanWatch;
  /** The clock and timers of the retried end of a stream the log failed under (the runtime's by default). */
  scheduler?: Scheduler;
  /** Told about failures of the event log. */
  onError: (error: unknown) => void;
  /**
   * Told when a connection here follows a stream another instance writes:
   * at the start, then every third of the orphan timeout while it lasts.
   * The handler passes it to the writer (the bus), whose stream then keeps
   * its work ({@linkcode StreamHub.followed}).
   */
  onFollow?: (sessionId: string, streamId: string) => void;
  /** A resume told a client to send a request again (its answer is lost): cancel its run anywhere. */
  onAnswerLost?: (sessionId: string, requestId: RequestId) => void;
}

// Moved to modules of their own; still importable from here.
export { MAX_PARKED_PER_SESSION } from "./parked_connections.ts";
export { LogicalStream } from "./logical_stream.ts";
export type { GiveUpReason } from "./guarded_work.ts";
export { isListeningStreamId, LISTENING_STREAM_ID } from "./request_stream_id.ts";

/** Creates, finds, resumes and heartbeats the streams of this process. */
export class StreamHub {
  /** The event log every stream writes to. */
  readonly eventLog: EventLog;
  /** The deadlines of work whose connection is gone. */
  readonly orphans: OrphanWatch;
  /** The handler's scheduler, if it was given one. */
  readonly scheduler: Scheduler | undefined;
  #options: StreamHubOptions;
  #streams = new Map<string, Map<string, LogicalStream>>();
  /** The current listening stream of each session that has one here. */
  #listening = new Map<string, LogicalStream>();
  /** The open connections, by the session each serves. */
  #connections: StreamConnections;
  /** Quiet connections (resumes of streams that ended without an answer). */
  #parked = new ParkedConnections();
  #pendingWrites = 0;
  // Drawn at the first stream, not at construction (Workers forbid random values at module scope).
  #streamPrefix: string | undefined;
  #streamCounter = 0;
  /** The answers to POSTs known whole (logged in one go, one string body each). */
  #wholeStreams: WholeStreams;

  /** Creates a hub; its connections join `options.keepAlive`. */
  constructor(options: StreamHubOptions) {
    this.#options = options;
    this.eventLog = options.eventLog;
    this.orphans = options.orphans;
    this.scheduler = options.scheduler;
    this.#wholeStreams = new WholeStreams(options.eventLog, (error) => this.reportError(error));
    this.#connections = new StreamConnections(options);
  }

  /** Open connections in this process. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Reports an event-log failure. */
  reportError(error: unknown): void {
    this.#options.onError(error);
  }

  /**
   * Opens a new stream for the SSE answer to a POST and its first connection.
   * With `prime`, the connection starts with an event id and `retry:` (2025-11-25).
   */
  async openRequestStream(
    sessionId: string,
    prime: boolean,
    requestIds: readonly RequestId[] = [],
  ): Promise<{ stream: LogicalStream; response: Response }> {
    const streamId = requestStreamId(this.#nextStreamId(), sessionId, requestIds);
    await this.eventLog.open(sessionId, streamId, { requestIds });
    const stream = this.#register(sessionId, streamId, requestIds);
    const connection = this.#connections.open(stream, prime ? this.#priming(streamId) : undefined);
    return { stream, response: sseResponse(connection.body) };
  }

  /**
   * The SSE answer to a POST whose messages are all known already: logged
   * like a live stream (so a client cut off mid-body can resume), but sent
   * as one string body, without a stream object or a connection to track
   * (see {@linkcode WholeStreams.answer}). `early` (taken over):
   * notifications' JSON, sent first.
   */
  async completeRequestStream(
    sessionId: string,
    prime: boolean,
    messages: readonly JsonRpcMessage[],
    early: string[] = [],
  ): Promise<Response> {
    const streamId = answerStreamId(this.#nextStreamId(), sessionId, messages);
    // `early` empty may be a shared constant (never written): the responses then go in their own.
    const data = early.length === 0 ? [] : early;
    for (const message of messages) data.push(serializeMessage(message));
    const head = prime ? stringifySseMessage(this.#priming(streamId)) : "";
    return await this.#wholeStreams.answer(sessionId, streamId, data, head);
  }

  /** The priming event (2025-11-25): the stream's first event id, the retry hint, empty data. */
  #priming(streamId: string): SseMessage {
    return { id: formatEventId(streamId, 0), retry: this.#options.retryMs, data: "" };
  }

  /** A stream id unique in this process; the random prefix keeps instances sharing an event log apart. */
  #nextStreamId(): string {
    this.#streamPrefix ??= randomHex(4);
    return `${this.#streamPrefix}${(++this.#streamCounter).toString(36)}`;
  }

  /** The session's listening stream, if one is open in this process. */
  listening(sessionId: string): LogicalStream | undefined {
    return this.#listening.get(sessionId);
  }

  /** True when this process holds streams of the session. */
  holds(sessionId: string): boolean {
    return this.#streams.has(sessionId);
  }

  /** Sessions with streams or open connections in this process. */
  sessionIds(): Set<string> {
    const ids = new Set(this.#streams.keys());
    for (const sessionId of this.#connections.sessionIds()) ids.add(sessionId);
    return ids;
  }

  /** Sessions with a listening stream open in this process. */
  listeningSessions(): string[] {
    return [...this.#listening.keys()];
  }

  /**
   * Opens a new listening stream for the session; the one it had ends (its
   * connection, maybe half-open behind a NAT that dropped it silently, is
   * closed). The new connection gets what is sent from now on; a resume of
   * the old stream replays what that one carried, nothing of the new one's.
   */
  async openListening(sessionId: string, prime: boolean): Promise<Response> {
    const streamId = `${LISTENING_STREAM_ID}.${this.#nextStreamId()}`;
    await this.eventLog.open(sessionId, streamId);
    // No await from here on: the stream replaced now is the one the client last opened.
    void this.listening(sessionId)?.supersede();
    const stream = this.#register(sessionId, streamId);
    const connection = this.#connections.open(stream, prime ? this.#priming(streamId) : undefined);
    return sseResponse(connection.body);
  }

  /**
   * Resumes a stream from `lastEventId` (see {@linkcode resumeStream}):
   * replays what came after it, then continues live, follows it, or parks
   * the connection. Undefined when the id names nothing of this session.
   */
  async resume(sessionId: string, lastEventId: string): Promise<Response | undefined> {
    const options = this.#options;
    return await resumeStream(
      {
        eventLog: this.eventLog,
        orphanTimeoutMs: this.orphans.timeoutMs,
        scheduler: this.scheduler,
        keepAlive: options.keepAlive,
        maxBufferedBytes: options.maxBufferedBytes,
        parked: this.#parked,
        onDropped: options.onDropped,
        onFollow: options.onFollow,
        onAnswerLost: options.onAnswerLost,
        onError: options.onError,
        stream: (streamId) => this.#streams.get(sessionId)?.get(streamId),
        listening: () => this.listening(sessionId),
        register: (streamId) => this.#register(sessionId, streamId),
        track: (connection) => this.#connections.track(connection, sessionId),
        untrack: (connection) => this.#connections.untrack(connection),
      },
      sessionId,
      lastEventId,
    );
  }

  /** Another instance follows `streamId` of this process: renew its work's lease. */
  followed(sessionId: string, streamId: string): void {
    this.#streams.get(sessionId)?.get(streamId)?.renewLease();
  }

  /** Ends every stream of a session (DELETE, expiry). */
  endSession(sessionId: string): void {
    const streams = this.#streams.get(sessionId);
    if (streams !== undefined) { for (const stream of [...streams.values()]) stream.abort(); }
    this.#connections.closeSession(sessionId);
  }

  /** Ends every session's listening stream (a graceful shutdown starts with these: they hold no work). */
  closeListening(): void {
    for (const stream of [...this.#listening.values()]) stream.abort();
  }

  /**
   * Sends, flushes and ends queued on streams and not yet done. A finished
   * handler's answer is one of these until it is logged and written, so
   * `close({ graceMs })` waits for them as well as for running work.
   */
  get pendingWrites(): number {
    return this.#pendingWrites;
  }

  /** A stream queued a write (called by {@linkcode LogicalStream}). */
  writeQueued(): void {
    this.#pendingWrites++;
  }

  /** A queued write is done, or failed and was reported (called by {@linkcode LogicalStream}). */
  writeSettled(): void {
    this.#pendingWrites--;
  }

  /** Ends everything (each connection leaves the keep-alive as it ends). */
  closeAll(): void {
    for (const sessionId of [...this.#streams.keys()]) this.endSession(sessionId);
    this.#connections.closeAll();
  }

  /** Removes a finished stream from the index. */
  forget(stream: LogicalStream): void {
    if (this.#listening.get(stream.sessionId) === stream) this.#listening.delete(stream.sessionId);
    const streams = this.#streams.get(stream.sessionId);
    if (streams?.get(stream.streamId) !== stream) return;
    streams.delete(stream.streamId);
    if (streams.size === 0) this.#streams.delete(stream.sessionId);
  }

  #register(
    sessionId: string,
    streamId: string,
    requestIds: readonly RequestId[] = [],
  ): LogicalStream {
    const stream = new LogicalStream(this, sessionId, streamId, requestIds);
    let streams = this.#streams.get(sessionId);
    if (streams === undefined) this.#streams.set(sessionId, streams = new Map());
    streams.set(streamId, stream);
    if (isListeningStreamId(streamId)) this.#listening.set(sessionId, stream);
    return stream;
  }
}

function randomHex(byteCount: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(byteCount))) + "-";
}
