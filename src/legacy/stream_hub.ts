/**
 * The live SSE streams of this process, by session. A logical stream (the SSE
 * answer to one POST, or a session's listening GET stream) outlives its HTTP
 * connection: every message is appended to the event log first, then written
 * to the connection if one is attached, so a client that drops and comes back
 * with `Last-Event-ID` gets exactly what it missed. Open connections join
 * the handler's keep-alive, one heartbeat timer for both eras. The work
 * behind a stream may run without a connection only for the orphan timeout
 * (see orphan_watch.ts).
 *
 * A resume of a stream that ended without answering (a cancelled call) is
 * kept open quietly, heartbeats only, instead of closed: a client that has
 * no answer reconnects to a closed one at once, and official clients then
 * open a bare GET, in a loop. These quiet connections end with the session
 * or when the client closes them; past a bound per session such a resume
 * is refused (`409`).
 *
 * Each bare listening GET opens a new listening stream (a new stream id; the
 * previous one ends), so a resume of an older one replays only what that
 * one carried and never takes the live one back: a message goes out once.
 *
 * Streams written by another instance (a shared event log) are resumed by
 * replaying them and, when the log tails (`waitAfter`), following them live
 * until they end. The follower renews a lease (`onFollow`, through the bus)
 * so the writing instance knows its stream has a connection and keeps the
 * work; when the writer's process is lost, the follower answers the
 * requests the stream was for with an error and closes.
 * @module
 */

import {
  type SseMessage,
  sseResponse,
  stringifyJsonEvents,
  stringifySseMessage,
} from "../http/sse.ts";
import { httpError } from "../http/error_response.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import {
  errorResponse,
  type JsonRpcMessage,
  type RequestId,
  requestIdKey,
  serializeMessage,
} from "../jsonrpc/messages.ts";
import { type EventLog, formatEventId, parseEventId, type Replay } from "./event_log.ts";
import type { OrphanWatch } from "./orphan_watch.ts";
import { afterThisTask, unrefTimer } from "../runtime.ts";
import { SseConnection } from "../http/sse_connection.ts";
import type { KeepAlive } from "../http/keep_alive.ts";

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
}

/** Longest single wait of a follower for the next event (it waits again after). */
const FOLLOW_WAIT_MS = 10_000;
/** How long a follower keeps its connection while the log fails, retrying. */
const FOLLOW_RETRY_MS = 30_000;
/** Pause between a follower's retries. */
const FOLLOW_RETRY_PAUSE_MS = 250;

/** Messages sent together: logged in one call, written as one chunk. */
interface Batch {
  /** The messages, serialized. */
  items: string[];
  /** Settles once the batch is logged and written (or dropped): what `send` returns. */
  done: Promise<void>;
  resolve: () => void;
  /** Set by `finish()` while the batch waits: it ends the stream (one log call for both). */
  finish?: () => void;
  /** The ids of the responses among the messages, once any. */
  responseIds?: RequestId[];
}

/** An empty batch. */
function newBatch(): Batch {
  let resolve!: () => void;
  const done = new Promise<void>((settle) => (resolve = settle));
  return { items: [], done, resolve };
}

/** The error a request gets when its stream's event log fails before its response is logged. */
const STORAGE_FAILED =
  "Service Unavailable: session storage is unreachable; send the request again";

/** What a send to a finished stream returns. */
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The stream-id prefix of a session's listening (GET) streams: each GET
 * without `Last-Event-ID` opens a new one, `listen.<unique>`.
 */
export const LISTENING_STREAM_ID = "listen";

/**
 * Why the work behind a stream is given up: its connection was gone for the
 * orphan timeout, or the event log failed.
 */
export type GiveUpReason = "abandoned" | "storage-unavailable";

/** True when `streamId` names a listening stream (any generation, or the unsuffixed id of earlier versions). */
export function isListeningStreamId(streamId: string): boolean {
  return streamId === LISTENING_STREAM_ID || streamId.startsWith(`${LISTENING_STREAM_ID}.`);
}

