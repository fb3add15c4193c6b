/**
 * A {@linkcode MessageBus} on Postgres, addressed to owners, as the Redis bus is: each instance
 * has an inbox (its rows of `tether_bus_messages`) that only it reads (bus_inbox.ts) and a row of
 * `tether_bus_instances` that says until when it is alive. A session's message goes only to the
 * instances that served a request of it (`tether_bus_holders`, written by the session store's
 * read-and-touch), less those that have since said they hold nothing of it (`release`); a
 * cancellation without a session (`stateless-cancel`) goes to the instances running its request
 * (`tether_bus_requests`, recorded by `trackRequest` once a request outlives a short grace; a
 * cancellation that finds none leaves a mark for `CANCEL_MARK_MS`); a message for everyone goes
 * to every live instance. An instance found dead gets nothing and leaves the session's holders.
 *
 * The tables are the truth: after a publish commits, each instance written to is woken by a
 * `NOTIFY` carrying its id alone (sent on the pool, coalesced), and every reader also polls, so a
 * lost wake-up, a dropped listening connection or polling-only mode costs latency, never a
 * message. Publishes of one instance are sent in order, in batches (one statement each: what
 * queued while one was in flight goes in the next), so each inbox gets one publisher's messages
 * in the order it published them. Bounds per inbox, in rows and bytes, as on Redis: a message
 * larger than `maxMessageBytes` is refused before it is sent; each append deletes the oldest rows
 * past `maxLength` and `maxBytes` (the newest is always kept).
 * @module
 */

import {
  type BusListener,
  type BusMessage,
  BusMessageTooLargeError,
  type MessageBus,
} from "../../bus/message_bus.ts";
import { type RequestId, requestIdKey } from "../../jsonrpc/messages.ts";
import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import type { PostgresGate } from "../connection/postgres_gate.ts";
import type { Wakeups } from "../connection/postgres_wakeups.ts";
import { BusInbox } from "./bus_inbox.ts";
import { deliverJson } from "../../bus/bus_listeners.ts";
import type { PostgresBusOptions } from "./bus_options.ts";
import { POSTGRES_DEFAULTS } from "../postgres_defaults.ts";

/** The wake-up channel of every bus (its payload: the id of the instance to read). */
export const BUS_CHANNEL = "tether_bus";

/**
 * How long a `stateless-cancel` that found no instance running its request is remembered, ms:
 * a request that outlives its grace within it is cancelled as it would be recorded (as on Redis).
 */
export const CANCEL_MARK_MS = 2_000;

/** Messages one publishing statement carries at most, and their bytes (one message at least). */
const PUBLISH_BATCH = 256;
const PUBLISH_BATCH_BYTES = 4_194_304;

