/**
 * One delivery seam for every bus message, whether its target is in this
 * process or another: the local instance is a subscriber like the others.
 * An operation (`notify`, `broadcast`, `resourceUpdated`, a cancellation, a
 * client's reply) builds a {@linkcode BusMessage} and hands it here; the same
 * receiver acts on it when it comes from this process and when it comes from
 * another instance over the bus.
 *
 * - A targeted message (`cancel`, `reply`, `notify`, `stateless-cancel`) is
 *   offered here first; only when its target is not here does it cross the
 *   bus, so what is local never waits for, nor needs, a shared bus.
 * - A message for everyone (`broadcast`, `resource-updated`) is handed to the
 *   bus first (a bus that cannot take it fails the call before anything is
 *   sent), then acted on here.
 * - An announcement (`session-ended`, `listening-taken`, `stream-followed`)
 *   tells the others what this instance has already done; it is not acted on
 *   here again.
 *
 * On a bus addressed to owners (one with `release`), an instance that gets a
 * session's message but holds nothing of that session a moment later
 * (`RELEASE_AFTER_MS` on the handler's `scheduler`, so a request that just
 * came in has registered its work) says so, and the session's messages stop
 * coming here.
 *
 * The bus never returns a message to the instance that published it, so each
 * is acted on once per instance. This module knows neither era: the receiver
 * and `holds` are parameters. Without a configured bus, {@linkcode LocalDelivery} serves
 * alone.
 * @module
 */

import type { RequestId } from "../jsonrpc/messages.ts";
import type { BusMessage, MessageBus } from "./message_bus.ts";
import { realScheduler, type Scheduler, unrefTimer } from "../runtime.ts";

/** A message the first instance holding its target acts on. */
export type TargetedMessage = Extract<
  BusMessage,
  { type: "cancel" | "reply" | "notify" | "stateless-cancel" }
>;

/** A message every instance acts on, this one included. */
export type MessageForEveryone = Extract<BusMessage, { type: "broadcast" | "resource-updated" }>;

/** What this instance did and the others should know (it is not acted on here again). */
export type Announcement = Extract<
  BusMessage,
  { type: "session-ended" | "listening-taken" | "stream-followed" }
>;

/**
 * Acts on a bus message for what this process holds; resolves with how many
 * of its targets are here (streams that got a notification, requests
 * cancelled, or 1 for a reply to a request this process issued). For a
 * targeted message, 0 means "look elsewhere".
 */
export type BusReceiver = (message: BusMessage) => Promise<number>;

/** True when this process holds something of the session (work in flight, a stream). */
export type SessionHolds = (sessionId: string) => boolean;

/** How long after a session's message an instance holding nothing of it releases it, ms. */
export const RELEASE_AFTER_MS = 2_000;

/**
 * Where this instance records the requests without a session it runs
 * (2026-07-28, and 2025 calls served without sessions), on a bus addressed
 * to owners (its `trackRequest`), so their cancellations come here.
 */
export interface RequestTracker {
  /** Records the request as running here; false when a cancellation for it came first. */
  track(ownerKey: string, requestId: RequestId): Promise<boolean>;
  /** The request is done here. */
  untrack(ownerKey: string, requestId: RequestId): Promise<void>;
}

/** How messages reach their targets, here and in the other instances. */
export interface Delivery {
  /** True when a bus connects other instances (a message not acted on here may be acted on there). */
  readonly shared: boolean;
  /** Where long requests without a session are recorded; undefined when their cancellations go to everyone. */
  readonly requests: RequestTracker | undefined;
  /**
   * Delivers a message by its kind (see the module doc); resolves with how
   * many targets here acted on it, and rejects when a message that must
   * cross the bus cannot (the caller fails closed).
   */
  deliver(message: TargetedMessage | MessageForEveryone): Promise<number>;
  /** Acts on a message in this process only (a definition changed here tells this instance's clients). */
  here(message: BusMessage): Promise<number>;
  /** Tells the other instances what this one did; a failure goes to `onError`. */
  tellOthers(message: Announcement): void;
  /** Undefined once this instance hears the others (or there are none); else the wait for that. */
  ready(): Promise<void> | undefined;
  /** Stops hearing the others. */
  close(): void;
}

/** The delivery of a process with no bus: every message is for this process alone. */
export class LocalDelivery implements Delivery {
  readonly shared = false;
  readonly requests = undefined;
  readonly #receive: BusReceiver;

  /** A delivery that hands every message to `receive`. */
  constructor(receive: BusReceiver) {
    this.#receive = receive;
  }

  /** Acts on `message` here. */
  deliver(message: TargetedMessage | MessageForEveryone): Promise<number> {
    return this.#receive(message);
  }

  /** Acts on `message` here. */
  here(message: BusMessage): Promise<number> {
    return this.#receive(message);
  }

  /** There is nobody to tell. */
  tellOthers(_message: Announcement): void {}

  /** Always ready. */
  ready(): undefined {
    return undefined;
  }

