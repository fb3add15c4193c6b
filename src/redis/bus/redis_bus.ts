/**
 * A {@linkcode MessageBus} on Redis, addressed to owners: each instance has
 * an inbox stream of its own (`<prefix>{bus:<id>}`, one hash tag per
 * instance) that only it reads (`XREAD BLOCK`, on a connection of its own,
 * from the last entry it read: nothing published while it reconnects is
 * lost), and a liveness key beside it (`…:alive`, refreshed every third of
 * `aliveMs`; deleted by `close()`). A session's message goes only to the
 * instances that served a request of it (`<prefix>bh:{<session id>}`,
 * written by the session store's read-and-touch, under the session's tag,
 * expiring with its keys), less those that have since said they hold
 * nothing of it (`release`) and those a touch found unused for
 * `2 × aliveMs` (an instance holding work or a stream of the session
 * records its use again meanwhile: bus_holdings.ts); a cancellation without a session
 * (`stateless-cancel`: 2026-07-28, or a 2025 call served without sessions)
 * goes to the instances running its request
 * (`<prefix>rq:{<owner>|<id>}`, recorded by `trackRequest` once a request
 * outlives a short grace; see bus_requests.ts); a
 * message for everyone (`broadcast`, `resource-updated`) goes to every live
 * instance (`<prefix>{bus}:instances`). So a cancel, a reply or a
 * notification costs O(holders of its session, or runners of its request),
 * not O(instances).
 * Each append checks the target's liveness key in the same script: a dead
 * instance gets nothing (and leaves the session's holders).
 *
 * Bounds, in bytes as well as entries, per inbox: a message larger than
 * `maxMessageBytes` is refused before it is sent
 * ({@linkcode BusMessageTooLargeError}); the append script keeps a running
 * total of the inbox's payload bytes in `…:bytes` and drops the oldest
 * entries (exactly) until the inbox holds at most `maxLength` entries and
 * `maxBytes` bytes. Redis's own overhead per entry is not counted (bound
 * Redis with `maxmemory`). A reader further behind than its inbox holds
 * skips what was trimmed. An inbox and its total expire `4 × aliveMs` after
 * their instance last refreshed them, the live list after the last instance
 * did.
 * @module
 */

import { REDIS_DEFAULTS } from "../redis_defaults.ts";
import {
  type BusListener,
  type BusMessage,
  BusMessageTooLargeError,
} from "../../bus/message_bus.ts";
import type { MessageBus } from "../../bus/message_bus.ts";
import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import { unrefTimer } from "../../runtime.ts";
import { settledWithin } from "../../http/drained.ts";
import { aliveKeyOf, DELIVER, holdersKeyOf, REFRESH } from "./bus_scripts.ts";
import { BusHoldings } from "./bus_holdings.ts";
import { BusRequests } from "./bus_requests.ts";
import type { RequestId } from "../../jsonrpc/messages.ts";
import type {
  OpenRedisConnection,
  RedisCommands,
  RedisConnection,
} from "../connection/redis_commands.ts";
import { streamEntriesOf } from "../connection/stream_entries.ts";
import { reconnectWait } from "../connection/reconnect_wait.ts";
import { deliverJson } from "../../bus/bus_listeners.ts";
import type { RedisBusOptions } from "./bus_options.ts";

const DEFAULT = REDIS_DEFAULTS.RedisBusOptions;

/** close()'s wait for the reader, ms: one opening a connection while Redis is down closes it itself. */
const CLOSE_WAIT_MS = 2_000;

/** The session a message is about, or undefined for a message for everyone. */
function sessionOf(message: BusMessage): string | undefined {
  return "sessionId" in message ? message.sessionId : undefined;
}

/**
 * The bus of every instance that uses the same Redis and prefix. Internal:
 * `createRedisBackend` makes it (its `bus`).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { createMcpHandler } from "@tether/mcp";
 * import { RedisBus } from "./redis_bus.ts";
 *
 * const shared = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const bus = new RedisBus(shared, async () => {
 *   const own = await shared.duplicate().connect();
 *   return { sendCommand: (args) => own.sendCommand(args), close: () => own.close() };
 * });
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], bus });
 * ```
 */
