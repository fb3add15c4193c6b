/**
 * A {@linkcode MessageBus} on one Redis stream (`<prefix>bus`). Publishing is
 * one `XADD` (trimmed with `MAXLEN ~`); each instance follows the stream with
 * `XREAD BLOCK` on a connection of its own, from the last entry it has read.
 * Unlike pub/sub, nothing published while a reader reconnects is lost: it
 * goes on from where it stopped (as long as the stream still holds the
 * entries, see `maxLength`). Entries name the instance that wrote them, so
 * an instance skips its own.
 * @module
 */

import type { BusListener, BusMessage, MessageBus } from "../bus/message_bus.ts";
import type { OpenRedisConnection, RedisCommands, RedisConnection } from "./redis_commands.ts";
import { entriesOf, streamEntriesOf } from "./stream_entries.ts";

/**
 * Options of {@linkcode RedisBus}.
 *
 * @example
 * ```ts
 * import type { RedisBusOptions } from "@tether/mcp/redis";
 * const options: RedisBusOptions = { prefix: "app:", maxLength: 50_000 };
 * ```
 */
export interface RedisBusOptions {
  /** Prefix of the stream's key. Default `"tether:"`. */
  prefix?: string;
  /** Entries the stream keeps (approximately; oldest trimmed). Default 10,000. */
  maxLength?: number;
  /** How long one `XREAD` blocks before it asks again, ms. Default 5,000. */
  blockMs?: number;
  /** Reports a reader failure (it retries on its own) or a listener that threw. */
  onError?: (error: unknown) => void;
}

/** The longest wait between two attempts to reconnect the reader, ms. */
const MAX_RETRY_MS = 2_000;

/**
 * The bus of every instance that uses the same Redis and prefix.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { createMcpHandler } from "@tether/mcp";
 * import { RedisBus } from "@tether/mcp/redis";
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
  #redis: RedisCommands;
  #open: OpenRedisConnection;
  #key: string;
  #maxLength: string;
  #blockMs: string;
  #onError: (error: unknown) => void;
  #origin = crypto.randomUUID();
  #listeners = new Set<BusListener>();
  #reader: Promise<void> | undefined;
  #connection: RedisConnection | undefined;
  #stopped = false;

  /** A bus on `redis` (publishing), reading through connections from `openConnection`. */
  constructor(
    redis: RedisCommands,
    openConnection: OpenRedisConnection,
    options: RedisBusOptions = {},
  ) {
    this.#redis = redis;
    this.#open = openConnection;
    this.#key = `${options.prefix ?? "tether:"}bus`;
    const maxLength = options.maxLength ?? 10_000;
    const blockMs = options.blockMs ?? 5_000;
    for (const [name, value] of Object.entries({ maxLength, blockMs })) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`RedisBus option ${name} must be a positive integer`);
      }
    }
    this.#maxLength = String(maxLength);
    this.#blockMs = String(blockMs);
    this.#onError = options.onError ?? ((error) => console.error("tether: Redis bus:", error));
  }

  /** Appends `message` to the stream; rejects when Redis does not take it. */
  async publish(message: BusMessage): Promise<void> {
    await this.#redis.sendCommand([
      "XADD",
      this.#key,
      "MAXLEN",
      "~",
      this.#maxLength,
      "*",
      "o",
      this.#origin,
      "m",
      JSON.stringify(message),
    ]);
  }

  /**
   * Starts following the stream (once, for every listener) from its current
   * end; resolves when the position is known, so nothing published later is
   * missed.
   */
  async subscribe(listener: BusListener): Promise<() => void> {
    if (this.#stopped) throw new Error("RedisBus: closed");
    this.#listeners.add(listener);
    if (this.#reader === undefined) {
      const start = await this.#lastId();
      this.#reader = this.#follow(start);
    }
    return () => void this.#listeners.delete(listener);
  }

  /** Stops reading and closes the reader's connection (publishing needs no closing). */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#listeners.clear();
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close().catch(() => {});
    await this.#reader;
  }

  async #lastId(): Promise<string> {
    const reply = await this.#redis.sendCommand(["XREVRANGE", this.#key, "+", "-", "COUNT", "1"]);
    const entries = entriesOf(reply);
    return entries.length === 0 ? "0-0" : entries[0].id;
  }

  async #follow(from: string): Promise<void> {
    let lastId = from;
    let retryMs = 50;
    let failing = false;
    while (!this.#stopped) {
      try {
        this.#connection ??= await this.#open();
        if (this.#stopped) break;
        const reply = await this.#connection.sendCommand([
          "XREAD",
          "COUNT",
          "512",
          "BLOCK",
          this.#blockMs,
          "STREAMS",
          this.#key,
          lastId,
        ]);
        retryMs = 50;
        failing = false;
        for (const entry of streamEntriesOf(reply)) {
          lastId = entry.id;
          if (entry.fields.o === this.#origin || entry.fields.m === undefined) continue;
          this.#deliver(entry.fields.m);
        }
      } catch (error) {
        if (this.#stopped) break;
        if (!failing) this.#onError(error); // once per outage, not once per retry
        failing = true;
        const broken = this.#connection;
        this.#connection = undefined;
        await broken?.close().catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
      }
    }
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close().catch(() => {});
  }

  #deliver(text: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(text) as BusMessage;
    } catch (error) {
      this.#onError(error);
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