/** A publish waiting for its batch. */
interface Queued {
  entry: { s: string | null; o: string | null; r: string | null; e: boolean; b: string };
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The bus of every instance on the same database and namespace. Made by `createPostgresBackend`
 * (its `bus`), which wires its session store to record this instance as a session's holder.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createPostgresBackend } from "@tether/mcp/postgres";
 *
 * const backend = await createPostgresBackend({ url: "postgres://app@127.0.0.1:5432/app" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   sessions: { store: backend.sessionStore },
 *   bus: backend.bus,
 * });
 * ```
 */
export class PostgresBus implements MessageBus {
  /** This instance's id: its inbox rows and holds name it. */
  readonly instanceId: string = crypto.randomUUID();
  readonly #gate: PostgresGate;
  readonly #wakeups: Wakeups;
  readonly #notify: boolean;
  readonly #namespace: string;
  readonly #maxLength: number;
  readonly #maxMessageBytes: number;
  readonly #maxBytes: number;
  readonly #aliveMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #listeners = new Set<BusListener>();
  readonly #inbox: BusInbox;
  /** The requests recorded here, as (owner key, request key), for the liveness refresh. */
  readonly #tracked = new Map<string, [string, string]>();
  readonly #queue: Queued[] = [];
  #flushing = false;
  #starting: Promise<void> | undefined;
  #stopWaking: (() => void) | undefined;
  #closed = false;

  /**
   * A bus of `namespace` whose statements pass `gate`, woken through `wakeups`; `notify` false
   * (polling-only) sends no wake-ups.
   */
  constructor(
    gate: PostgresGate,
    wakeups: Wakeups,
    namespace: string,
    notify: boolean,
    options: PostgresBusOptions = {},
  ) {
    this.#gate = gate;
    this.#wakeups = wakeups;
    this.#notify = notify;
    this.#namespace = namespace;
    const D = POSTGRES_DEFAULTS.PostgresBusOptions;
    const maxLength = options.maxLength ?? D.maxLength;
    const maxBytes = options.maxBytes ?? D.maxBytes;
    const maxMessageBytes = options.maxMessageBytes ?? Math.min(D.maxMessageBytes, maxBytes);
    const pollIntervalMs = options.pollIntervalMs ?? D.pollIntervalMs;
    const aliveMs = options.aliveMs ?? D.aliveMs;
    const bounds = { maxLength, maxMessageBytes, maxBytes, pollIntervalMs, aliveMs };
    for (const [name, value] of Object.entries(bounds)) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`PostgresBus option ${name} must be a positive integer`);
      }
    }
    if (maxMessageBytes > maxBytes) {
      throw new RangeError("PostgresBus option maxMessageBytes must be at most maxBytes");
    }
    this.#maxLength = maxLength;
    this.#maxMessageBytes = maxMessageBytes;
    this.#maxBytes = maxBytes;
    this.#aliveMs = aliveMs;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? ((error) => console.error("tether: Postgres bus:", error));
    this.#inbox = new BusInbox({
      gate,
      namespace,
      instanceId: this.instanceId,
      pollMs: pollIntervalMs,
      aliveMs,
      now: this.#now,
      onError: this.#onError,
      deliver: (body) => this.#deliver(body),
      tracked: () => [...this.#tracked.values()],
    });
  }

  /**
   * This instance's id while it is subscribed (alive), else undefined: what a shared event log
   * records on the streams it writes, so followers elsewhere notice when this instance is gone.
   */
  liveId(): string | undefined {
    return this.#inbox.running ? this.instanceId : undefined;
  }

  /**
   * Appends `message` to the inbox of each instance it is for (see the module doc) and wakes
   * them; rejects with {@linkcode BusMessageTooLargeError} (nothing sent) when it is larger than
   * `maxMessageBytes`, or with `StorageUnavailableError` when Postgres does not take it.
   */
  publish(message: BusMessage): Promise<void> {
    const text = JSON.stringify(message);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: a message this short fits without counting.
    const bytes = text.length * 3 > this.#maxMessageBytes ? utf8Length(text) : text.length;
    if (bytes > this.#maxMessageBytes) {
      return Promise.reject(new BusMessageTooLargeError(bytes, this.#maxMessageBytes));
    }
    const stateless = message.type === "stateless-cancel";
    const entry = {
      s: "sessionId" in message ? message.sessionId : null,
      o: stateless ? message.ownerKey : null,
      r: stateless ? requestIdKey(message.requestId) : null,
      e: message.type === "session-ended",
      b: text,
    };
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ entry, bytes, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  /**
   * Records that this instance runs the request without a session `requestId` of `ownerKey`
   * (until {@linkcode untrackRequest}, or `4 × aliveMs` after this instance last refreshed it):
   * its `stateless-cancel` comes here. Resolves false, recording nothing, when a cancellation
   * for it came first.
   */
  async trackRequest(ownerKey: string, requestId: RequestId): Promise<boolean> {
    const requestKey = requestIdKey(requestId);
    const now = this.#now();
    const rows = await this.#gate.run(
      "bus",
      (sql) =>
        sql`SELECT tether_bus_track(${this.#namespace}, ${ownerKey}, ${requestKey},
        ${this.instanceId}, ${now}, ${now + 4 * this.#aliveMs}) AS recorded`,
    );
    if (rows[0]?.recorded !== true) return false;
    this.#tracked.set(JSON.stringify([ownerKey, requestKey]), [ownerKey, requestKey]);
    return true;
  }

  /** The request recorded by {@linkcode trackRequest} is done here. */
  async untrackRequest(ownerKey: string, requestId: RequestId): Promise<void> {
    const requestKey = requestIdKey(requestId);
    this.#tracked.delete(JSON.stringify([ownerKey, requestKey]));
    await this.#gate.run(
      "bus",
      (sql) =>
        sql`DELETE FROM tether_bus_requests WHERE namespace = ${this.#namespace}
        AND owner_key = ${ownerKey} AND request_key = ${requestKey}
        AND instance_id = ${this.instanceId}`,
    );
  }

