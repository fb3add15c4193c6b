/**
 * The message bus between instances of one server: what a request received
 * by one instance must do to work another instance holds. A cancellation or
 * a client's reply posted to B reaches the tool running on A; a `DELETE` on B
 * ends A's streams and work; `notify`, `broadcast` and `resourceUpdated`
 * called anywhere reach the listening streams wherever they are; a new
 * listening `GET` on B takes over the one A holds.
 *
 * A message goes to every other instance, or (a bus that implements
 * `release`) only to those that hold something of its session; each one
 * acts on what it holds (an instance that holds nothing of it ignores it). The
 * publishing instance acts on its own part itself, by the same receiver
 * (src/bus/delivery.ts), and never receives its own messages. The in-memory
 * default connects nothing: one process needs no bus. `@tether/mcp/redis`
 * has one on a Redis stream.
 * @module
 */

import type { JsonRpcResponse, RequestId } from "../jsonrpc/messages.ts";

/**
 * A notification as the bus carries it (no `jsonrpc` member).
 *
 * @example
 * ```ts
 * import type { BusNotification } from "@tether/mcp/storage";
 * const changed: BusNotification = { method: "notifications/tools/list_changed" };
 * ```
 */
export interface BusNotification {
  /** The notification's method. */
  method: string;
  /** Its params, if any. */
  params?: Record<string, unknown>;
}

/**
 * What instances tell each other. Session ids and owner keys come from
 * requests the publishing instance has already checked (session found,
 * owner matched); a receiver acts on them without checking again.
 *
 * - `cancel`: `notifications/cancelled` for a request of a session.
 * - `reply`: a client's answer to a server→client request (`ownerKey`: who sent it).
 * - `session-ended`: the session is gone (`DELETE`, expiry): end its streams, work and resources.
 * - `notify`: a notification for one session's listening stream.
 * - `broadcast`: a notification for every listening stream (both eras).
 * - `resource-updated`: `uri` changed; subscribers are told.
 * - `listening-taken`: the session's listening stream is now `streamId`, elsewhere: close yours
 *   (and end it, when it is another stream).
 * - `stream-followed`: a client follows this stream from another instance; its work is attended
 *   (a lease, renewed every third of the orphan timeout).
 * - `stateless-cancel`: `notifications/cancelled` without a session (2026-07-28, and the 2025
 *   revisions served without sessions, whose owner keys start `2025:`), matched by owner key and
 *   request id (on a bus with `trackRequest`, sent only where the request runs).
 *
 * @example
 * ```ts
 * import type { BusMessage } from "@tether/mcp/storage";
 * const message: BusMessage = { type: "cancel", sessionId: "3f9c…", requestId: 7 };
 * ```
 */
export type BusMessage =
  | { type: "cancel"; sessionId: string; requestId: RequestId }
  | { type: "reply"; sessionId: string; ownerKey: string; response: JsonRpcResponse }
  | { type: "session-ended"; sessionId: string }
  | { type: "notify"; sessionId: string; notification: BusNotification }
  | { type: "broadcast"; notification: BusNotification }
  | { type: "resource-updated"; uri: string }
  | { type: "listening-taken"; sessionId: string; streamId?: string }
  | { type: "stream-followed"; sessionId: string; streamId: string }
  | { type: "stateless-cancel"; ownerKey: string; requestId: RequestId };

/**
 * Receives the messages of the other instances, one at a time, in the order
 * each instance published them.
 *
 * @example
 * ```ts
 * import type { BusListener } from "@tether/mcp/storage";
 * const log: BusListener = (message) => console.log(message.type);
 * ```
 */
export type BusListener = (message: BusMessage) => void;

/**
 * How instances reach each other. `publish` resolves once the message is
 * handed to the transport (every instance subscribed at that moment will
 * receive it, unless it stops) and rejects when it cannot be: the request
 * that needed it then fails rather than losing it silently. `subscribe`
 * resolves once every message published after that moment will reach the
 * listener, with the function that stops it.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { MemoryBus, type MessageBus } from "@tether/mcp/storage";
 * const bus: MessageBus = new MemoryBus();
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], bus });
 * ```
 */