/**
 * Quiet connections (resumes of streams that ended without an answer) one
 * session may hold. A further such resume is refused with `409`: an official
 * client tries a refused resume twice and stops, whereas closing one of
 * the quiet connections would send its client into a bare GET, which
 * replaces the listening stream, whose client resumes, and so on.
 */
export const MAX_PARKED_PER_SESSION = 8;

/** A resumable stream of one session. */
export class LogicalStream {
  /** The session this stream belongs to. */
  readonly sessionId: string;
  /** The stream's id, the prefix of its event ids. */
  readonly streamId: string;
  /** The requests this stream answers (none for a listening stream). */
  readonly requestIds: readonly RequestId[];
  /** Keys of the requests answered so far (their responses logged and written). */
  #answered: Set<string> | undefined;
  #hub: StreamHub;
  #connection: SseConnection | undefined;
  #tail: Promise<void> = Promise.resolve();
  #finished = false;
  /** The batch later sends join (its flush is queued), if any. */
  #open: Batch | undefined;
  /** Messages sent and not yet flushed. */
  #unwritten = 0;
  /** Called when the stream's work has had no connection for the orphan timeout, or the log failed. */
  #onAbandoned: ((reason: GiveUpReason) => void) | undefined;
  /** Stops the orphan clock; set while the clock runs. */
  #adopt: (() => void) | undefined;

  /** Use {@linkcode StreamHub} to create streams. */
  constructor(
    hub: StreamHub,
    sessionId: string,
    streamId: string,
    requestIds: readonly RequestId[] = [],
  ) {
    this.#hub = hub;
    this.sessionId = sessionId;
    this.streamId = streamId;
    this.requestIds = requestIds;
  }

  /** True once the final message was sent or the stream was ended. */
  get finished(): boolean {
    return this.#finished;
  }

  /** True when an HTTP connection is attached and open. */
  get connected(): boolean {
    return this.#connection !== undefined && !this.#connection.ended;
  }

  /** Attaches a new connection, closing any previous one. */
  attach(connection: SseConnection): void {
    const previous = this.#connection;
    this.#connection = connection;
    this.#stopOrphanClock();
    if (previous !== undefined && previous !== connection) previous.close();
  }