  /**
   * Records that this instance uses `sessionId` until `ttlMs` from now (what the session
   * store's read-and-touch does in its own statement): the session's messages come here.
   */
  async hold(sessionId: string, ttlMs: number): Promise<void> {
    const usedAt = Date.now();
    const expiresAt = this.#now() + ttlMs;
    await this.#gate.run(
      "bus",
      (sql) =>
        sql`INSERT INTO tether_bus_holders (namespace, session_id, instance_id, used_at, expires_at)
      VALUES (${this.#namespace}, ${sessionId}, ${this.instanceId}, ${usedAt}, ${expiresAt})
      ON CONFLICT (namespace, session_id, instance_id) DO UPDATE
      SET used_at = excluded.used_at, expires_at = excluded.expires_at`,
    );
  }

  /**
   * This instance holds nothing of `sessionId` and has not used it since `unusedSince` (ms,
   * `Date.now()`): its messages stop coming here.
   */
  async release(sessionId: string, unusedSince: number): Promise<void> {
    await this.#gate.run(
      "bus",
      (sql) =>
        sql`DELETE FROM tether_bus_holders WHERE namespace = ${this.#namespace}
        AND session_id = ${sessionId} AND instance_id = ${this.instanceId}
        AND used_at < ${unusedSince}`,
    );
  }

  /**
   * Marks this instance alive and starts reading its inbox (once, for every listener);
   * resolves when it is alive, so nothing published later is missed.
   */
  async subscribe(listener: BusListener): Promise<() => void> {
    if (this.#closed) throw new Error("PostgresBus: closed");
    this.#listeners.add(listener);
    try {
      await (this.#starting ??= this.#start());
    } catch (error) {
      this.#starting = undefined; // the next subscribe tries again
      this.#listeners.delete(listener);
      throw error;
    }
    return () => void this.#listeners.delete(listener);
  }

  /** Stops reading, deletes this instance's rows (it is gone at once), and sends nothing more. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#stopWaking?.();
    await this.#inbox.close();
  }

  async #start(): Promise<void> {
    this.#stopWaking ??= this.#wakeups.on(BUS_CHANNEL, (payload) => {
      // "" after the listener (re)connected: what was missed meanwhile is in the table.
      if (payload === this.instanceId || payload === "") this.#inbox.wake();
    });
    await this.#inbox.start();
  }

  /** Sends what is queued, batch after batch, in order; each batch's publishes settle with it. */
  async #flush(): Promise<void> {
    this.#flushing = true;
    while (this.#queue.length > 0) {
      const batch = this.#take();
      try {
        const rows = await this.#gate.run("bus", (sql) =>
          sql`SELECT tether_bus_publish(
            ${this.#namespace}, ${this.instanceId},
            ${JSON.stringify(batch.map((queued) => queued.entry))}::text::json,
            ${this.#now()}, ${this.#aliveMs}, ${this.#maxLength}, ${this.#maxBytes},
            ${CANCEL_MARK_MS}
          ) AS written`);
        if (this.#notify) {
          for (const id of String(rows[0]?.written ?? "").split(",")) {
            if (id !== "") this.#wakeups.notify(BUS_CHANNEL, id);
          }
        }
        for (const queued of batch) queued.resolve();
      } catch (error) {
        for (const queued of batch) queued.reject(error);
      }
    }
    this.#flushing = false;
  }

  /** The next batch off the queue: at most PUBLISH_BATCH messages and PUBLISH_BATCH_BYTES. */
  #take(): Queued[] {
    let bytes = 0;
    let count = 0;
    while (count < this.#queue.length && count < PUBLISH_BATCH) {
      const next = this.#queue[count].bytes;
      if (count > 0 && bytes + next > PUBLISH_BATCH_BYTES) break;
      bytes += next;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  #deliver(body: string): void {
    deliverJson(body, this.#listeners, this.#onError);
  }
}
