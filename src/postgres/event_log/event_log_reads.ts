/**
 * The one read of the Postgres event log: a stream's state (its last sequence number,
 * completion, the last one lost to the budget, its writer's liveness, the requests it answers)
 * and its events after a sequence number (from the batch holding the next one on: a row per
 * append, its events an array), in one statement and so one snapshot, ignoring a session past
 * its deadline; and the replay a resume gets from it. Replays and followers both
 * read through here. It writes nothing but a follower's mark (`Following`).
 * @module
 */

import { formatEventId, type Replay, type StoredEvent } from "../../storage/event_log/event_log.ts";
import type { PostgresGate } from "../connection/postgres_gate.ts";

/** What {@linkcode readStream} found of a stream. */
export interface StreamRead {
  /** The stream's row id (what its wake-ups carry). */
  rowId: string;
  /** The last sequence number given to an event. */
  lastSeq: number;
  complete: boolean;
  /** The last sequence number the budget took from it while it ran (0: none). */
  lost: number;
  /** Its writer's heartbeat is current (or it names no writer). */
  alive: boolean;
  /** The request ids it answers, as JSON. */
  requestIds: string;
  /** Its events after the sequence number asked for, oldest first. */
  events: { seq: number; data: string }[];
}

/** Where {@linkcode readStream} reads. */
export interface ReadTarget {
  gate: PostgresGate;
  namespace: string;
  /** Events one read returns at most (the log's `maxEventsPerStream`: all a stream holds). */
  limit: number;
}

/**
 * A follower's mark on the stream it reads: writes of a stream marked until past their clock
 * send a wake-up (`followed_until`), others none. The read moves the mark to `until` when it
 * ends before `renewBefore` (a write once in a while, not one per read).
 */
export interface Following {
  until: number;
  renewBefore: number;
}

/**
 * The state of `streamId` of `sessionId` and its events after `after` (with `follow`, the
 * stream marked as followed in the same statement); undefined when the
 * stream is unknown or its session past its deadline at `now`.
 *
 * @example
 * ```ts ignore (internal fragment: the gate is the backend's own)
 * const read = await readStream({ gate, namespace: "tether", limit: 1_000 }, "s", "a", 0, Date.now());
 * ```
 */
export async function readStream(
  target: ReadTarget,
  sessionId: string,
  streamId: string,
  after: number,
  now: number,
  follow?: Following,
): Promise<StreamRead | undefined> {
  const { namespace, limit } = target;
  const rows = await target.gate.run(
    "event log",
    (sql) =>
      sql`${
        follow === undefined ? sql`` : sql`WITH followed AS (
      UPDATE tether_event_streams SET followed_until = ${follow.until}
      WHERE namespace = ${namespace} AND session_id = ${sessionId} AND stream_id = ${streamId}
        AND followed_until < ${follow.renewBefore}
    ) `
      }SELECT s.id, s.last_seq, s.complete, s.lost, s.request_ids,
      (s.writer = '' OR EXISTS (SELECT 1 FROM tether_event_writers w
        WHERE w.namespace = s.namespace AND w.instance = s.writer AND w.alive_until > ${now})
      ) AS alive,
      e.seq, e.data
    FROM tether_event_streams s
    JOIN tether_event_sessions es ON es.namespace = s.namespace
      AND es.session_id = s.session_id AND es.expires_at > ${now}
    LEFT JOIN LATERAL (
      SELECT b.seq + t.n - 1 AS seq, t.data
      FROM tether_event_batches b, unnest(b.data) WITH ORDINALITY AS t(data, n)
      WHERE b.stream = s.id AND b.seq + t.n - 1 > ${after} AND b.seq >= coalesce((
        SELECT max(x.seq) FROM tether_event_batches x WHERE x.stream = s.id AND x.seq <= ${after}
      ), 0)
      ORDER BY 1 LIMIT ${limit}
    ) e ON true
    WHERE s.namespace = ${namespace} AND s.session_id = ${sessionId} AND s.stream_id = ${streamId}
    ORDER BY e.seq`,
  );
  const first = rows[0];
  if (first === undefined) return undefined;
  const events: StreamRead["events"] = [];
  for (const row of rows) {
    if (row.seq !== null && row.seq !== undefined) {
      events.push({ seq: Number(row.seq), data: String(row.data) });
    }
  }
  return {
    rowId: String(first.id),
    lastSeq: Number(first.last_seq),
    complete: first.complete === true,
    lost: Number(first.lost),
    alive: first.alive === true,
    requestIds: String(first.request_ids),
    events,
  };
}

/** `read`'s events as stored events of `streamId`. */
export function storedEvents(streamId: string, events: StreamRead["events"]): StoredEvent[] {
  return events.map((event) => ({ id: formatEventId(streamId, event.seq), data: event.data }));
}

/**
 * The replay after sequence number `after` of a stream read as `read`: undefined for a future
 * id or one from before events the budget took while it ran; `gap` when events after `after`
 * were dropped by the bounds (the first one there is not the next).
 *
 * @example
 * ```ts ignore (internal fragment: `read` comes from readStream)
 * const replay = replayOf("a", 3, read);
 * ```
 */
export function replayOf(streamId: string, after: number, read: StreamRead): Replay | undefined {
  if (after > read.lastSeq || after < read.lost) return undefined;
  const replay: Replay = {
    streamId,
    events: storedEvents(streamId, read.events),
    complete: read.complete,
  };
  const first = read.events.length > 0 ? read.events[0].seq : read.lastSeq + 1;
  if (first > after + 1) replay.gap = true;
  return replay;
}
