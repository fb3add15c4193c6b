/**
 * How a POST's exchange writes to its stream: a notification returns before
 * its write unless too many already wait (backpressure), a request or a
 * response waits for its own; and the responses of a POST's requests
 * without the gaps of those that have none. It opens no stream.
 * @module
 */

import type { JsonRpcMessage, JsonRpcResponse } from "../../jsonrpc/messages.ts";
import type { LogicalStream } from "../streams/stream_hub.ts";

/**
 * Notifications a tool may send ahead of the log before `emit` waits for
 * them; also how many a POST holds before its stream opens.
 */
export const MAX_UNWRITTEN = 128;
/** A settled promise, shared: what a send that waits for nothing returns. */
export const RESOLVED: Promise<void> = Promise.resolve();

/** Sends `message`; the promise waits for the write only for a request or past `MAX_UNWRITTEN`. */
export function sendOn(stream: LogicalStream, message: JsonRpcMessage): Promise<void> {
  try {
    const sent = stream.send(message);
    return "id" in message || stream.backlog > MAX_UNWRITTEN ? sent : RESOLVED;
  } catch (error) {
    return Promise.reject(error); // a message JSON cannot encode
  }
}

/**
 * A request stream's last step: `response` (none when its request was cancelled or aborted)
 * queued, then the end, which joins that message's log write when it can.
 */
export function finishWith(
  stream: LogicalStream,
  response: JsonRpcResponse | undefined,
): Promise<unknown> {
  return response === undefined
    ? stream.finish()
    : Promise.all([stream.send(response), stream.finish()]);
}

/** The responses of `settled`, without the requests that have none (cancelled, session ended). */
export function withoutGaps(settled: (JsonRpcResponse | undefined)[]): JsonRpcResponse[] {
  for (const response of settled) {
    if (response === undefined) return settled.filter((r) => r !== undefined);
  }
  return settled as JsonRpcResponse[];
}
