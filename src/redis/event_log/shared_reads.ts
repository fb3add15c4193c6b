/**
 * The blocking reads the event log's followed streams share: per place (the
 * server, or on a Cluster the master owning a stream's slot) at most
 * `maxReads` connections, each blocked in one `XREAD … STREAMS k1 k2 … id1
 * id2 …` over its share of the streams this process follows there (on a
 * Cluster, one XREAD covers one slot: Redis refuses keys of several). A
 * stream added to a blocked read interrupts it (`CLIENT UNBLOCK` from one
 * control connection per place; where that is refused, the read ends within
 * its 1 s block). Streams past a place's reads, or every stream without an
 * opener, share a poll on the log's client (one `XREAD` per group every
 * 100 ms, backing off to 400 ms while idle: stream_polls.ts). Connections of a place left without streams close after `idleMs`.
 * Internal to the Redis backends.
 *
 * It does not check a stream's state or settle followers
 * (event_log_tails.ts does, on what it is handed here), nor retry a failed
 * read: its streams fail, and their followers ask again.
 * @module
 */

import type { RedisCommands, RedisConnection } from "../connection/redis_commands.ts";
import { slotOf } from "../connection/cluster_slot.ts";
import { type StreamEntry, streamsOf } from "../connection/stream_entries.ts";
import { unrefTimer } from "../../runtime.ts";
import { type PolledGroups, pollGroups, type SharedStream, xreadOf } from "./stream_polls.ts";

export type { SharedStream } from "./stream_polls.ts";

/** Longest single blocking read. */
const BLOCK_MS = 1_000;
/** Streams one blocking read takes before another read of the place opens (one server). */
const CHUNK = 256;
/** `CLIENT UNBLOCK` tries while the read is on its way to Redis (it answers 0 until it blocks). */
const UNBLOCK_TRIES = 4;

/** What {@linkcode SharedReads} works with. */
export interface SharedReadsOptions {
  /** The log's client: the polls go through it. */
  redis: RedisCommands;
  /** Opens a connection to `place` (as `placeOf` names it); none: every stream is polled. */
  open: ((place: string) => Promise<RedisConnection>) | undefined;
  /** The place of a stream key (a Cluster master); without it, every stream is on one place. */
  placeOf?: (key: string) => string;
  /** Streams of different slots may share a read (one server, Sentinel): false on a Cluster. */
  anySlot: boolean;
  /** Blocking reads per place. */
  maxReads: number;
  /** How long a place's connections stay open without streams, ms. */
  idleMs: number;
}

/** One blocking read of a place and the streams it covers. */
interface Reader {
  readonly place: Place;
  readonly streams: Set<SharedStream>;
  /** The slot of its streams (Cluster), fixed while it has any. */
  slot: number | undefined;
  connection: RedisConnection | undefined;
  /** Its connection's `CLIENT ID`, for `CLIENT UNBLOCK`. */
  clientId: string | undefined;
  /** Counts its reads; set while one is blocked in Redis. */
  read: number;
  blocked: boolean;
  unblocking: boolean;
  /** Ends its idle wait early (a stream came). */
  wake: (() => void) | undefined;
}

/** One server or Cluster master: its blocking reads, polled groups and control connection. */
interface Place extends PolledGroups {
  readonly name: string;
  readonly readers: Reader[];
  control: Promise<RedisConnection> | undefined;
}

/** The shared reads of one event log's followed streams in this process. */
export class SharedReads {
  #options: SharedReadsOptions;
  #anySlot: boolean;
  #places = new Map<string, Place>();
  /** Where each stream is read: a reader or a polled group. */
  #where = new Map<SharedStream, Reader | Set<SharedStream>>();
  #closed = false;

  /** Shared reads as `options` say. */
  constructor(options: SharedReadsOptions) {
    this.#options = options;
    this.#anySlot = options.anySlot;
  }

  /** Connections open now, for tests and the stats: blocking reads and control connections. */
  get connections(): number {
    let count = 0;
    for (const place of this.#places.values()) {
      count += place.readers.filter((reader) => reader.connection !== undefined).length;
      if (place.control !== undefined) count++;
    }
    return count;
  }