export interface MessageBus {
  /** Sends a message to every other instance. */
  publish(message: BusMessage): Promise<void>;
  /** Starts delivering the other instances' messages to `listener`. */
  subscribe(listener: BusListener): Promise<() => void>;
  /**
   * Optional, for a bus addressed to owners (a session's messages go only to
   * the instances that used the session): this instance holds nothing of
   * `sessionId` (no request, stream or awaited reply) and has not used it
   * since `unusedSince` (ms, `Date.now()`), so its messages need not come
   * here until it uses the session again.
   */
  release?(sessionId: string, unusedSince: number): Promise<void>;
  /**
   * Optional, for a bus addressed to owners whose holders lapse when unused
   * (the Redis bus drops them after `2 × aliveMs`): `holds` answers whether
   * this process still holds something of a session (a request, a stream,
   * an awaited reply), so the bus keeps it recorded as a holder meanwhile.
   * Returns the function that stops asking.
   */
  watchHolds?(holds: (sessionId: string) => boolean): () => void;
  /**
   * Optional, for a bus addressed to owners: this instance runs the
   * request without a session `requestId` of `ownerKey` (a 2026-07-28
   * request, or a 2025 call served without sessions, that outlived a short grace),
   * so a `stateless-cancel` for it comes here rather than to every instance.
   * Resolves false when a cancellation for it was published first (found no
   * instance running it): the caller aborts the request.
   */
  trackRequest?(ownerKey: string, requestId: RequestId): Promise<boolean>;
  /** Optional, with `trackRequest`: the request tracked here is done. */
  untrackRequest?(ownerKey: string, requestId: RequestId): Promise<void>;
}

/**
 * What a bus's `publish` rejects with when a message is larger than the
 * bus carries (a Redis bus bounds each entry in bytes). Nothing was
 * published; the handler answers the request that needed it with `413`.
 *
 * @example
 * ```ts
 * import { BusMessageTooLargeError } from "@tether/mcp/storage";
 * const error = new BusMessageTooLargeError(2_000_000, 1_048_576);
 * console.log(error.bytes > error.limit); // true
 * ```
 */
export class BusMessageTooLargeError extends RangeError {
  /** The message's size, UTF-8 bytes of its JSON. */
  readonly bytes: number;
  /** The most the bus carries in one message. */
  readonly limit: number;

  /** An error for a message of `bytes` on a bus that carries at most `limit`. */
  constructor(bytes: number, limit: number) {
    super(`bus message of ${bytes} bytes exceeds the limit of ${limit} bytes`);
    this.name = "BusMessageTooLargeError";
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The buses of one in-process network, and who listens on each. */
interface Network {
  members: Set<MemoryBus>;
}

/**
 * The in-memory bus: alone it connects nothing (the default for one
 * process). `peer()` makes another bus on the same network, for several
 * handlers in one process (tests, or one server per port). Messages are
 * copied through JSON and delivered on a later microtask, as a network
 * would, so nothing shares objects across instances.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { MemoryBus } from "@tether/mcp/storage";
 * const busA = new MemoryBus();
 * const a = createMcpHandler({ name: "app", version: "1.0.0", tools: [], bus: busA });
 * const b = createMcpHandler({ name: "app", version: "1.0.0", tools: [], bus: busA.peer() });
 * ```
 */
export class MemoryBus implements MessageBus {
  #network: Network;
  #listeners = new Set<BusListener>();

  /** A bus on a network of its own. */
  constructor() {
    this.#network = { members: new Set([this]) };
  }

  /** Another bus on this bus's network. */
  peer(): MemoryBus {
    const other = new MemoryBus();
    other.#network = this.#network;
    this.#network.members.add(other);
    return other;
  }

  /** Delivers a copy of `message` to the listeners of every other bus of the network. */
  publish(message: BusMessage): Promise<void> {
    const text = JSON.stringify(message);
    for (const member of this.#network.members) {
      if (member === this || member.#listeners.size === 0) continue;
      const listeners = [...member.#listeners];
      queueMicrotask(() => {
        for (const listener of listeners) {
          if (!member.#listeners.has(listener)) continue;
          try {
            listener(JSON.parse(text) as BusMessage);
          } catch (error) {
            console.error("tether: a bus listener threw:", error);
          }
        }
      });
    }
    return Promise.resolve();
  }

  /** Starts delivering the other buses' messages to `listener`. */
  subscribe(listener: BusListener): Promise<() => void> {
    this.#listeners.add(listener);
    return Promise.resolve(() => void this.#listeners.delete(listener));
  }
}
