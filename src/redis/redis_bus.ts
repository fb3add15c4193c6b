/**
 * A {@linkcode MessageBus} on one Redis stream (`<prefix>{bus}`, one slot
 * on a Cluster). Publishing is
 * one script (`EVALSHA`) that appends the entry and trims the stream; each
 * instance follows the stream with `XREAD BLOCK` on a connection of its own,
 * from the last entry it has read. Unlike pub/sub, nothing published while a
 * reader reconnects is lost: it goes on from where it stopped (as long as
 * the stream still holds the entries). Entries name the instance that wrote
 * them, so an instance skips its own.
 *
 * Bounds, in bytes as well as entries: `MAXLEN` alone counts entries, so
 * 10,000 entries of a few megabytes each once made a gigabyte. Here a
 * message larger than `maxMessageBytes` is refused before it is sent
 * ({@linkcode BusMessageTooLargeError}), and the append script keeps a
 * running total of the stream's payload bytes in `<prefix>{bus}:bytes`: after
 * each `XADD` it drops the oldest entries (exactly, not `~`) until the
 * stream holds at most `maxLength` entries and `maxBytes` bytes. Each entry
 * is weighed once when added and once when dropped, so a publish costs
 * O(entries dropped), and the stream's payload never exceeds `maxBytes`. The
 * total is rebuilt from the stream when its key is missing (evicted, or a
 * stream written before this bound existed). What it does not count is
 * Redis's own overhead per entry (tens of bytes); bound Redis itself with
 * `maxmemory`. A reader further behind than the stream holds skips what
 * was trimmed, as with `MAXLEN`.
 * @module
 */

import {
  type BusListener,
  type BusMessage,
  BusMessageTooLargeError,
  type MessageBus,
} from "../bus/message_bus.ts";
import { utf8Length } from "../jsonrpc/utf8_length.ts";
import { LuaScript } from "./lua_script.ts";
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
  /** Entries the stream keeps (oldest trimmed). Default 10,000. */
  maxLength?: number;
  /**
   * Largest message published, UTF-8 bytes of its JSON; a larger one is
   * refused with {@linkcode BusMessageTooLargeError} (a client's reply that
   * large is answered `413`). At most `maxBytes`.
   * @default 1 MiB
   */
  maxMessageBytes?: number;
  /**
   * Payload bytes the stream keeps for all instances together (oldest
   * entries trimmed first, together with `maxLength`).
   * @default 64 MiB
   */
  maxBytes?: number;
  /** How long one `XREAD` blocks before it asks again, ms. Default 5,000. */
  blockMs?: number;
  /** Reports a reader failure (it retries on its own) or a listener that threw. */
  onError?: (error: unknown) => void;
}

/** The longest wait between two attempts to reconnect the reader, ms. */
const MAX_RETRY_MS = 2_000;

// KEYS[1] the stream, KEYS[2] its payload byte total; ARGV[1] origin, ARGV[2] message,
// ARGV[3] max entries, ARGV[4] max bytes. Appends, then drops the oldest entries until both hold.
const PUBLISH = new LuaScript(`
local function weigh(fields)
  local bytes = 0
  for i = 2, #fields, 2 do bytes = bytes + string.len(fields[i]) end
  return bytes
end
local length = redis.call('XLEN', KEYS[1])
local total = redis.call('GET', KEYS[2])
if length == 0 then
  total = 0
elseif not total then
  total = 0
  local from = '-'
  repeat
    local batch = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', 256)
    for _, entry in ipairs(batch) do total = total + weigh(entry[2]) end
    if #batch > 0 then from = '(' .. batch[#batch][1] end
  until #batch < 256
else
  total = tonumber(total)
end
redis.call('XADD', KEYS[1], '*', 'o', ARGV[1], 'm', ARGV[2])
length = length + 1
total = total + string.len(ARGV[1]) + string.len(ARGV[2])
local maxLength = tonumber(ARGV[3])
local maxBytes = tonumber(ARGV[4])
while length > 1 and (length > maxLength or total > maxBytes) do
  local batch = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 64)
  local drop = {}
  for _, entry in ipairs(batch) do
    if length <= 1 or (length <= maxLength and total <= maxBytes) then break end
    drop[#drop + 1] = entry[1]
    total = total - weigh(entry[2])
    length = length - 1
  end
  if #drop == 0 then break end
  redis.call('XDEL', KEYS[1], unpack(drop))
end
redis.call('SET', KEYS[2], total)
return total`);

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
  #bytesKey: string;
  #maxLength: string;
  #maxMessageBytes: number;
  #maxBytes: string;
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
    // One hash tag for the stream and its byte total: the publishing script's two keys share a slot.
    this.#key = `${options.prefix ?? "tether:"}{bus}`;
    this.#bytesKey = `${this.#key}:bytes`;
    const maxLength = options.maxLength ?? 10_000;
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    const maxMessageBytes = options.maxMessageBytes ?? Math.min(1024 * 1024, maxBytes);
    const blockMs = options.blockMs ?? 5_000;
    for (
      const [name, value] of Object.entries({ maxLength, maxMessageBytes, maxBytes, blockMs })
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
    this.#onError = options.onError ?? ((error) => console.error("tether: Redis bus:", error));
  }

  /**
   * Appends `message` to the stream, trimming the oldest entries past the
   * bounds; rejects with {@linkcode BusMessageTooLargeError} (nothing sent)
   * when it is larger than `maxMessageBytes`, or when Redis does not take it.
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
    await PUBLISH.run(this.#redis, [this.#key, this.#bytesKey], [
      this.#origin,
      text,
      this.#maxLength,
      this.#maxBytes,
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
