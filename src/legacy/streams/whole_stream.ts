/**
 * A stream known whole (every message of a POST's answer is known at once),
 * logged in one call and sent as one string body ({@linkcode WholeStreams}).
 * Its SSE body is framed once and counted in UTF-8 in one pass, which tells
 * each event's size too when the body is ASCII (its bytes are as many as its
 * characters). The body stays text: Deno's `TextEncoder.encode` of a large
 * string costs many times the count (a fresh buffer each call), and every
 * runtime copies a byte body into its `Response`.
 *
 * What the memory log keeps (`events`) is the events' data in one string:
 * several events' in the body's own flat text, at `starts[i]` to `ends[i]`;
 * one event's (a large result, say) in its data, the serializer's string. Its
 * body is a rope the runtime flattens into a copy as it writes it, and that
 * copy, kept, would stay in memory in place of the data: on Bun 1.3 a
 * 256 KiB answer then took 22 page faults a call instead of 11.
 *
 * It decides no stream ids: the caller (the stream hub) names the stream,
 * and its id and `head` must be ASCII (the hub's stream ids and priming
 * event are).
 * @module
 */

import {
  numberedDataLead,
  sseResponse,
  stringifyJsonEvents,
  stringifyNumberedJsonEvents,
} from "../../http/sse/sse.ts";
import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import { appendAll } from "../../storage/event_log/append_all.ts";
import { eventIdPrefix, type EventLog } from "../../storage/event_log/event_log.ts";
import type { PackedEvents } from "../../storage/event_log/held_events.ts";
import { wholeStreamAppender } from "../../storage/event_log/memory_event_log.ts";

/** A whole stream's SSE body, and its events' data as the memory log keeps them. */
export interface WholeStreamBody {
  /** The body as text. */
  text: string;
  /** The events' data: event `i`'s is `events.text.slice(events.starts[i], events.ends[i])`. */
  events: PackedEvents;
  /** All the events' data in UTF-8 bytes. */
  dataBytes: number;
}

/**
 * Frames `data` (serialized JSON) as events numbered `first` on, with ids
 * `idPrefix` + number, after `head`, and measures it.
 *
 * @example
 * ```ts
 * import { frameWholeStream } from "./whole_stream.ts";
 * const body = frameWholeStream("s1:", 1, ['{"a":"é"}'], "");
 * body.events.sizes; // [10]: the data is not ASCII
 * body.text; // 'id: s1:1\ndata: {"a":"é"}\n\n'
 * ```
 */
export function frameWholeStream(
  idPrefix: string,
  first: number,
  data: readonly string[],
  head: string,
): WholeStreamBody {
  const text = stringifyNumberedJsonEvents(idPrefix, first, data, head);
  if (data.length === 1) {
    // One event's data is kept as itself, not as a part of the body (see the module's comment).
    const only = data[0];
    const bytes = utf8Length(only);
    const sizes = bytes === only.length ? undefined : [bytes];
    return {
      text,
      events: { text: only, starts: [0], ends: [only.length], sizes },
      dataBytes: bytes,
    };
  }
  const starts = new Array<number>(data.length);
  const ends = new Array<number>(data.length);
  // Each event is `id: <prefix><n>\ndata: <data>\n\n`.
  let at = head.length;
  let dataLength = 0;
  for (let i = 0; i < data.length; i++) {
    at += 4 + idPrefix.length + numberedDataLead(first + i).length;
    starts[i] = at;
    at += data[i].length;
    ends[i] = at;
    at += 2;
    dataLength += data[i].length;
  }
  // The framing is ASCII: whatever the body has beyond its characters is the data's.
  let dataBytes = dataLength + utf8Length(text) - text.length;
  let sizes: number[] | undefined;
  if (dataBytes !== dataLength) {
    sizes = data.map(utf8Length);
    dataBytes = 0;
    for (const size of sizes) dataBytes += size;
  }
  return { text, events: { text, starts, ends, sizes }, dataBytes };
}

/** An answer the event log failed to keep: its events without ids (nothing to resume from). */
function unloggedAnswer(data: readonly string[]): Response {
  return sseResponse(data.map((item) => `data: ${item}\n\n`).join(""));
}

/**
 * Logs and answers streams known whole, in one event log: each is logged
 * like a live stream (so a client cut off mid-body can resume), but sent as
 * one string body, without a stream object or a connection to track.
 *
 * @example
 * ```ts
 * import { WholeStreams } from "./whole_stream.ts";
 * import { MemoryEventLog } from "../../storage/event_log/event_log.ts";
 * const streams = new WholeStreams(new MemoryEventLog(), (error) => console.error(error));
 * const response = await streams.answer("session", "s1", ['{"result":{}}'], "");
 * await response.text(); // 'id: s1:1\ndata: {"result":{}}\n\n'
 * ```
 */
export class WholeStreams {
  #log: EventLog;
  /** The memory log's way to store a whole stream at once (undefined for other logs). */
  #appendWhole: ReturnType<typeof wholeStreamAppender>;
  #reportError: (error: unknown) => void;

  /** Whole streams logged in `log`; its failures go to `reportError`. */
  constructor(log: EventLog, reportError: (error: unknown) => void) {
    this.#log = log;
    this.#appendWhole = wholeStreamAppender(log);
    this.#reportError = reportError;
  }

  /**
   * Logs `data` (serialized JSON) as the new stream `streamId` of
   * `sessionId`, ended, and answers it as one body after `head`. When the
   * log fails the messages still go out, without event ids (there is
   * nothing to resume), and the failure is reported; a failed end marker
   * only is reported.
   */
  async answer(
    sessionId: string,
    streamId: string,
    data: readonly string[],
    head: string,
  ): Promise<Response> {
    const log = this.#log;
    if (this.#appendWhole !== undefined) {
      // The memory log numbers a new stream's events from 1 and keeps their data in one string,
      // framed and counted once (stream id and head are ASCII). A log that drops the stream at
      // once (over its budgets) empties `body.events`, never `body.text`.
      const body = frameWholeStream(eventIdPrefix(streamId), 1, data, head);
      let stored = false;
      try {
        stored = this.#appendWhole(sessionId, streamId, body.events, body.dataBytes);
      } catch (error) {
        this.#reportError(error);
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
      this.#reportError(error);
    }
    if (ids === undefined) return unloggedAnswer(data);
    return sseResponse(stringifyJsonEvents(ids, data, head));
  }
}
