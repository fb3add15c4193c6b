/**
 * A session's listening (GET) stream: a resume with `Last-Event-ID` when
 * the id names one of the session's streams, else a fresh stream that
 * replaces the old one (never 409), and the other instances told that the
 * stream is here now. The session is resolved and owned by the caller
 * already; it checks no header but `Last-Event-ID`. It is the GET's answer:
 * the stream itself, its resume and its notifications are the hub's
 * (src/legacy/streams/stream_hub.ts, listening_notifications.ts).
 * @module
 */

import type { Delivery } from "../../bus/delivery.ts";
import { parseEventId } from "../../storage/event_log/event_log.ts";
import { usesPriming } from "./post_stream.ts";
import type { SessionRecord } from "../../storage/sessions/session_store.ts";
import type { StreamHub } from "../streams/stream_hub.ts";

/** The session's listening stream on `hub` (resumed or opened), announced to the other instances. */
export async function openListening(
  hub: StreamHub,
  delivery: Pick<Delivery, "tellOthers">,
  session: SessionRecord,
  headers: Headers,
): Promise<Response> {
  const lastEventId = headers.get("last-event-id");
  if (lastEventId !== null) {
    const resumed = await hub.resume(session.id, lastEventId);
    if (resumed !== undefined) {
      // The listening stream moved here: another instance holding it closes its connection.
      const streamId = parseEventId(lastEventId)?.streamId;
      if (streamId !== undefined && hub.listening(session.id)?.streamId === streamId) {
        delivery.tellOthers({ type: "listening-taken", sessionId: session.id, streamId });
      }
      return resumed;
    }
    // An id that names nothing of this session replays nothing: serve a fresh listening stream.
  }
  // A new listening GET of the owner replaces the old stream (never 409): a half-open connection
  // would otherwise lock the client out until a heartbeat write fails.
  const opened = await hub.openListening(session.id, usesPriming(session.protocolVersion));
  // Across instances too: one that holds this session's listening stream ends it.
  const streamId = hub.listening(session.id)?.streamId;
  delivery.tellOthers({ type: "listening-taken", sessionId: session.id, streamId });
  return opened;
}
