/**
 * The one function that acts on a bus message, for both eras, whether the
 * message comes from this process (src/bus/delivery.ts hands it here first)
 * or from another instance over the bus: the local instance is a subscriber
 * like the others, so a cancellation, a reply or a notification does the
 * same thing on either path. Each part acts on what this process holds and
 * ignores the rest. It lives in entry/ because it knows both eras; bus/
 * knows neither and takes it as a parameter.
 * @module
 */

import type { BusMessage } from "../bus/message_bus.ts";
import type { Delivery } from "../bus/delivery.ts";
import type { JsonRpcNotification } from "../jsonrpc/messages.ts";
import type { LegacyPipeline } from "../legacy/pipeline.ts";
import type { ListenStreams } from "../modern/listen_streams.ts";
import type { ModernInFlight } from "../modern/in_flight.ts";

/** What the messages act on in this process. */
export interface BusTargets {
  /** The sessionful era: in-flight work, waiting server→client requests, streams. */
  legacy: LegacyPipeline;
  /** The 2026-07-28 listen streams. */
  listen: ListenStreams;
  /** The 2026-07-28 work in flight. */
  modernWork: ModernInFlight;
}

/**
 * Acts on `message` for what this process holds; resolves with how many of
 * its targets are here (0 for a targeted message: look elsewhere).
 */
export async function receiveBusMessage(targets: BusTargets, message: BusMessage): Promise<number> {
  const { legacy } = targets;
  switch (message.type) {
    case "cancel":
      return legacy.inFlight.cancel(message.sessionId, message.requestId) ? 1 : 0;
    case "reply":
      // The pipeline sends a reply on only when another instance awaits it (pipeline.ts):
      // not settled here, it goes to the bus; from the bus, whoever waits for it settles it.
      return legacy.pending.deliver(message.sessionId, message.ownerKey, message.response) ? 1 : 0;
    case "notify":
      return await legacy.notifications.notify(message.sessionId, message.notification) ? 1 : 0;
    case "broadcast": {
      const sent = targets.listen.publish({ jsonrpc: "2.0", ...message.notification });
      return sent + await legacy.notifications.broadcast(message.notification);
    }
    case "resource-updated":
      return targets.listen.resourceUpdated(message.uri) +
        await legacy.notifications.resourceUpdated(message.uri);
    case "stateless-cancel":
      return targets.modernWork.cancel(message.ownerKey, message.requestId);
    case "session-ended":
      await legacy.endedElsewhere(message.sessionId);
      return 0;
    case "listening-taken": {
      const stream = legacy.hub.listening(message.sessionId);
      // The same stream resumed elsewhere moves (it goes on there); another one replaces it.
      if (message.streamId === undefined || message.streamId === stream?.streamId) {
        stream?.abort();
      } else void stream?.supersede();
      return 0;
    }
    case "stream-followed":
      legacy.hub.followed(message.sessionId, message.streamId);
      return 0;
  }
}

/**
 * `McpHandler.notify`: true when the session's listening stream is here and
 * got it, or when a shared bus took it for the instance that holds it.
 */
export async function notifySession(
  delivery: Delivery,
  sessionId: string,
  notification: Omit<JsonRpcNotification, "jsonrpc">,
): Promise<boolean> {
  return await delivery.deliver({ type: "notify", sessionId, notification }) > 0 ||
    delivery.shared;
}
