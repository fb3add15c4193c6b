/**
 * The live SSE streams of this process, by session: opens them (the SSE answer to one POST, a
 * session's listening GET stream), indexes them, resumes them from `Last-Event-ID`
 * (stream_resume.ts); its open connections join the handler's keep-alive, one heartbeat timer for
 * both eras. A logical stream outlives its HTTP connection (logical_stream.ts): every message is
 * logged first, so a client that drops and comes back gets exactly what it missed; the work behind
 * a stream may run without a connection only for the orphan timeout (see orphan_watch.ts).
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
 * It does not log, batch or write messages (logical_stream.ts does), nor
 * decide when a GET may open or resume a stream (the pipeline does).
 * @module
 */

import {
  type SseMessage,
  sseResponse,
  stringifyJsonEvents,
  stringifySseMessage,
} from "../../http/sse/sse.ts";
import { toHex } from "../../hex.ts";
import { type JsonRpcMessage, type RequestId, serializeMessage } from "../../jsonrpc/messages.ts";
import { eventIdPrefix, type EventLog, formatEventId } from "../event_log/event_log.ts";
import { wholeStreamAppender } from "../event_log/memory_event_log.ts";
import { frameWholeStream } from "./whole_stream.ts";
import type { OrphanWatch } from "./orphan_watch.ts";
import {
  type ConnectionEnd,
  type ConnectionWatcher,
  SseConnection,
} from "../../http/sse/sse_connection.ts";
import type { KeepAlive } from "../../http/sse/keep_alive.ts";
import type { Scheduler } from "../../runtime.ts";
import { isListeningStreamId, LISTENING_STREAM_ID, LogicalStream } from "./logical_stream.ts";
import { appendAll } from "../event_log/append_all.ts";
import { ParkedConnections } from "./parked_connections.ts";
import { resumeStream } from "./stream_resume.ts";
import { answerStreamId, requestStreamId } from "./request_stream_id.ts";

/** Settings of the {@linkcode StreamHub}. */
export interface StreamHubOptions {
  eventLog: EventLog;
  /** The heartbeats of this process's SSE connections (shared with the 2026-07-28 streams). */
  keepAlive: KeepAlive;
  /** Bytes one connection may queue before it is dropped. */
  maxBufferedBytes: number;
  /** The `retry:` hint sent with priming events, ms. */
  retryMs: number;
  /** How long a stream's work may run without a connection (see {@linkcode LogicalStream.guardWork}). */
  orphans: OrphanWatch;
  /** Told, each heartbeat, which sessions have open connections (to keep them alive). */
  onHeartbeat?: (sessionIds: Iterable<string>) => void;
  /** The clock and timers of the retried end of a stream the log failed under (the runtime's by default). */
  scheduler?: Scheduler;
  /** Told about failures of the event log. */
  onError: (error: unknown) => void;
  /** Told when a connection ends because its client went away or stopped reading. */
  onDropped?: (reason: "client-gone" | "overflow") => void;
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
export {
  type GiveUpReason,
  isListeningStreamId,
  LISTENING_STREAM_ID,
  LogicalStream,
} from "./logical_stream.ts";

/** An answer the event log failed to keep: its events without ids (nothing to resume from). */
function unloggedAnswer(data: readonly string[]): Response {
  return sseResponse(data.map((item) => `data: ${item}\n\n`).join(""));
}

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
  #connections = new Map<SseConnection, string>();
  /** Quiet connections (resumes of streams that ended without an answer). */
  #parked = new ParkedConnections();
  #pendingWrites = 0;
  // Drawn at the first stream, not at construction (Workers forbid random values at module scope).
  #streamPrefix: string | undefined;
  #streamCounter = 0;
  /** The memory log's way to store a whole stream at once (undefined for other logs). */
  #appendWhole: ReturnType<typeof wholeStreamAppender>;

