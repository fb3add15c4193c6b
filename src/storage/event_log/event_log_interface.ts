/**
 * The `EventLog` interface: what resumable SSE streams need from storage,
 * and the event id format every implementation shares. Event ids are
 * `<stream>:<seq>`: unique within a session and naming their stream, so a
 * replay never crosses streams. The log is scoped by session id; the
 * transport only asks with the id of a session the caller owns, so another
 * session's event id finds nothing.
 *
 * It holds no events: memory_event_log.ts is the in-memory default, and
 * redis/redis_event_log.ts a shared one.
 * @module
 */

import type { RequestId } from "../../jsonrpc/messages.ts";

/**
 * One stored SSE event: its id and its JSON-RPC message as JSON text.
 *
 * @example
 * ```ts
 * import type { StoredEvent } from "@tether/mcp/storage";
 * const event: StoredEvent = { id: "s1:3", data: '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":3}}' };
 * ```
 */
export interface StoredEvent {
  /** The event id, `<stream>:<seq>`. */
  id: string;
  /** The JSON-RPC message, serialised. */
  data: string;
}

/**
 * What {@linkcode EventLog.replayAfter} found.
 *
 * @example
 * ```ts
 * import { MemoryEventLog, type Replay } from "@tether/mcp/storage";
 * const log = new MemoryEventLog();
 * const first = await log.append("session", "stream", "one");
 * await log.append("session", "stream", "two");
 * const replay: Replay | undefined = await log.replayAfter("session", first); // events: ["two"]
 * ```
 */
export interface Replay {
  /** The stream the event id belongs to. */
  streamId: string;
  /** Events after the given id, oldest first. */
  events: StoredEvent[];
  /** True when the stream has ended (its final response is among the stored events). */
  complete: boolean;
  /**
   * True when the log's budgets dropped events that came after the given id:
   * `events` skips them, and an ended stream's answer may have been among
   * them (the resume then answers the request with an error, never a hang).
   */
  gap?: boolean;
  /**
   * Set by {@linkcode EventLog.waitAfter} when the instance writing the
   * stream stopped (its heartbeat lapsed) before ending it: nothing more
   * will come. The requests it was answering are listed, so the follower
   * can answer them with an error instead of leaving the client waiting.
   */
  writerLost?: { requestIds: RequestId[] };
}

/**
 * What a stream is for, recorded when it opens: the ids of the requests it
 * answers (none for a listening stream).
 *
 * @example
 * ```ts
 * import { MemoryEventLog, type StreamInfo } from "@tether/mcp/storage";
 * const info: StreamInfo = { requestIds: [7] };
 * await new MemoryEventLog().open("session", "stream", info);
 * ```
 */
export interface StreamInfo {
  /** The JSON-RPC ids of the requests this stream answers. */
  requestIds?: readonly RequestId[];
}

/**
 * Options of {@linkcode EventLog.appendMany}.
 *
 * @example
 * ```ts
 * import { MemoryEventLog } from "@tether/mcp/storage";
 * const log = new MemoryEventLog();
 * const ids = await log.appendMany("session", "stream", ["last event"], { complete: true });
 * ```
 */
export interface AppendOptions {
  /** Marks the stream as ended after these events. */
  complete?: boolean;
}

/**
 * How long {@linkcode EventLog.waitAfter} may wait, and what stops it.
 *
 * @example
 * ```ts
 * import type { WaitOptions } from "@tether/mcp/storage";
 * const options: WaitOptions = { timeoutMs: 5_000, signal: AbortSignal.timeout(10_000) };
 * ```
 */
export interface WaitOptions {
  /** Longest wait, ms; the log may return sooner with no events. */
  timeoutMs: number;
  /** Ends the wait early (the reply then has no events). */
  signal?: AbortSignal;
}

/**
 * Storage for resumable SSE streams. Async so a shared store can implement it.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { type EventLog, MemoryEventLog } from "@tether/mcp/storage";
 * const eventLog: EventLog = new MemoryEventLog({ maxEventsPerStream: 200 });
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], streams: { eventLog } });
 * ```
 */
export interface EventLog {
  /** Registers a new stream (before its priming event), so it can be resumed before its first event. */
  open(sessionId: string, streamId: string, info?: StreamInfo): Promise<void>;
  /** Appends an event to a stream and returns its id. */
  append(sessionId: string, streamId: string, data: string): Promise<string>;
  /**
   * Optional: appends several events in order, in one step (one round trip
   * for a shared log), creating the stream if needed, and with
   * `{ complete: true }` marks it ended after them; returns their ids.
   * Without it, `append` (and `complete`) are called one by one.
   */
  appendMany?(
    sessionId: string,
    streamId: string,
    data: readonly string[],
    options?: AppendOptions,
  ): Promise<string[]>;
  /**
   * Optional: how long, ms, a stream's events may wait after its previous
   * append to go in one append with those arriving meanwhile (a log whose
   * writes cost a round trip each); a response or the stream's end goes at
   * once. Absent or 0: what arrives in one task, or while an append is in
   * flight, goes at once.
   */
  readonly flushWindowMs?: number;
  /** Marks a stream as ended. */
  complete(sessionId: string, streamId: string): Promise<void>;
  /** Events of the same stream after `lastEventId`; undefined for unknown or malformed ids. */
  replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined>;
  /** Forgets everything of a session. */
  deleteSession(sessionId: string): Promise<void>;
  /**
   * Optional live tailing: like {@linkcode EventLog.replayAfter}, but when
   * nothing follows `lastEventId` yet and the stream is still running, waits
   * (up to `timeoutMs`, or until `signal` aborts) for the next event or the
   * end. A reply with no events and `complete: false` means "still running,
   * ask again". Undefined when the stream or session is gone. With it, a
   * client that resumes on an instance other than the one running its
   * request follows the stream live until it ends; without it, such a
   * resume replays what is stored and closes.
   */
  waitAfter?(
    sessionId: string,
    lastEventId: string,
    options: WaitOptions,
  ): Promise<Replay | undefined>;
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
  return `${eventIdPrefix(streamId)}${seq}`;
}

/**
 * What every event id of `streamId` starts with: `formatEventId(streamId, n)`
 * is this followed by `n`, for a framer that numbers a stream's events itself.
 *
 * @example
 * ```ts
 * import { eventIdPrefix, formatEventId } from "./event_log_interface.ts";
 * eventIdPrefix("s1") + 7 === formatEventId("s1", 7); // true
 * ```
 */
export function eventIdPrefix(streamId: string): string {
  return `${streamId}:`;
}
