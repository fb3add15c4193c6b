/**
 * One resumable stream of a session (the SSE answer to one POST, or a
 * listening GET stream), which outlives its HTTP connection: every message
 * is appended to the event log first, then written to the connection if one
 * is attached. Messages sent together are logged in one call and written as
 * one chunk (send_batch.ts); an event log failure ends the stream (fail
 * closed) and answers its open requests with an error, recorded in the log
 * too once it answers again (stream_end_retry.ts). While its work runs
 * without a connection, the orphan clock runs (see guarded_work.ts).
 *
 * It does not create, index, resume or heartbeat streams: the
 * {@linkcode StreamOwner} that made it (stream_hub.ts) does.
 * @module
 */

import type { SseConnection } from "../../http/sse/sse_connection.ts";
import {
  type JsonRpcMessage,
  type RequestId,
  requestIdKey,
  serializeMessage,
} from "../../jsonrpc/messages.ts";
import type { EventLog } from "../../storage/event_log/event_log.ts";
import { frameBatch } from "./batch_framing.ts";
import type { OrphanWatch } from "./orphan_watch.ts";
import { realScheduler, type Scheduler } from "../../runtime.ts";
import { recordEndLater, unansweredErrors } from "./stream_end_retry.ts";
import { isListeningStreamId } from "./request_stream_id.ts";
import { type GuardedWork, WorkGuard } from "./guarded_work.ts";
import {
  type Batch,
  joinBatch,
  logBatch,
  newBatch,
  settleBatch,
  waitToFlush,
} from "./send_batch.ts";

/** What a {@linkcode LogicalStream} needs from the hub that made it (stream_hub.ts). */
export interface StreamOwner {
  /** The event log every stream writes to. */
  readonly eventLog: EventLog;
  /** The deadlines of work whose connection is gone. */
  readonly orphans: OrphanWatch;
  /** The clock and timers of a failed stream's retried end (the runtime's when undefined). */
  readonly scheduler?: Scheduler;
  /** Reports an event-log failure. */
  reportError(error: unknown): void;
  /** Removes a finished stream from the index. */
  forget(stream: LogicalStream): void;
  /** A stream queued a write. */
  writeQueued(): void;
  /** A queued write is done, or failed and was reported. */
  writeSettled(): void;
}

/** What a send to a finished stream returns. */
const RESOLVED: Promise<void> = Promise.resolve();

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
  #hub: StreamOwner;
  #connection: SseConnection | undefined;
  #tail: Promise<void> = Promise.resolve();
  #finished = false;
  /** The batch later sends join (its flush is queued), if any. */
  #open: Batch | undefined;
  /** Messages sent and not yet flushed. */
  #unwritten = 0;
  /** When the last append started, on the hub's clock (the log's flush window counts from it). */
  #appendedAt: number | undefined;
  /** The work given up when it has had no connection for the orphan timeout, or the log failed. */
  #guard: WorkGuard | undefined;

  /** Use the hub (stream_hub.ts) to create streams. */
  constructor(
    hub: StreamOwner,
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
    this.#guard?.adopted();
    if (previous !== undefined && previous !== connection) previous.close();
  }

  /** Forgets `connection` if it is the attached one (it ended). */
  detach(connection: SseConnection): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    this.#guard?.orphaned();
  }

  /**
   * Guards the work that writes to this stream: once the unfinished stream
   * has had no connection for the hub's orphan timeout, `work.abandon` runs
   * (the caller aborts the work). A resume that attaches a connection in
   * time stops the clock; a later loss starts it again. It also runs, with
   * `storage-unavailable`, when the event log fails (the stream ends).
   */
  guardWork(work: GuardedWork): void {
    if (this.#guard === undefined) this.#guard = new WorkGuard(this.#hub.orphans, this, work);
    else this.#guard.work = work;
    if (!this.connected) this.#guard.orphaned();
  }

  /**
   * A connection on another instance follows this stream: its work counts
   * as attended for another orphan timeout (the follower renews well before).
   */
  renewLease(): void {
    if (!this.connected) this.#guard?.renew();
  }

  /**
   * Logs a message and writes it to the attached connection, in call order.
   * Messages sent in the same task, or while a write is in progress, go out
   * together: one event log call (`appendMany` when the log has it) and one
   * chunk on the connection. The batch waits out the current task (a loop of
   * progress fills one batch) and the log's flush window (send_batch.ts:
   * one append per window; a request, a response or the end go at once).
   * Resolves once logged and written. A string is a notification's JSON.
   */
  send(message: JsonRpcMessage | string): Promise<void> {
    if (this.#finished) return RESOLVED;
    const data = typeof message === "string" ? message : serializeMessage(message);
    let batch = this.#open;
    if (batch === undefined) {
      const fresh = newBatch();
      batch = this.#open = fresh;
      // Queued now, so it keeps its place among closes and resumes; it waits out the task first.
      void this.#enqueue(() => this.#waitToFlush(fresh).then(() => this.#flush(fresh)));
    }
    joinBatch(batch, message, data, this.requestIds.length > 0);
    this.#unwritten++;
    return batch.done;
  }

  /** Waits out the task, then the log's flush window (see {@linkcode waitToFlush}). */
  #waitToFlush(batch: Batch): Promise<void> {
    const { eventLog, scheduler } = this.#hub;
    const clock = scheduler ?? realScheduler;
    return waitToFlush(batch, this, eventLog.flushWindowMs ?? 0, this.#appendedAt, clock);
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
      this.#appendedAt = (this.#hub.scheduler ?? realScheduler).now();
      try {
        ids = await logBatch(log, this.sessionId, this.streamId, batch);
      } catch (error) {
        this.#failClosed(error);
        return;
      }
      const connection = this.#connection;
      if (connection !== undefined) {
        connection.writeRaw(frameBatch(log, this.streamId, ids, items));
      }
      if (batch.responseIds !== undefined) {
        const answered = this.#answered ??= new Set();
        for (const id of batch.responseIds) answered.add(requestIdKey(id));
      }
      if (finishing) this.#stop();
    } finally {
      this.#unwritten -= items.length;
      settleBatch(batch);
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
    const errors = unansweredErrors(this.requestIds, this.#answered);
    for (const data of errors) connection?.write({ data });
    const work = this.#guard?.work;
    this.#stop(); // the log is failing: its end is recorded once it answers again
    work?.abandon("storage-unavailable");
    if (!isListeningStreamId(this.streamId)) {
      const report = (failure: unknown) => this.#hub.reportError(failure);
      const { eventLog, scheduler } = this.#hub;
      recordEndLater(eventLog, this.sessionId, this.streamId, errors, report, scheduler);
    }
  }

  /** Closes the HTTP connection but keeps the stream: the client can resume it. */
  closeConnection(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#connection = undefined;
    connection.close();
    this.#guard?.orphaned();
  }

  /** Ends the stream after everything queued was sent: marks it complete and closes the connection. */
  finish(): Promise<void> {
    const batch = this.#open;
    if (batch !== undefined && this.#hub.eventLog.appendMany !== undefined) {
      // Its last messages wait to be logged: the end goes with them, in the same log call.
      this.#open = undefined;
      const ended = new Promise<void>((resolve) => (batch.finish = resolve));
      batch.hurry?.();
      return ended;
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
    this.#guard?.adopted();
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