  /** Creates a hub; its connections join `options.keepAlive`. */
  constructor(options: StreamHubOptions) {
    this.#options = options;
    this.eventLog = options.eventLog;
    this.orphans = options.orphans;
    this.scheduler = options.scheduler;
    this.#appendWhole = wholeStreamAppender(options.eventLog);
    options.keepAlive.onBeat((written) => this.#heartbeat(written));
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
    const connection = this.#connect(stream, prime ? this.#priming(streamId) : undefined);
    return { stream, response: sseResponse(connection.body) };
  }

  /**
   * The SSE answer to a POST whose messages are all known already: logged
   * like a live stream (so a client cut off mid-body can resume), but sent
   * as one string body, without a stream object or a connection to track.
   * When the log fails the messages still go out, without event ids (there
   * is nothing to resume), and the failure is reported; a failed end marker
   * only is reported. `early` (taken over): notifications' JSON, sent first.
   */
  async completeRequestStream(
    sessionId: string,
    prime: boolean,
    messages: readonly JsonRpcMessage[],
    early: string[] = [],
  ): Promise<Response> {
    const streamId = answerStreamId(this.#nextStreamId(), sessionId, messages);
    const log = this.eventLog;
    // `early` empty may be a shared constant (never written): the responses then go in their own.
    const data = early.length === 0 ? [] : early;
    for (const message of messages) data.push(serializeMessage(message));
    const head = prime ? stringifySseMessage(this.#priming(streamId)) : "";
    if (this.#appendWhole !== undefined) {
      // The memory log numbers a new stream's events from 1 and keeps their data in one string,
      // framed and counted once (whole_stream.ts; stream id and head are ours: ASCII). A log that
      // drops the stream at once (over its budgets) empties `body.events`, never `body.text`.
      const body = frameWholeStream(eventIdPrefix(streamId), 1, data, head);
      let stored = false;
      try {
        stored = this.#appendWhole(sessionId, streamId, body.events, body.dataBytes);
      } catch (error) {
        this.reportError(error);
        return unloggedAnswer(data);
      }
      if (stored) return sseResponse(body.text);
    }
    let ids: string[] | undefined;
    try {
      if (log.appendMany !== undefined) {
        // One log call: the stream is created, filled and ended together.
        ids = await log.appendMany(sessionId, streamId, data, { complete: true });
      } else {
        await log.open(sessionId, streamId);
        ids = await appendAll(log, sessionId, streamId, data);
        await log.complete(sessionId, streamId);
      }
    } catch (error) {
      this.reportError(error);
    }
    if (ids === undefined) return unloggedAnswer(data);
    return sseResponse(stringifyJsonEvents(ids, data, head));
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
    for (const sessionId of this.#connections.values()) ids.add(sessionId);
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
    const connection = this.#connect(stream, prime ? this.#priming(streamId) : undefined);
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
        track: (connection) => void this.#connections.set(connection, sessionId),
        untrack: (connection) => void this.#connections.delete(connection),
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
    for (const [connection, owner] of [...this.#connections]) {
      if (owner === sessionId) connection.close();
    }
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
    for (const connection of [...this.#connections.keys()]) connection.close();
  }

  /** A connection of `stream` ended: it leaves the index, the keep-alive and the stream. */
  connectionEnded(stream: LogicalStream, connection: SseConnection, reason: ConnectionEnd): void {
    this.#connections.delete(connection);
    this.#options.keepAlive.remove(connection);
    stream.detach(connection);
    if (reason !== "closed") this.#options.onDropped?.(reason);
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

  /** A connection for `stream`, starting with `first` (a priming event) or the default comment. */
  #connect(stream: LogicalStream, first: SseMessage | undefined): SseConnection {
    const connection = new SseConnection({
      maxBufferedBytes: this.#options.maxBufferedBytes,
      first,
      watcher: new StreamConnectionWatcher(this, stream),
    });
    this.#connections.set(connection, stream.sessionId);
    stream.attach(connection);
    this.#options.keepAlive.add(connection);
    return connection;
  }

  /** After a heartbeat: the sessions whose connections here took it are told to `onHeartbeat`. */
  #heartbeat(written: ReadonlySet<SseConnection>): void {
    const sessions = new Set<string>();
    for (const connection of written) {
      const sessionId = this.#connections.get(connection);
      if (sessionId !== undefined) sessions.add(sessionId);
    }
    if (sessions.size > 0) this.#options.onHeartbeat?.(sessions);
  }
}

/** Tells the hub a stream's connection ended: two fields, not a closure and its context (issue 46). */
class StreamConnectionWatcher implements ConnectionWatcher {
  readonly hub: StreamHub;
  readonly stream: LogicalStream;

  constructor(hub: StreamHub, stream: LogicalStream) {
    this.hub = hub;
    this.stream = stream;
  }

  connectionEnded(connection: SseConnection, reason: ConnectionEnd): void {
    this.hub.connectionEnded(this.stream, connection, reason);
  }
}

function randomHex(byteCount: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(byteCount))) + "-";
}