  /** Forgets `connection` if it is the attached one (it ended). */
  detach(connection: SseConnection): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    this.#startOrphanClock();
  }

  /**
   * Guards the work that writes to this stream: once the unfinished stream
   * has had no connection for the hub's orphan timeout, `onAbandoned` runs
   * (the caller aborts the work). A resume that attaches a connection in
   * time stops the clock; a later loss starts it again. It also runs, with
   * `storage-unavailable`, when the event log fails (the stream ends).
   */
  guardWork(onAbandoned: (reason: GiveUpReason) => void): void {
    this.#onAbandoned = onAbandoned;
    if (!this.connected) this.#startOrphanClock();
  }

  #startOrphanClock(): void {
    if (this.#finished || this.#onAbandoned === undefined || this.#adopt !== undefined) return;
    this.#adopt = this.#hub.orphans.watch(() => {
      this.#adopt = undefined;
      if (!this.#finished) this.#onAbandoned?.("abandoned");
    });
  }

  #stopOrphanClock(): void {
    this.#adopt?.();
    this.#adopt = undefined;
  }

  /**
   * A connection on another instance follows this stream: its work counts
   * as attended for another orphan timeout (the follower renews well before).
   */
  renewLease(): void {
    if (this.connected || this.#adopt === undefined) return;
    this.#stopOrphanClock();
    this.#startOrphanClock();
  }

  /**
   * Logs a message and writes it to the attached connection, in call order.
   * Messages sent in the same task, or while a write is in progress, go out
   * together: one event log call (`appendMany` when the log has it) and one
   * chunk on the connection. The batch is written once the current task is
   * over (a tool emitting progress in a loop fills one batch, not one per
   * event). Resolves once the message is logged and written.
   */
  send(message: JsonRpcMessage): Promise<void> {
    if (this.#finished) return RESOLVED;
    const data = serializeMessage(message);
    let batch = this.#open;
    if (batch === undefined) {
      const fresh = newBatch();
      batch = this.#open = fresh;
      // Queued now, so it keeps its place among closes and resumes; it waits out the task first.
      void this.#enqueue(() => afterThisTask().then(() => this.#flush(fresh)));
    }
    batch.items.push(data);
    if (
      this.requestIds.length > 0 && "id" in message && message.id !== null &&
      !("method" in message)
    ) (batch.responseIds ??= []).push(message.id);
    this.#unwritten++;
    return batch.done;
  }

  /** Messages sent and not yet logged. */
  get backlog(): number {
    return this.#unwritten;
  }

  /**
   * Logs and writes `batch` (what was sent since the previous flush was
   * queued), and ends the stream with it when `finish()` joined it.
   */
  async #flush(batch: Batch): Promise<void> {
    if (this.#open === batch) this.#open = undefined;
    const { items } = batch;
    const log = this.#hub.eventLog;
    const finishing = batch.finish !== undefined;
    try {
      if (this.#finished) return;
      let ids: string[];
      try {
        ids = finishing
          ? await log.appendMany!(this.sessionId, this.streamId, items, { complete: true })
          : await appendAll(log, this.sessionId, this.streamId, items);
      } catch (error) {
        this.#failClosed(error);
        return;
      }
      const connection = this.#connection;
      if (connection !== undefined) {
        connection.writeRaw(stringifyJsonEvents(ids, items));
      }
      if (batch.responseIds !== undefined) {
        const answered = this.#answered ??= new Set();
        for (const id of batch.responseIds) answered.add(requestIdKey(id));
      }
      if (finishing) this.#stop();
    } finally {
      this.#unwritten -= items.length;
      batch.resolve();
      batch.finish?.();
    }
  }

  /**
   * Closes the HTTP connection once everything sent so far is written
   * (`ctx.closeStream()`); what is sent after goes to the log only, for the
   * client to resume. The stream stays open.
   */
  closeConnectionAfterSent(): void {
    this.#open = undefined; // later sends start a batch queued after the close
    void this.#enqueue(() => Promise.resolve(this.closeConnection()));
  }

  /**
   * The event log failed: an event that is not logged cannot be resumed, so
   * the stream ends here rather than stay open with a gap. The failure goes
   * to `onError`; each request of the stream not answered yet gets a
   * JSON-RPC error on the connection, if one is attached (without an event
   * id: there is nothing to resume); the connection closes, the stream
   * leaves the index, and the work behind it is aborted
   * (`storage-unavailable`): its answer could never be delivered.
   */
  #failClosed(error: unknown): void {
    this.#hub.reportError(error);
    const connection = this.#connection;
    if (connection !== undefined) {
      for (const id of this.requestIds) {
        if (this.#answered?.has(requestIdKey(id))) continue;
        const failed = errorResponse(id, ErrorCode.InternalError, STORAGE_FAILED);
        connection.write({ data: JSON.stringify(failed) });
      }
    }
    const onAbandoned = this.#onAbandoned;
    this.#stop(); // the log is failing: no end marker either
    onAbandoned?.("storage-unavailable");
  }

  /** Closes the HTTP connection but keeps the stream: the client can resume it. */
  closeConnection(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#connection = undefined;
    connection.close();
    this.#startOrphanClock();
  }

  /** Ends the stream after everything queued was sent: marks it complete and closes the connection. */
  finish(): Promise<void> {
    const batch = this.#open;
    if (batch !== undefined && this.#hub.eventLog.appendMany !== undefined) {
      // Its last messages wait to be logged: the end goes with them, in the same log call.
      this.#open = undefined;
      return new Promise((resolve) => (batch.finish = resolve));
    }
    return this.#enqueue(async () => {
      if (this.#finished) return;
      try {
        await this.#hub.eventLog.complete(this.sessionId, this.streamId);
      } catch (error) {
        // The events are all sent; only the end marker is missing. Close anyway: nothing may stay open.
        this.#hub.reportError(error);
      }
      this.#stop();
    });
  }

  /** Ends the stream at once (session ended, server closing). */
  abort(): void {
    this.#stop();
    // A request stream ends in the log too, so a resume (here or on another instance) replays
    // and closes instead of following a stream no one writes any more. (The listening stream
    // lives on: it moves to wherever the client opens it next.)
    if (isListeningStreamId(this.streamId)) return;
    this.#hub.eventLog.complete(this.sessionId, this.streamId).catch((error) =>
      this.#hub.reportError(error)
    );
  }

  /**
   * Ends a listening stream that a new one replaces: its connection closes
   * at once; what was sent to it and is not logged yet is logged, then it
   * ends in the log too, so a resume of it replays what its client missed
   * and stays quiet instead of taking the new one back.
   */
  supersede(): Promise<void> {
    this.#hub.forget(this); // the new stream is the session's listening stream from now on
    this.closeConnection();
    return this.finish();
  }

  /** No more sends: the clock stops, the connection closes, the stream leaves the index. */
  #stop(): void {
    this.#finished = true;
    this.#stopOrphanClock();
    this.closeConnection();
    this.#hub.forget(this);
  }

  /** Runs `step` with no send of this stream interleaving (used to resume). */
  exclusive<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(step);
    this.#tail = result.then(() => {}, (error) => this.#hub.reportError(error));
    return result;
  }

  /** Like `exclusive`, for sends: a failure is reported (by the queue) and never rejects the caller. */
  #enqueue(step: () => Promise<void>): Promise<void> {
    const hub = this.#hub;
    hub.writeQueued();
    const settled = () => hub.writeSettled();
    return this.exclusive(step).then(settled, settled);
  }
}

