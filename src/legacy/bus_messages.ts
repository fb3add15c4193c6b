/**
 * What a bus message does to the sessions this process holds: a
 * cancellation reaches a call, a reply the request that awaits it, a
 * notification a listening stream; a session ended or a listening stream
 * taken elsewhere ends here. Messages about no session held here change
 * nothing (0). It sends nothing on the bus itself.
 * @module
 */

import type { BusMessage } from "../bus/message_bus.ts";
import type { InFlightRegistry } from "./exchange/in_flight.ts";
import type { ListeningNotifications } from "./streams/listening_notifications.ts";
import type { PendingRequests } from "./exchange/pending_requests.ts";
import type { SessionEnds } from "./session_ends.ts";
import type { StreamHub } from "./streams/stream_hub.ts";

/** What the sessionful era holds in this process, as bus messages reach it. */
export interface HeldSessions {
  inFlight: InFlightRegistry;
  pending: PendingRequests;
  notifications: ListeningNotifications;
  hub: StreamHub;
  ends: SessionEnds;
}

/** Acts on `message` for the sessions held here; how many of its targets are here. */
export async function receiveInSessions(held: HeldSessions, message: BusMessage): Promise<number> {
  switch (message.type) {
    case "cancel":
      return held.inFlight.cancel(message.sessionId, message.requestId) ? 1 : 0;
    case "reply":
      // A reply goes on only when another instance awaits it (exchange/client_messages.ts):
      // not settled here, it goes to the bus; from the bus, whoever waits for it settles it.
      return held.pending.deliver(message.sessionId, message.ownerKey, message.response) ? 1 : 0;
    case "notify":
      return await held.notifications.notify(message.sessionId, message.notification) ? 1 : 0;
    case "broadcast":
      return await held.notifications.broadcast(message.notification);
    case "resource-updated":
      return await held.notifications.resourceUpdated(message.uri);
    case "session-ended":
      await held.ends.endedElsewhere(message.sessionId);
      return 0;
    case "listening-taken": {
      const stream = held.hub.listening(message.sessionId);
      // The same stream resumed elsewhere moves (it goes on there); another one replaces it.
      if (message.streamId === undefined || message.streamId === stream?.streamId) {
        stream?.abort();
      } else void stream?.supersede();
      return 0;
    }
    case "stream-followed":
      held.hub.followed(message.sessionId, message.streamId);
      return 0;
    default:
      return 0;
  }
}
