/**
 * What the memory event log (memory_event_log.ts) keeps per session and per
 * stream, and how a new record starts.
 * @module
 */

import type { HeldEvents } from "./held_events.ts";

/** A stream: its events (held_events.ts), oldest first; event `i` has sequence number `firstSeq + i`. */
export interface StreamLog extends HeldEvents {
  readonly sessionId: string;
  readonly streamId: string;
  readonly session: SessionLog;
  firstSeq: number;
  nextSeq: number;
  /** UTF-8 bytes of the events held. */
  bytes: number;
  complete: boolean;
  /** The highest sequence number evicted by the global budget: resuming from before it would skip events. */
  lostThrough: number;
  /** Wakes followers waiting in `waitAfter` (set while some wait). */
  waiters: Set<() => void> | undefined;
}

/**
 * A session's streams, oldest first; `holding` is the same order without the
 * finished streams whose events are all gone, which the byte budget has no
 * more to take from (a session answering large results keeps a few streams'
 * events among dozens of such records, and walked them all on every write).
 */
export interface SessionLog {
  streams: Map<string, StreamLog>;
  holding: Set<StreamLog>;
  bytes: number;
}

/**
 * A session with no streams yet.
 *
 * @example
 * ```ts
 * import { newSessionLog } from "./memory_log_records.ts";
 * newSessionLog().streams.size; // 0
 * ```
 */
export function newSessionLog(): SessionLog {
  return { streams: new Map(), holding: new Set(), bytes: 0 };
}

/**
 * A new stream of `session`, holding nothing, its first event to be number 1.
 * It is not added to the session: the caller does that.
 *
 * @example
 * ```ts
 * import { newSessionLog, newStreamLog } from "./memory_log_records.ts";
 * newStreamLog(newSessionLog(), "s1", "s1.a").nextSeq; // 1
 * ```
 */
export function newStreamLog(session: SessionLog, sessionId: string, streamId: string): StreamLog {
  return {
    sessionId,
    streamId,
    session,
    data: [],
    sizes: [],
    packed: undefined,
    firstSeq: 1,
    nextSeq: 1,
    bytes: 0,
    complete: false,
    lostThrough: 0,
    waiters: undefined,
  };
}
