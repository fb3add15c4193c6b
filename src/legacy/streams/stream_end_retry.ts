/**
 * The end of a stream the event log failed under: its live connection got a
 * JSON-RPC error for each unanswered request, but the log has no end, so a
 * resume (here or on another instance) would follow it for as long as its
 * writer lives. This records those errors and the end once storage answers
 * again: retried with backoff (0.25 s doubling to 5 s) for at most
 * `MAX_RETRY_MS`, only while the failure is a storage outage; any other
 * failure is reported and ends the retries. Its clock and timers are the
 * handler's `scheduler` (the runtime's by default), unref'd. It makes those
 * errors too, but does not write to connections or decide what failed
 * (logical_stream.ts does).
 * @module
 */

import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import { errorResponse, type RequestId, requestIdKey } from "../../jsonrpc/messages.ts";
import { StorageUnavailableError } from "../../storage_unavailable.ts";
import { realScheduler, type Scheduler, unrefTimer } from "../../runtime.ts";
import type { EventLog } from "../../storage/event_log/event_log.ts";

/** How long an end is retried, ms: within the event log's key TTL, past any failover. */
export const MAX_RETRY_MS = 5 * 60_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/** The error a request gets when its stream's event log fails before its response is logged. */
const STORAGE_FAILED =
  "Service Unavailable: session storage is unreachable; send the request again";

/**
 * The JSON-RPC errors, serialized, of the `requestIds` whose keys
 * (`requestIdKey`) are not among `answered`: what each request still
 * waiting gets when its stream's event log fails.
 *
 * @example
 * ```ts
 * import { unansweredErrors } from "./stream_end_retry.ts";
 * import { requestIdKey } from "../../jsonrpc/messages.ts";
 * const errors = unansweredErrors([1, 2], new Set([requestIdKey(1)]));
 * errors.length; // 1: request 2's error
 * ```
 */
export function unansweredErrors(
  requestIds: readonly RequestId[],
  answered: ReadonlySet<string> | undefined,
): string[] {
  const errors: string[] = [];
  for (const id of requestIds) {
    if (answered?.has(requestIdKey(id))) continue;
    errors.push(JSON.stringify(errorResponse(id, ErrorCode.InternalError, STORAGE_FAILED)));
  }
  return errors;
}

/**
 * Appends `data` (the errors of the unanswered requests, serialized) to the
 * stream and ends it, retrying while storage is unavailable.
 *
 * @example
 * ```ts ignore (internal: needs a session's event log and stream)
 * recordEndLater(log, sessionId, streamId, [JSON.stringify(error)], reportError);
 * ```
 */
export function recordEndLater(
  log: EventLog,
  sessionId: string,
  streamId: string,
  data: readonly string[],
  reportError: (error: unknown) => void,
  scheduler: Scheduler = realScheduler,
): void {
  const giveUpAt = scheduler.now() + MAX_RETRY_MS;
  const attempt = async (delayMs: number): Promise<void> => {
    try {
      if (log.appendMany !== undefined) {
        await log.appendMany(sessionId, streamId, data, { complete: true });
      } else {
        for (const item of data) await log.append(sessionId, streamId, item);
        await log.complete(sessionId, streamId);
      }
    } catch (error) {
      if (!(error instanceof StorageUnavailableError) || scheduler.now() + delayMs > giveUpAt) {
        reportError(error);
        return;
      }
      unrefTimer(
        scheduler.setTimeout(() => void attempt(Math.min(delayMs * 2, MAX_DELAY_MS)), delayMs),
      );
    }
  };
  unrefTimer(scheduler.setTimeout(() => void attempt(FIRST_DELAY_MS), FIRST_DELAY_MS));
}