export class RedisBus implements MessageBus {
  /** This instance's id: its inbox is `<prefix>{bus:<id>}`, its holds name it. */
  readonly instanceId: string = crypto.randomUUID();
  #redis: RedisCommands;
  #open: OpenRedisConnection;
  #prefix: string;
  #instancesKey: string;
  #maxLength: string;
  #maxMessageBytes: number;
  #maxBytes: string;
  #blockMs: string;
  #aliveMs: number;
  #onError: (error: unknown) => void;
  #listeners = new Set<BusListener>();
  #reader: Promise<void> | undefined;
  #connection: RedisConnection | undefined;
  #refresher: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  /** Where this instance's long 2026-07-28 requests are recorded (see bus_requests.ts). */
  #requests: BusRequests;
  /** The sessions this instance uses, kept recorded while it holds them (see bus_holdings.ts). */
  #holdings: BusHoldings;

  /** A bus on `redis` (publishing), reading through connections from `openConnection`. */
  constructor(
    redis: RedisCommands,
    openConnection: OpenRedisConnection,
    options: RedisBusOptions = {},
  ) {
    this.#redis = redis;
    this.#open = openConnection;
    this.#prefix = options.prefix ?? DEFAULT.prefix;
    this.#instancesKey = `${this.#prefix}{bus}:instances`;
    const maxLength = options.maxLength ?? DEFAULT.maxLength;
    const maxBytes = options.maxBytes ?? DEFAULT.maxBytes;
    const maxMessageBytes = options.maxMessageBytes ?? Math.min(DEFAULT.maxMessageBytes, maxBytes);
    const blockMs = options.blockMs ?? DEFAULT.blockMs;
    const aliveMs = options.aliveMs ?? DEFAULT.aliveMs;
    for (
      const [name, value] of Object.entries({
        maxLength,
        maxMessageBytes,
        maxBytes,
        blockMs,
        aliveMs,
      })
    ) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`RedisBus option ${name} must be a positive integer`);
      }
    }
    if (maxMessageBytes > maxBytes) {
      throw new RangeError("RedisBus option maxMessageBytes must be at most maxBytes");
    }
    this.#maxLength = String(maxLength);
    this.#maxMessageBytes = maxMessageBytes;
    this.#maxBytes = String(maxBytes);
    this.#blockMs = String(blockMs);
    this.#aliveMs = aliveMs;
    this.#requests = new BusRequests(redis, this.#prefix, this.instanceId, aliveMs * 4);
    this.#holdings = new BusHoldings(redis, this.#prefix, this.instanceId, aliveMs * 2);
    this.#onError = options.onError ?? ((error) => console.error("tether: Redis bus:", error));
  }

  /** The inbox of instance `id`, with its byte total and liveness key (one hash tag). */
  inboxKeys(id: string = this.instanceId): [inbox: string, bytes: string, alive: string] {
    const inbox = `${this.#prefix}{bus:${id}}`;
    return [inbox, `${inbox}:bytes`, aliveKeyOf(this.#prefix, id)];
  }

  /**
   * This instance's id while it is subscribed (its liveness key is kept),
   * else undefined: the event log records it on the streams it writes, so
   * their followers elsewhere notice at once when this instance is gone.
   */
  liveId(): string | undefined {
    return this.#reader !== undefined && !this.#stopped ? this.instanceId : undefined;
  }

  /**
   * Appends `message` to the inbox of each instance it is for (see the
   * module doc), trimming past the bounds; rejects with
   * {@linkcode BusMessageTooLargeError} (nothing sent) when it is larger
   * than `maxMessageBytes`, or when Redis does not take it.
   */
  async publish(message: BusMessage): Promise<void> {
    const text = JSON.stringify(message);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: a message this short fits without counting.
    if (text.length * 3 > this.#maxMessageBytes) {
      const bytes = utf8Length(text);
      if (bytes > this.#maxMessageBytes) {
        throw new BusMessageTooLargeError(bytes, this.#maxMessageBytes);
      }
    }
    const sessionId = sessionOf(message);
    const from = sessionId === undefined
      ? this.#instancesKey
      : holdersKeyOf(this.#prefix, sessionId);
    const min = sessionId === undefined ? String(Date.now() - this.#aliveMs) : "-inf";
    const found = message.type === "stateless-cancel"
      ? await this.#requests.locate(message.ownerKey, message.requestId)
      : await this.#redis.sendCommand(["ZRANGEBYSCORE", from, min, "+inf"]);
    const targets = (Array.isArray(found) ? found.map(String) : []).filter((id) =>
      id !== this.instanceId
    );
    // Issued together, in this call's turn: each inbox gets one publisher's messages in order.
    const sent = await Promise.all(
      targets.map((id) =>
        DELIVER.run(this.#redis, this.inboxKeys(id), [
          this.instanceId,
          text,
          this.#maxLength,
          this.#maxBytes,
          String(this.#aliveMs * 4),
        ])
      ),
    );
    // A session that ended has no holders left to find.
    if (message.type === "session-ended") await this.#redis.sendCommand(["DEL", from]);
    const dead = targets.filter((_, i) => Number(sent[i]) !== 1);
    // The dead leave the holders or the live list (a request's record lapses by its TTL).
    const prune = message.type !== "session-ended" && message.type !== "stateless-cancel";
    if (dead.length > 0 && prune) {
      this.#redis.sendCommand(["ZREM", from, ...dead]).catch(this.#onError);
    }
  }

  /**
   * Records that this instance runs the request without a session `requestId` of
   * `ownerKey` (until {@linkcode untrackRequest}, or `4 × aliveMs` after this
   * instance last refreshed it): its `stateless-cancel` comes here. Resolves
   * false, recording nothing, when a cancellation for it came first.
   */
  trackRequest(ownerKey: string, requestId: RequestId): Promise<boolean> {
    return this.#requests.track(ownerKey, requestId);
  }

  /** The request recorded by {@linkcode trackRequest} is done here. */
  untrackRequest(ownerKey: string, requestId: RequestId): Promise<void> {
    return this.#requests.untrack(ownerKey, requestId);
  }

  /**
   * How long a session's holder stays one without using it, ms
   * (`2 × aliveMs`): the session store's touch drops older ones.
   */
  get holdingMs(): number {
    return this.#aliveMs * 2;
  }

  /**
   * The session store's touch recorded this instance as using `sessionId`
   * at `at` (ms, `Date.now()`): while this process holds something of it,
   * the bus records the use again before the bound drops it.
   */
  used(sessionId: string, at: number): void {
    this.#holdings.used(sessionId, at);
  }

  /** Whether the store's touch at `at` must record this instance's use of `sessionId` again. */
  due(sessionId: string, at: number): boolean {
    return this.#holdings.due(sessionId, at);
  }

  /**
   * Asks `holds` (the handler's delivery passes it) which sessions this
   * process still holds, so those stay recorded past `holdingMs`; returns
   * the function that stops asking.
   */
  watchHolds(holds: (sessionId: string) => boolean): () => void {
    return this.#holdings.watch(holds);
  }

  /**
   * Records that this instance uses `sessionId` (what the session store's
   * read-and-touch does in its own script), for `ttlMs`: the session's
   * messages come here from now on.
   */
  hold(sessionId: string, ttlMs: number): Promise<void> {
    return this.#holdings.hold(sessionId, ttlMs);
  }

  /**
   * This instance holds nothing of `sessionId` and has not used it since
   * `unusedSince` (ms, this clock): its messages stop coming here.
   */
  release(sessionId: string, unusedSince: number): Promise<void> {
    return this.#holdings.release(sessionId, unusedSince);
  }

  /**
   * Starts following this instance's inbox (once, for every listener) and
   * marks it alive; resolves when it is, so nothing published later is
   * missed.
   */
  async subscribe(listener: BusListener): Promise<() => void> {
    if (this.#stopped) throw new Error("RedisBus: closed");
    this.#listeners.add(listener);
    if (this.#reader === undefined) {
      await this.#refresh();
      if (this.#reader === undefined) {
        this.#reader = this.#follow("0-0");
        this.#refresher = setInterval(
          () => void this.#refresh().catch(() => {/* the reader reports the outage */}),
          Math.max(1, Math.floor(this.#aliveMs / 3)),
        );
        unrefTimer(this.#refresher);
      }
    }
    return () => void this.#listeners.delete(listener);
  }

  /** Stops reading, leaves the live instances, and closes the reader's connection. */
  async close(): Promise<void> {
    const subscribed = this.#reader !== undefined && !this.#stopped;
    this.#stopped = true;
    this.#listeners.clear();
    clearInterval(this.#refresher);
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close().catch(() => {});
    if (this.#reader !== undefined) await settledWithin(this.#reader, CLOSE_WAIT_MS);
    if (subscribed) {
      // Gone at once, not when the liveness key lapses: a message for this instance is not sent.
      await Promise.all([
        this.#redis.sendCommand(["DEL", this.inboxKeys()[2]]),
        this.#redis.sendCommand(["ZREM", this.#instancesKey, this.instanceId]),
      ]).catch(() => {});
    }
  }

  /** Marks this instance alive for `aliveMs` and listed among the live ones. */
  async #refresh(): Promise<void> {
    const now = Date.now();
    await REFRESH.run(this.#redis, this.inboxKeys(), [
      String(this.#aliveMs),
      String(this.#aliveMs * 4),
    ]);
    await Promise.all([
      this.#redis.sendCommand(["ZADD", this.#instancesKey, String(now), this.instanceId]),
      this.#redis.sendCommand([
        "ZREMRANGEBYSCORE",
        this.#instancesKey,
        "-inf",
        String(now - this.#aliveMs * 4),
      ]),
      // Gone with the last instance, as its inbox is.
      this.#redis.sendCommand(["PEXPIRE", this.#instancesKey, String(this.#aliveMs * 4)]),
      // The requests running here stay findable while they run (a killed instance's lapse).
      ...this.#requests.refresh(),
      // The sessions it holds stay its (a touch elsewhere drops a holder unused for holdingMs).
      ...this.#holdings.refresh(now),
    ]);
  }

  async #follow(from: string): Promise<void> {
    const [inbox] = this.inboxKeys();
    let lastId = from;
    let attempt = 0;
    let failing = false;
    while (!this.#stopped) {
      try {
        this.#connection ??= await this.#open();
        if (this.#stopped) break;
        // Back after an outage (maybe a Redis restarted empty): alive again now, not at the next beat.
        if (failing) this.#refresh().catch(() => {});
        const reply = await this.#connection.sendCommand([
          "XREAD",
          "COUNT",
          "512",
          "BLOCK",
          this.#blockMs,
          "STREAMS",
          inbox,
          lastId,
        ]);
        attempt = 0;
        failing = false;
        for (const entry of streamEntriesOf(reply)) {
          lastId = entry.id;
          if (entry.fields.o === this.instanceId || entry.fields.m === undefined) continue;
          this.#deliver(entry.fields.m);
        }
      } catch (error) {
        if (this.#stopped) break;
        if (!failing) this.#onError(error); // once per outage, not once per retry
        failing = true;
        const broken = this.#connection;
        this.#connection = undefined;
        await broken?.close().catch(() => {});
        // Jittered: the readers of every instance that lost this Redis do not return as one.
        await new Promise((resolve) => setTimeout(resolve, reconnectWait(attempt++)));
      }
    }
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close().catch(() => {});
  }

  #deliver(text: string): void {
    deliverJson(text, this.#listeners, this.#onError);
  }
}
