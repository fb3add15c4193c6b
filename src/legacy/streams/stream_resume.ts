/**
 * The resume of a session's stream from `Last-Event-ID`: replay what came
 * after it, then continue live here, follow it on another instance, or keep
 * the connection parked. The hub (stream_hub.ts) owns the index it works on.
 * @module
 */

import { sseResponse, stringifySseMessage } from "../../http/sse/sse.ts";
import { httpError } from "../../http/error_response.ts";
import type { KeepAlive } from "../../http/sse/keep_alive.ts";
import { SseConnection } from "../../http/sse/sse_connection.ts";
import type { Scheduler } from "../../runtime.ts";
import { type EventLog, parseEventId, type Replay } from "../../storage/event_log/event_log.ts";
import type { LogicalStream } from "./logical_stream.ts";
import { MAX_PARKED_PER_SESSION, type ParkedConnections } from "./parked_connections.ts";
import { followStream, responseIdOf } from "./stream_follower.ts";
import { isListeningStreamId, requestIdOfStream } from "./request_stream_id.ts";
import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import { errorResponse, type RequestId } from "../../jsonrpc/messages.ts";

/** What {@linkcode resumeStream} works with: the hub's settings and its index, for one session. */
export interface ResumeHost {
  /** The event log every stream writes to. */
  eventLog: EventLog;
  /** The orphan timeout, ms (a follower renews its lease every third of it). */
  orphanTimeoutMs: number;
  /** The clock and timers of a follower's lease and retries (the runtime's when undefined). */
  scheduler?: Scheduler;
  /** The heartbeats the connection joins. */
  keepAlive: KeepAlive;
  /** Bytes the connection may queue before it is dropped. */
  maxBufferedBytes: number;
  /** Quiet connections of resumes of streams that ended without an answer. */
  parked: ParkedConnections;
  /** Told when the connection ends because its client went away or stopped reading. */
  onDropped?: (reason: "client-gone" | "overflow") => void;
  /** Renews the lease of a stream followed on another instance. */
  onFollow?: (sessionId: string, streamId: string) => void;
  /** Cancels the run of a request whose client was told to send it again, wherever it runs. */
  onAnswerLost?: (sessionId: string, requestId: RequestId) => void;
  /** Told about failures of the event log. */
  onError: (error: unknown) => void;
  /** The session's stream `streamId` running here, if any. */
  stream(streamId: string): LogicalStream | undefined;
  /** The session's current listening stream here, if any. */
  listening(): LogicalStream | undefined;
  /** Indexes a new stream `streamId` of the session (a listening stream moving here). */
  register(streamId: string): LogicalStream;
  /** Counts the connection as open in the session. */
  track(connection: SseConnection): void;
  /** Stops counting the connection. */
  untrack(connection: SseConnection): void;
}

/**
 * Resumes a stream from `lastEventId`: replays what came after it, then
 * continues live when the stream is still running here (or, with a log
 * that tails, on another instance). A resume of the current listening
 * stream takes over its connection. A stream that has ended closes after
 * the replay when the replay carries an answer; otherwise (a cancelled
 * call, a replaced listening stream) the connection stays open quietly,
 * or, past {@linkcode MAX_PARKED_PER_SESSION}, the resume is refused
 * (`409`). A request stream whose answer the log no longer keeps (its
 * budgets dropped it, or the whole stream) gets an error answer for the
 * request its id names, then stays open quietly the same way (past the
 * bound it ends after the error instead: the client still learns its
 * request failed); a run of it still going, here or on another instance,
 * is cancelled, as the client sends it again. Undefined when the id names
 * nothing of this session.
 */
