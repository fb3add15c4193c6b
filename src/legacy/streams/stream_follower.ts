/**
 * Follows, on a connection of this process, a stream that another instance
 * writes to a shared event log: replays what the log tails (`waitAfter`)
 * until the stream ends, the connection goes or the writer is lost, renewing
 * a lease meanwhile (`onFollow`, through the bus) so the writer keeps the
 * work. When the writer's process is lost, each request it had not answered
 * gets an error and the connection closes; while the log fails, the follower
 * retries for a while, then closes. The lease and the retries run on the
 * handler's `scheduler`, the clock of the orphan deadline the lease renews.
 *
 * It does not replay the events before `from` (the hub's resume does), nor
 * hold the connection in the hub's index.
 * @module
 */

import { stringifySseMessage } from "../../http/sse/sse.ts";
import type { SseConnection } from "../../http/sse/sse_connection.ts";
import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import { errorResponse, type RequestId, requestIdKey } from "../../jsonrpc/messages.ts";
import { type EventLog, formatEventId, type Replay } from "../../storage/event_log/event_log.ts";
import { realScheduler, type Scheduler, unrefTimer } from "../../runtime.ts";

/** Longest single wait of a follower for the next event (it waits again after). */
const FOLLOW_WAIT_MS = 10_000;
/** How long a follower keeps its connection while the log fails, retrying. */
const FOLLOW_RETRY_MS = 30_000;
/** Pause between a follower's retries. */
const FOLLOW_RETRY_PAUSE_MS = 250;

/** What {@linkcode followStream} works with. */
export interface FollowerOptions {
  /** The shared log; it must have `waitAfter`. */
  eventLog: EventLog;
  /** The orphan timeout, ms: the lease is renewed every third of it. */
  orphanTimeoutMs: number;
  /** The clock and timers of the lease and of the retries while the log fails (the runtime's by default). */
  scheduler?: Scheduler;
  /** Renews the lease of the followed stream's work (at the start, then every third of the orphan timeout). */
  onFollow?: (sessionId: string, streamId: string) => void;
  /** Told about failures of the event log. */
  onError: (error: unknown) => void;
}

/**
 * Follows a stream another instance writes, from event `from`, until it
 * ends, its session or the connection goes (`signal`), or its writer is
 * lost; then closes the connection.
 */
export async function followStream(
  options: FollowerOptions,
  sessionId: string,
  streamId: string,
  from: string,
  connection: SseConnection,
  signal: AbortSignal,
): Promise<void> {
  const log = options.eventLog;
  const scheduler = options.scheduler ?? realScheduler;
  const leaseMs = Math.max(1, Math.floor(options.orphanTimeoutMs / 3));
  let lease: unknown;
  // On the orphan deadline's clock: a renewal comes every third of the timeout that clock measures.
  const renew = () => {
    options.onFollow?.(sessionId, streamId);
    lease = scheduler.setTimeout(renew, leaseMs);
    unrefTimer(lease);
  };
  renew();
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
        const now = scheduler.now();
        if (failingSince === undefined) {
          failingSince = now;
          options.onError(error);
        }
        if (now - failingSince >= FOLLOW_RETRY_MS) break;
        await pause(FOLLOW_RETRY_PAUSE_MS, signal, scheduler);
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
        await answerLost(log, sessionId, streamId, tail.writerLost.requestIds, connection);
        break;
      }
    }
  } catch (error) {
    options.onError(error);
  } finally {
    scheduler.clearTimeout(lease);
    connection.close();
  }
}

/**
 * The stream's writer died before answering: each request it had not
 * answered gets a JSON-RPC error (without an event id, so the client does
 * not resume a stream that will never go on), never a hang.
 */
async function answerLost(
  log: EventLog,
  sessionId: string,
  streamId: string,
  requestIds: readonly RequestId[],
  connection: SseConnection,
): Promise<void> {
  const answered = new Set<string>();
  const all = await log.replayAfter(sessionId, formatEventId(streamId, 0));
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

/** Resolves after `ms` on `scheduler`'s clock, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal, scheduler: Scheduler): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      scheduler.clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = scheduler.setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The id of a JSON-RPC response in `data`, if it is one. */
export function responseIdOf(data: string): RequestId | undefined {
  try {
    const message = JSON.parse(data) as Record<string, unknown>;
    const id = message.id;
    if ("method" in message || !("result" in message || "error" in message)) return undefined;
    return typeof id === "string" || typeof id === "number" ? id : undefined;
  } catch {
    return undefined;
  }
}