  /** Nothing to stop. */
  close(): void {}
}

/**
 * The delivery of an instance on a shared bus: it subscribes its receiver,
 * and publishes what is not (only) for this process.
 */
export class SharedDelivery implements Delivery {
  readonly shared = true;
  readonly requests: RequestTracker | undefined;
  readonly #bus: MessageBus;
  readonly #receive: BusReceiver;
  readonly #onError: (error: unknown) => void;
  /** Stops the subscription (set once subscribed). */
  #unsubscribe: (() => void) | undefined;
  /** Stops the bus asking `holds` (a bus whose holders lapse when unused: `watchHolds`). */
  readonly #unwatch: (() => void) | undefined;
  #subscribing: Promise<void> | undefined;
  #closed = false;
  readonly #holds: SessionHolds | undefined;
  /** Sessions whose release is being considered, and the timers that will. */
  readonly #releasing = new Map<string, unknown>();
  readonly #scheduler: Scheduler;

  /**
   * A delivery over `bus`; `onError` gets what the receiver and announcements
   * fail with; `holds` (with a bus that has `release`) lets it release the
   * sessions this process no longer holds, after `RELEASE_AFTER_MS` on `scheduler`.
   */
  constructor(
    bus: MessageBus,
    receive: BusReceiver,
    onError: (error: unknown) => void,
    holds?: SessionHolds,
    scheduler: Scheduler = realScheduler,
  ) {
    this.#bus = bus;
    this.#scheduler = scheduler;
    this.#receive = receive;
    this.#onError = onError;
    this.#holds = holds;
    this.#unwatch = holds === undefined ? undefined : bus.watchHolds?.(holds);
    const { trackRequest, untrackRequest } = bus;
    this.requests = trackRequest === undefined || untrackRequest === undefined ? undefined : {
      track: (ownerKey, requestId) => trackRequest.call(bus, ownerKey, requestId),
      untrack: (ownerKey, requestId) => untrackRequest.call(bus, ownerKey, requestId),
    };
  }

  /** Here first for a targeted message, the bus first for one for everyone. */
  async deliver(message: TargetedMessage | MessageForEveryone): Promise<number> {
    if (message.type === "broadcast" || message.type === "resource-updated") {
      await this.#bus.publish(message);
      return await this.#receive(message);
    }
    const here = await this.#receive(message);
    if (here === 0) await this.#bus.publish(message);
    return here;
  }

  /** Acts on `message` here only. */
  here(message: BusMessage): Promise<number> {
    return this.#receive(message);
  }

  /** Publishes `message`; a failure goes to `onError`. */
  tellOthers(message: Announcement): void {
    this.#bus.publish(message).catch(this.#onError);
  }

  /** Subscribes once; undefined when subscribed, so requests await nothing. */
  ready(): Promise<void> | undefined {
    if (this.#unsubscribe !== undefined) return undefined;
    return this.#subscribing ??= this.#bus.subscribe((message) => this.#heard(message)).then(
      (stop) => {
        if (this.#closed) stop();
        else this.#unsubscribe = stop;
      },
      (error) => {
        this.#subscribing = undefined; // the next request tries again
        throw error;
      },
    );
  }

  /** Stops the subscription, now or as soon as it is made. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unwatch?.();
    for (const timer of this.#releasing.values()) this.#scheduler.clearTimeout(timer);
    this.#releasing.clear();
  }

  /** Another instance's message: the same receiver as this instance's own. */
  #heard(message: BusMessage): void {
    this.#receive(message).then(() => this.#maybeRelease(message)).catch(this.#onError);
  }

  /** A session's message came here: unless this process holds the session soon after, release it. */
  #maybeRelease(message: BusMessage): void {
    const holds = this.#holds;
    if (holds === undefined || this.#bus.release === undefined || this.#closed) return;
    if (!("sessionId" in message) || message.type === "session-ended") return;
    const { sessionId } = message;
    if (this.#releasing.has(sessionId) || holds(sessionId)) return;
    const since = Date.now();
    const timer = this.#scheduler.setTimeout(() => {
      this.#releasing.delete(sessionId);
      if (this.#closed || holds(sessionId)) return;
      this.#bus.release?.(sessionId, since).catch(this.#onError);
    }, RELEASE_AFTER_MS);
    unrefTimer(timer); // a pending release never keeps the process up
    this.#releasing.set(sessionId, timer);
  }
}

/**
 * The delivery of an instance: over `bus` when one is configured, else this
 * process alone. `receive` acts on every message, this instance's and the
 * others'; `onError` gets its failures for messages from the bus.
 */
export function createDelivery(
  bus: MessageBus | undefined,
  receive: BusReceiver,
  onError: (error: unknown) => void,
  holds?: SessionHolds,
  scheduler?: Scheduler,
): Delivery {
  return bus === undefined
    ? new LocalDelivery(receive)
    : new SharedDelivery(bus, receive, onError, holds, scheduler);
}