export async function resumeStream(
  host: ResumeHost,
  sessionId: string,
  lastEventId: string,
): Promise<Response | undefined> {
  const parsed = parseEventId(lastEventId);
  if (parsed === undefined) return undefined;
  const isListening = isListeningStreamId(parsed.streamId);
  let stream = host.stream(parsed.streamId);
  let following: AbortController | undefined;
  const connection = new SseConnection({
    maxBufferedBytes: host.maxBufferedBytes,
    onEnd: (reason) => {
      host.untrack(connection);
      host.keepAlive.remove(connection);
      host.parked.unpark(sessionId, connection);
      stream?.detach(connection);
      following?.abort();
      if (reason !== "closed") host.onDropped?.(reason);
    },
  });
  const replayInto = async (): Promise<Replay | undefined> => {
    const replay = await host.eventLog.replayAfter(sessionId, lastEventId);
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
      const current = host.listening();
      if (current === undefined) {
        // The listening stream moves here from another instance (or this process restarted).
        stream = host.register(parsed.streamId);
        stream.attach(connection);
      } else if (current.streamId === parsed.streamId) {
        stream = current;
        stream.attach(connection);
      } else {
        ended = true;
      }
    } else if (!replay.complete && host.eventLog.waitAfter) {
      // Running on another instance: follow it live.
      following = new AbortController();
      const events = replay.events;
      const from = events.length > 0 ? events[events.length - 1].id : lastEventId;
      void followStream(
        {
          eventLog: host.eventLog,
          orphanTimeoutMs: host.orphanTimeoutMs,
          scheduler: host.scheduler,
          onFollow: host.onFollow,
          onError: host.onError,
        },
        sessionId,
        parsed.streamId,
        from,
        connection,
        following.signal,
      );
    } else if (replay.complete) {
      ended = true;
    } else {
      // Running elsewhere with a log that cannot tail: the client has what the log holds.
      connection.close();
    }
  }
  // The request the stream answers, when its id names one (request_stream_id.ts).
  const requestId = isListening ? undefined : requestIdOfStream(parsed.streamId, sessionId);
  /** Kept open quietly after what it got: the stream has ended without an answer to replay. */
  let quiet = false;
  /** The client got an error answer for the request (its answer is no longer kept). */
  let answered = false;
  if (replay === undefined) {
    if (requestId === undefined) {
      connection.close();
      return undefined;
    }
    // Nothing of it from this id on (the log dropped the stream, or cut it before the id).
    answered = connection.write({ data: droppedAnswer(requestId) });
    quiet = true;
    // Told to send the request again: a run of it still going, here or elsewhere, is cancelled.
    host.onAnswerLost?.(sessionId, requestId);
  } else if (ended) {
    // With its answer the client is done and leaves; without one (a cancelled call, a replaced
    // listening stream, an answer the budgets dropped, which gets an error instead) it would come
    // straight back, and again (the SDK v1 client takes only a result as an answer): it is kept
    // open, quietly, instead.
    if (replay.events.some((event) => responseIdOf(event.data) !== undefined)) connection.close();
    else {
      // The budgets drop a stream's oldest events first, so its answer (its last event) was lost
      // only when nothing of it is left; events still kept after a gap end a call that had none.
      if (replay.gap === true && replay.events.length === 0 && requestId !== undefined) {
        answered = connection.write({ data: droppedAnswer(requestId) });
      }
      quiet = true;
    }
  }
  if (quiet && !host.parked.park(sessionId, connection)) {
    connection.close();
    // Past the bound, an error answer still reaches the client, on a connection that then ends.
    if (!answered) {
      return httpError(
        409,
        `Too many idle resumed streams in this session (limit ${MAX_PARKED_PER_SESSION})`,
      );
    }
  }
  // A connection closed above already ran its onEnd: counting it now would leak it.
  if (!connection.ended) {
    host.track(connection);
    host.keepAlive.add(connection);
  }
  return sseResponse(connection.body);
}

/** The error answering `requestId` when its answer is no longer kept for a resume. */
function droppedAnswer(requestId: RequestId): string {
  return JSON.stringify(errorResponse(
    requestId,
    ErrorCode.InternalError,
    "The answer to this request is no longer kept for a resume (the server's event log dropped it); send the request again",
  ));
}