/** Creates, finds, resumes and heartbeats the streams of this process. */
export class StreamHub {
  /** The event log every stream writes to. */
  readonly eventLog: EventLog;
  /** The deadlines of work whose connection is gone. */
  readonly orphans: OrphanWatch;
  #options: StreamHubOptions;
  #streams = new Map<string, Map<string, LogicalStream>>();
  /** The current listening stream of each session that has one here. */
  #listening = new Map<string, LogicalStream>();
  #connections = new Map<SseConnection, string>();
  /** Quiet connections by session, oldest first. */
  #parked = new Map<string, Set<SseConnection>>();
  #pendingWrites = 0;
  #streamPrefix = randomHex(4);
  #streamCounter = 0;

  /** Creates a hub; its connections join `options.keepAlive`. */
  constructor(options: StreamHubOptions) {
    this.#options = options;
    this.eventLog = options.eventLog;
    this.orphans = options.orphans;
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
    const streamId = this.#nextStreamId();
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
   * only is reported.
   */
  async completeRequestStream(
    sessionId: string,
    prime: boolean,
    messages: readonly JsonRpcMessage[],
  ): Promise<Response> {
    const streamId = this.#nextStreamId();
    const log = this.eventLog;
    const data = messages.map(serializeMessage);
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
    if (ids === undefined) {
      return sseResponse(data.map((item) => `data: ${item}\n\n`).join(""));
    }
    const head = prime ? stringifySseMessage(this.#priming(streamId)) : "";
    return sseResponse(stringifyJsonEvents(ids, data, head));
  }

  /** The priming event (2025-11-25): the stream's first event id, the retry hint, empty data. */
  #priming(streamId: string): SseMessage {
    return { id: formatEventId(streamId, 0), retry: this.#options.retryMs, data: "" };
  }

  /** A stream id unique in this process; the random prefix keeps instances sharing an event log apart. */
  #nextStreamId(): string {
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
   * Resumes a stream from `lastEventId`: replays what came after it, then
   * continues live when the stream is still running here (or, with a log
   * that tails, on another instance). A resume of the current listening
   * stream takes over its connection. A stream that has ended closes after
   * the replay when the replay carries an answer; otherwise (a cancelled
   * call, a replaced listening stream) the connection stays open quietly,
   * or, past {@linkcode MAX_PARKED_PER_SESSION}, the resume is refused
   * (`409`). Undefined when the id names nothing of this session.
   */
  async resume(sessionId: string, lastEventId: string): Promise<Response | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return undefined;
    const isListening = isListeningStreamId(parsed.streamId);
    let stream = this.#streams.get(sessionId)?.get(parsed.streamId);
    let following: AbortController | undefined;
    const connection = new SseConnection({
      maxBufferedBytes: this.#options.maxBufferedBytes,
      onEnd: (reason) => {
        this.#connections.delete(connection);
        this.#options.keepAlive.remove(connection);
        this.#unpark(sessionId, connection);
        stream?.detach(connection);
        following?.abort();
        if (reason !== "closed") this.#options.onDropped?.(reason);
      },
    });
    const replayInto = async (): Promise<Replay | undefined> => {
      const replay = await this.eventLog.replayAfter(sessionId, lastEventId);
      if (replay === undefined) return undefined;
      let text = "";
      for (const event of replay.events) {
        text += stringifySseMessage({ id: event.id, data: event.data });
      }
      if (text !== "") connection.writeBacklog(text);
      return replay;
    };
    let replay: Replay | undefined;
    /** The stream has ended: after the replay there is nothing more to send. */
    let ended = false;
    if (stream !== undefined) {
      // Inside the stream's send queue: no live event can slip between the replay and the attach.
      replay = await stream.exclusive(async () => {
        const found = await replayInto();
        if (found !== undefined && !stream!.finished) stream!.attach(connection);
        return found;
      });
      ended = stream.finished;
    } else {
      replay = await replayInto();
      if (replay === undefined) {
        // Nothing to resume: closed below.
      } else if (isListening && !replay.complete) {
        // Look again after the await: a GET may have opened a new listening stream meanwhile. If one
        // is here, this one was replaced (its end may not be logged yet) and must not take it back.
        const current = this.listening(sessionId);
        if (current === undefined) {
          // The listening stream moves here from another instance (or this process restarted).
          stream = this.#register(sessionId, parsed.streamId);
          stream.attach(connection);
        } else if (current.streamId === parsed.streamId) {
          stream = current;
          stream.attach(connection);
        } else {
          ended = true;
        }
      } else if (!replay.complete && this.eventLog.waitAfter) {
        // Running on another instance: follow it live.
        following = new AbortController();
        const events = replay.events;
        const from = events.length > 0 ? events[events.length - 1].id : lastEventId;
        void this.#follow(sessionId, parsed.streamId, from, connection, following.signal);
      } else if (replay.complete) {
        ended = true;
      } else {
        // Running elsewhere with a log that cannot tail: the client has what the log holds.
        connection.close();
      }
    }
    if (replay === undefined) {
      connection.close();
      return undefined;
    }
    if (ended) {
      // With its answer the client is done and leaves; without one (a cancelled call, a replaced
      // listening stream) it would come straight back, and again: it is kept open, quietly, instead.
      if (replay.events.some((event) => responseIdOf(event.data) !== undefined)) connection.close();
      else if (!this.#park(sessionId, connection)) {
        connection.close();
        return httpError(
          409,
          `Too many idle resumed streams in this session (limit ${MAX_PARKED_PER_SESSION})`,
        );
      }
    }
    // A connection closed above (stream finished) already ran its onEnd: counting it now would leak it.
    if (!connection.ended) this.#connections.set(connection, sessionId);
    this.#options.keepAlive.add(connection);
    return sseResponse(connection.body);
  }

  /**
   * Follows a stream another instance writes, from event `from`, until it
   * ends, its session or the connection goes, or its writer is lost.
   */
  async #follow(
    sessionId: string,
    streamId: string,
    from: string,
    connection: SseConnection,
    signal: AbortSignal,
  ): Promise<void> {
    const log = this.eventLog;
    const renew = () => this.#options.onFollow?.(sessionId, streamId);
    renew();
    const lease = setInterval(renew, Math.max(1, Math.floor(this.orphans.timeoutMs / 3)));
    unrefTimer(lease);
    let last = from;
    let failingSince: number | undefined;
    try {
      while (!signal.aborted) {
        let tail: Replay | undefined;
        try {
          tail = await log.waitAfter!(sessionId, last, { timeoutMs: FOLLOW_WAIT_MS, signal });
          failingSince = undefined;
        } catch (error) {
          // The log is unreachable (a Redis restart): keep the connection and try again, for a while.
          const now = Date.now();
          if (failingSince === undefined) {
            failingSince = now;
            this.reportError(error);
          }
          if (now - failingSince >= FOLLOW_RETRY_MS) break;
          await pause(FOLLOW_RETRY_PAUSE_MS, signal);
          continue;
        }
        if (tail === undefined || signal.aborted) break;
        if (tail.events.length > 0) {
          let text = "";
          for (const event of tail.events) {
            text += stringifySseMessage({ id: event.id, data: event.data });
          }
          if (!connection.writeRaw(text)) break;
          last = tail.events[tail.events.length - 1].id;
        }
        if (tail.complete) break;
        if (tail.writerLost !== undefined) {
          await this.#answerLost(sessionId, streamId, tail.writerLost.requestIds, connection);
          break;
        }
      }
    } catch (error) {
      this.reportError(error);
    } finally {
      clearInterval(lease);
      connection.close();
    }
  }

