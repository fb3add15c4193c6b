/**
 * The one function that acts on a bus message, for both eras, whether the
 * message comes from this process (src/bus/delivery.ts hands it here first)
 * or from another instance over the bus: the local instance is a subscriber
 * like the others, so a cancellation, a reply or a notification does the
 * same thing on either path. Each era acts on what this process holds and
 * ignores the rest (`Era.receive`, src/era.ts). It lives in entry/ because
 * it loops over the eras; bus/ knows none and takes it as a parameter.
 * @module
 */

import type { BusMessage } from "../bus/message_bus.ts";
import type { BusReceiver, Delivery, SessionHolds } from "../bus/delivery.ts";
import type { Era, LegacyEra } from "../era.ts";
import type { JsonRpcNotification } from "../jsonrpc/messages.ts";

/**
 * Acts on `message` for what this process holds, era by era; resolves with
 * how many of its targets are here (0 for a targeted message: look elsewhere).
 */
export async function receiveBusMessage(
  eras: readonly Era[],
  message: BusMessage,
): Promise<number> {
  let count = 0;
  for (const era of eras) {
    const here = era.receive(message);
    count += typeof here === "number" ? here : await here;
  }
  return count;
}

/**
 * The receiver and the session holds a handler's delivery is built with,
 * before its eras (which are built with the delivery): it acts for the eras
 * once {@linkcode EraReceiver.attach} gives them, and for none before.
 *
 * @example
 * ```ts
 * import { EraReceiver } from "./bus_receiver.ts";
 * const receiver = new EraReceiver();
 * await receiver.receive({ type: "broadcast", notification: { method: "x" } }); // 0: no era yet
 * ```
 */
export class EraReceiver {
  #eras: readonly Era[] = [];
  #legacy: LegacyEra | undefined;

  /** The eras to act for; `legacy` answers which sessions this process holds. */
  attach(legacy: LegacyEra, eras: readonly Era[]): void {
    this.#legacy = legacy;
    this.#eras = eras;
  }

  /** Acts on a bus message for what the eras hold here ({@linkcode receiveBusMessage}). */
  readonly receive: BusReceiver = (message) => receiveBusMessage(this.#eras, message);

  /** True when the 2025 era holds something of `sessionId` here. */
  readonly holds: SessionHolds = (sessionId) => this.#legacy?.holds(sessionId) ?? false;
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