  /** Starts reading `stream` (its position is asked at each read). */
  add(stream: SharedStream): void {
    if (this.#closed || this.#where.has(stream)) return;
    const name = this.#options.placeOf?.(stream.stream) ?? "";
    let place = this.#places.get(name);
    if (place === undefined) {
      place = { name, readers: [], polled: new Map(), polling: false, control: undefined };
      this.#places.set(name, place);
    }
    const slot = this.#anySlot ? undefined : slotOf(stream.stream);
    const reader = this.#options.open === undefined ? undefined : this.#readerFor(place, slot);
    if (reader === undefined) {
      const group = String(slot ?? "");
      let streams = place.polled.get(group);
      if (streams === undefined) place.polled.set(group, streams = new Set());
      streams.add(stream);
      this.#where.set(stream, streams);
      void pollGroups(place, this.#options.redis, {
        closed: () => this.#closed,
        hand: (streams, read, current) => this.#hand(streams, read, current),
        failed: (group, error) => this.#failed(group, error),
        done: () => {
          if (place.readers.length === 0 && place.polled.size === 0 && !this.#closed) {
            if (this.#places.get(place.name) === place) this.#places.delete(place.name);
          }
        },
      });
      return;
    }
    reader.slot = slot;
    reader.streams.add(stream);
    this.#where.set(stream, reader);
    this.#wake(reader);
  }

  /** Stops reading `stream` (the read in progress ends in its time). */
  remove(stream: SharedStream): void {
    const where = this.#where.get(stream);
    this.#where.delete(stream);
    if (where === undefined) return;
    if (where instanceof Set) where.delete(stream);
    else where.streams.delete(stream);
  }

  /** Closes every connection and fails every stream read; streams added later are not read. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new Error("RedisEventLog: closed");
    for (const stream of [...this.#where.keys()]) stream.fail(closed);
    const closing: Promise<void>[] = [];
    for (const place of this.#places.values()) {
      for (const reader of place.readers) {
        reader.wake?.();
        if (reader.connection !== undefined) closing.push(reader.connection.close());
        reader.connection = undefined;
      }
      if (place.control !== undefined) {
        closing.push(place.control.then((control) => control.close(), () => {}));
        place.control = undefined;
      }
    }
    this.#places.clear();
    this.#where.clear();
    await Promise.all(closing.map((done) => done.catch(() => {})));
  }

  /**
   * The blocking read `slot`'s stream joins at `place`: the one of its slot
   * (Cluster), the least loaded under {@linkcode CHUNK}, an idle one, a new
   * one under `maxReads`; on one server past those the least loaded, on a
   * Cluster none (polled).
   */
  #readerFor(place: Place, slot: number | undefined): Reader | undefined {
    const readers = place.readers;
    if (slot !== undefined) {
      const same = readers.find((reader) => reader.slot === slot && reader.streams.size > 0);
      if (same !== undefined) return same;
    } else {
      const open = readers.filter((reader) => reader.streams.size < CHUNK);
      const least = leastLoaded(open.length > 0 ? open : []);
      if (least !== undefined && least.streams.size > 0) return least;
    }
    const idle = readers.find((reader) => reader.streams.size === 0);
    if (idle !== undefined) return idle;
    if (readers.length < this.#options.maxReads) {
      const reader: Reader = {
        place,
        streams: new Set(),
        slot,
        connection: undefined,
        clientId: undefined,
        read: 0,
        blocked: false,
        unblocking: false,
        wake: undefined,
      };
      readers.push(reader);
      void this.#run(reader);
      return reader;
    }
    return slot === undefined ? leastLoaded(readers) : undefined;
  }

