/**
 * Notifications for the listening (GET) streams this process holds: one
 * session's, every session's, or those of the sessions subscribed to a
 * resource. It acts only here; reaching the streams other instances hold is
 * the bus delivery's job (src/bus/delivery.ts), which calls these for this
 * process and for messages from the others alike.
 * @module
 */

import type { JsonRpcNotification } from "../../jsonrpc/messages.ts";
import type { SessionRecord } from "../../storage/sessions/session_store.ts";
import type { StreamHub } from "./stream_hub.ts";

/** Sends notifications on the listening streams of this process. */
export class ListeningNotifications {
  readonly #hub: StreamHub;
  readonly #session: (id: string) => Promise<SessionRecord | undefined>;

  /** Notifications on `hub`'s listening streams; `session` looks up a session's resource subscriptions. */
  constructor(hub: StreamHub, session: (id: string) => Promise<SessionRecord | undefined>) {
    this.#hub = hub;
    this.#session = session;
  }

  /** Sends `notification` on the session's listening stream if it is here; false when it is not. */
  async notify(
    sessionId: string,
    notification: Omit<JsonRpcNotification, "jsonrpc">,
  ): Promise<boolean> {
    const stream = this.#hub.listening(sessionId);
    if (stream === undefined || stream.finished) return false;
    await stream.send({ jsonrpc: "2.0", ...notification });
    return true;
  }

  /** Sends `notification` on every listening stream here; resolves with how many got it. */
  async broadcast(notification: Omit<JsonRpcNotification, "jsonrpc">): Promise<number> {
    let sent = 0;
    for (const id of this.#hub.listeningSessions()) {
      if (await this.notify(id, notification)) sent++;
    }
    return sent;
  }

  /** Tells the sessions subscribed to `uri` whose listening streams are here that it changed. */
  async resourceUpdated(uri: string): Promise<number> {
    let sent = 0;
    for (const id of this.#hub.listeningSessions()) {
      const session = await this.#session(id);
      if (
        session?.subscriptions?.includes(uri) &&
        await this.notify(id, { method: "notifications/resources/updated", params: { uri } })
      ) {
        sent++;
      }
    }
    return sent;
  }
}