  /**
   * The stream's writer died before answering: each request it had not
   * answered gets a JSON-RPC error (without an event id, so the client does
   * not resume a stream that will never go on), never a hang.
   */
  async #answerLost(
    sessionId: string,
    streamId: string,
    requestIds: readonly RequestId[],
    connection: SseConnection,
  ): Promise<void> {
    const answered = new Set<string>();
    const all = await this.eventLog.replayAfter(sessionId, formatEventId(streamId, 0));
    for (const event of all?.events ?? []) {
      const id = responseIdOf(event.data);
      if (id !== undefined) answered.add(requestIdKey(id));
    }
    for (const id of requestIds) {
      if (answered.has(requestIdKey(id))) continue;
      const error = errorResponse(
        id,
        ErrorCode.InternalError,
        "The server instance handling this request stopped before answering; send it again",
      );
      connection.write({ data: JSON.stringify(error) });
    }
  }

  /** Keeps `connection` open without a stream; false when the session holds its bound of these. */
  #park(sessionId: string, connection: SseConnection): boolean {
    let parked = this.#parked.get(sessionId);
    if (parked === undefined) this.#parked.set(sessionId, parked = new Set());
    if (parked.size >= MAX_PARKED_PER_SESSION) return false;
    parked.add(connection);
    return true;
  }

  #unpark(sessionId: string, connection: SseConnection): void {
    const parked = this.#parked.get(sessionId);
    if (parked === undefined || !parked.delete(connection)) return;
    if (parked.size === 0) this.#parked.delete(sessionId);
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
      onEnd: (reason) => {
        this.#connections.delete(connection);
        this.#options.keepAlive.remove(connection);
        stream.detach(connection);
        if (reason !== "closed") this.#options.onDropped?.(reason);
      },
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

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Appends `data` in order, in one call when the log can. */
function appendAll(
  log: EventLog,
  sessionId: string,
  streamId: string,
  data: readonly string[],
): Promise<string[]> {
  if (data.length === 1) return log.append(sessionId, streamId, data[0]).then((id) => [id]);
  if (log.appendMany !== undefined) return log.appendMany(sessionId, streamId, data);
  return (async () => {
    const ids: string[] = [];
    for (const item of data) ids.push(await log.append(sessionId, streamId, item));
    return ids;
  })();
}

/** The id of a JSON-RPC response in `data`, if it is one. */
function responseIdOf(data: string): RequestId | undefined {
  try {
    const message = JSON.parse(data) as Record<string, unknown>;
    const id = message.id;
    if ("method" in message || !("result" in message || "error" in message)) return undefined;
    return typeof id === "string" || typeof id === "number" ? id : undefined;
  } catch {
    return undefined;
  }
}

function randomHex(byteCount: number): string {
  let out = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(byteCount))) {
    out += byte.toString(16).padStart(2, "0");
  }
  return out + "-";
}