  /** A reader's new stream: it ends its idle wait or its blocked read. */
  #wake(reader: Reader): void {
    if (reader.wake !== undefined) return reader.wake();
    if (reader.blocked && !reader.unblocking) void this.#unblock(reader);
  }

  /**
   * Interrupts `reader`'s blocked read from its place's control connection,
   * trying again while the read has not reached Redis yet. A refusal (an ACL
   * without `CLIENT`) leaves the read to end within its block time.
   */
  async #unblock(reader: Reader): Promise<void> {
    const open = this.#options.open;
    if (open === undefined || reader.clientId === undefined) return;
    reader.unblocking = true;
    const read = reader.read;
    try {
      const place = reader.place;
      place.control ??= open(place.name);
      const control = await place.control;
      for (let tries = 0; tries < UNBLOCK_TRIES; tries++) {
        if (!reader.blocked || reader.read !== read || this.#closed) return;
        const done = await control.sendCommand(["CLIENT", "UNBLOCK", reader.clientId]);
        if (Number(done) === 1) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } catch {
      const control = reader.place.control;
      reader.place.control = undefined;
      void control?.then((connection) => connection.close(), () => {});
    } finally {
      reader.unblocking = false;
    }
  }

  /**
   * The loop of one blocking read: while it has streams, one `XREAD` over
   * them from their positions, each handed its entries; without streams it
   * adopts a polled group of its slot-bound place, or waits `idleMs` and
   * closes. A failed read fails its streams and drops its connection.
   */
  async #run(reader: Reader): Promise<void> {
    const place = reader.place;
    const open = this.#options.open!;
    while (!this.#closed) {
      if (reader.streams.size === 0 && !this.#adopt(reader)) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          reader.wake = resolve;
          timer = setTimeout(resolve, this.#options.idleMs);
          unrefTimer(timer);
        });
        clearTimeout(timer);
        reader.wake = undefined;
        if (reader.streams.size === 0) break;
        continue;
      }
      const streams = [...reader.streams];
      try {
        if (reader.connection === undefined) {
          const connection = await open(place.name);
          reader.connection = connection;
          reader.clientId = String(await connection.sendCommand(["CLIENT", "ID"]));
          if (this.#closed) break;
          continue; // streams may have come while it connected
        }
        reader.read++;
        reader.blocked = true;
        const reply = await reader.connection.sendCommand(xreadOf(streams, BLOCK_MS));
        reader.blocked = false;
        await this.#hand(streams, streamsOf(reply), reader.streams);
      } catch (error) {
        reader.blocked = false;
        const connection = reader.connection;
        reader.connection = undefined;
        reader.clientId = undefined;
        await connection?.close().catch(() => {});
        if (this.#closed) break;
        this.#failed(reader.streams, error);
      }
    }
    const at = place.readers.indexOf(reader);
    if (at !== -1) place.readers.splice(at, 1);
    await reader.connection?.close().catch(() => {});
    reader.connection = undefined;
    if (place.readers.length === 0 && place.polled.size === 0) {
      this.#places.delete(place.name);
      const control = place.control;
      place.control = undefined;
      await control?.then((connection) => connection.close(), () => {});
    }
  }

  /** An idle reader takes over a polled group of its place (Cluster): true when it did. */
  #adopt(reader: Reader): boolean {
    for (const [group, streams] of reader.place.polled) {
      reader.place.polled.delete(group);
      if (streams.size === 0) continue;
      reader.slot = group === "" ? undefined : Number(group);
      for (const stream of streams) {
        reader.streams.add(stream);
        this.#where.set(stream, reader);
      }
      return true;
    }
    return false;
  }

  /** Hands each stream still `current` what the read brought for it. */
  async #hand(
    streams: SharedStream[],
    read: Map<string, StreamEntry[]>,
    current: Set<SharedStream>,
  ): Promise<void> {
    await Promise.all(streams.map((stream) => {
      const entries = read.get(stream.stream);
      if (entries === undefined || entries.length === 0 || !current.has(stream)) return;
      return stream.deliver(entries);
    }));
  }

  /**
   * A read of `streams` failed: a Cluster's `CROSSSLOT` (a log without
   * `placeOf` on a Cluster) makes every later read one slot's and places
   * them again; anything else fails them.
   */
  #failed(streams: Set<SharedStream>, error: unknown): void {
    const all = [...streams];
    for (const stream of all) this.remove(stream);
    if (this.#anySlot && /^CROSSSLOT\b/.test(messageOf(error))) {
      this.#anySlot = false;
      for (const stream of all) this.add(stream);
      return;
    }
    const failure = error instanceof Error ? error : new Error(String(error));
    for (const stream of all) stream.fail(failure);
  }
}

/** The reader with the fewest streams. */
function leastLoaded(readers: Reader[]): Reader | undefined {
  let least: Reader | undefined;
  for (const reader of readers) {
    if (least === undefined || reader.streams.size < least.streams.size) least = reader;
  }
  return least;
}

/** An error's message, or its text. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
