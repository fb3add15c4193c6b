/**
 * What a bus that carries messages as JSON does with each one it reads: parse it and hand it to
 * every listener, one failure (a message that does not parse, a listener that throws) reported
 * and the rest delivered. Shared by the Redis and Postgres buses; it reads nothing itself.
 * @module
 */

import type { BusListener, BusMessage } from "./message_bus.ts";

/**
 * Parses `text` (a message's JSON) and calls each of `listeners` with it; `onError` gets what
 * fails, and delivery goes on.
 *
 * @example
 * ```ts
 * import { deliverJson } from "./bus_listeners.ts";
 * const listeners = new Set([(message: unknown) => console.log(message)]);
 * deliverJson('{"type":"resource-updated","uri":"test://r"}', listeners, console.error);
 * ```
 */
export function deliverJson(
  text: string,
  listeners: Iterable<BusListener>,
  onError: (error: unknown) => void,
): void {
  let message: BusMessage;
  try {
    message = JSON.parse(text) as BusMessage;
  } catch (error) {
    onError(error);
    return;
  }
  for (const listener of listeners) {
    try {
      listener(message);
    } catch (error) {
      onError(error);
    }
  }
}
