/**
 * Live tailing of the Redis event log (`waitAfter`): the followers of one
 * stream in this process share one tail, read from the lowest follower's
 * position by the blocking reads every followed stream shares
 * (shared_reads.ts), and checked when it starts and then at most once per
 * idle second, by one timer for every tail (the stream still exists, it has
 * not ended, its writer lives: its heartbeat and, when recorded, its bus
 * liveness key, each asked once per round however many streams name it;
 * how far the global budget evicted). Each follower gets what follows its
 * own position, "still running" at its deadline, nothing when events after
 * it were evicted, and `writerLost` with the requests the stream answered
 * when its writer is gone. A tail whose followers all left stays in the
 * shared reads for {@linkcode LINGER_MS}, so a follower asking again after
 * what it was handed does not interrupt them.
 * Internal to the Redis backends.
 *
 * It does not write, replay from scratch or keep heartbeats
 * (redis_event_log.ts does), nor hold connections (shared_reads.ts does).
 * @module
 */

import {
  formatEventId,
  type Replay,
  type StoredEvent,
  type WaitOptions,
} from "../../storage/event_log/event_log.ts";
import { requestIdsOf } from "../../storage/event_log/recorded_request_ids.ts";
import { aliveKeyOf } from "../bus/bus_scripts.ts";
import { STATE } from "./event_log_scripts.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import { entriesOf, type StreamEntry } from "../connection/stream_entries.ts";
import type { SharedReads, SharedStream } from "./shared_reads.ts";
import { unrefTimer } from "../../runtime.ts";

/** A tail's state check, at most once per this much time without events. */
const CHECK_MS = 1_000;
/** The timer of every tail: deadlines are met within it. */
const TICK_MS = 250;
/** How long a tail without followers stays in the shared reads, ms. */
const LINGER_MS = 2_000;

/** One follower waiting in `waitAfter`: its position, and how its wait ends. */
interface Follower {
  readonly seq: number;
  /** When its wait ends with "still running" (`Date.now()` time). */
  readonly deadline: number;
  settle(reply: Replay | undefined | Error): void;
}

/** The followers of one stream in this process, and the position of their shared read. */
interface Tail extends SharedStream {
  readonly streamId: string;
  readonly stream: string;
  readonly meta: string;
  readonly followers: Set<Follower>;
  /** Where the read in progress started (the lowest follower's sequence number then). */
  from: number;
  /** When it was last checked or brought events (`Date.now()` time). */
  active: number;
  checking: boolean;
  /** When it leaves the shared reads if no follower came (set as the last one leaves). */
  lingerUntil: number;
}

/** The sequence number of entry id `0-<seq>`. */
function seqOf(id: string): number {
  return Number(id.slice(2));
}

/** Stored events among a log stream's entries, and whether its terminal entry was among them. */
export function eventsOf(
  streamId: string,
  entries: StreamEntry[],
): { events: StoredEvent[]; ended: boolean } {
  const events: StoredEvent[] = [];
  let ended = false;
  for (const { id, fields } of entries) {
    if (fields.d === undefined) {
      ended ||= fields.e !== undefined;
      continue;
    }
    events.push({ id: formatEventId(streamId, Number(id.slice(2))), data: String(fields.d) });
  }
  return { events, ended };
}

/**
 * The replay after sequence number `after` of a stream whose entries after it
 * (`XRANGE`) are `entries`. `gap` when the first of them (the end's included),
 * or with none the next to come (`next` + 1), is not the one right after
 * `after`: the budgets dropped what was between.
 */
export function replayOf(
  streamId: string,
  after: number,
  entries: StreamEntry[],
  next: number,
  complete: boolean,
): Replay {
  const replay: Replay = { streamId, events: eventsOf(streamId, entries).events, complete };
  const first = entries.length > 0 ? Number(entries[0].id.slice(2)) : next + 1;
  if (first > after + 1) replay.gap = true;
  return replay;
}

/** What {@linkcode EventLogTails} works with. */
export interface EventLogTailsOptions {
  /** The log's client (non-blocking commands). */
  redis: RedisCommands;
  /** Prefix of every key (the writers' heartbeats are `<prefix>hb:<instance>`). */
  prefix: string;
  /** The blocking reads the followed streams share. */
  reads: SharedReads;
}

/** The followers of the streams of one Redis event log in this process, by stream. */
export class EventLogTails {
  #redis: RedisCommands;
  #prefix: string;
  #reads: SharedReads;
  /** Followers of each stream (by its key), sharing one tail. */
  #tails = new Map<string, Tail>();
  /** The one timer of every tail: idle checks, deadlines, lingering tails' end. */
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Writers' liveness asked in this round of checks, by writer: once per round each. */
  #alive = new Map<string, Promise<boolean>>();
  #closed = false;

  /** Tails reading with `options.redis`, their streams read by `options.reads`. */
  constructor(options: EventLogTailsOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#reads = options.reads;
  }

  /**
   * Events of `streamId` (its keys `meta` and `stream`) after sequence
   * number `seq`, or a wait for the next one or the end: the follower joins
   * the stream's tail.
   */
  async wait(
    streamId: string,
    seq: number,
    meta: string,
    stream: string,
    options: WaitOptions,
  ): Promise<Replay | undefined> {
    if (this.#closed) throw new Error("RedisEventLog: closed");
    // The shared read in progress starts after this follower: what lies between is read for it alone.
    let tail = this.#tails.get(stream);
    while (tail !== undefined && seq < tail.from) {
      const from = tail.from;
      const between = entriesOf(
        await this.#redis.sendCommand(["XRANGE", stream, `(0-${seq}`, `0-${from}`]),
      );
      if (between.length > 0) {
        if (between[0].id !== `0-${seq + 1}` && await this.#lostAfter(meta, seq)) return undefined;
        const { events, ended } = eventsOf(streamId, between);
        return { streamId, events, complete: ended };
      }
      tail = this.#tails.get(stream);
      if (tail?.from === from) break;
    }
    const running: Replay = { streamId, events: [], complete: false };
    const signal = options.signal;
    if (signal?.aborted) return running;
    return await new Promise<Replay | undefined>((resolve, reject) => {
      const settle = (reply: Replay | undefined | Error) => {
        signal?.removeEventListener("abort", stop);
        const tail = this.#tails.get(stream);
        if (tail?.followers.delete(follower) && tail.followers.size === 0) {
          tail.lingerUntil = Date.now() + LINGER_MS;
        }
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      };
      // The timer ends the wait at its deadline, after checking the stream (as one follower would).
      const follower: Follower = { seq, deadline: Date.now() + options.timeoutMs, settle };
      const stop = () => settle(running);
      signal?.addEventListener("abort", stop, { once: true });
      const shared = this.#tails.get(stream);
      if (shared === undefined) this.#start(this.#tail(streamId, stream, meta, follower));
      else shared.followers.add(follower);
    });
  }

  /** Stops the timer; the followers still waiting end at the shared reads' close. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A new tail of `stream` with its first follower, as the shared reads see it. */
  #tail(streamId: string, stream: string, meta: string, first: Follower): Tail {
    const tail: Tail = {
      streamId,
      stream,
      meta,
      followers: new Set([first]),
      from: first.seq,
      active: 0,
      checking: false,
      lingerUntil: 0,
      position: () => {
        if (tail.followers.size === 0) return tail.from;
        let from = Number.MAX_SAFE_INTEGER;
        for (const follower of tail.followers) from = Math.min(from, follower.seq);
        return tail.from = from;
      },
      deliver: async (entries) => {
        tail.active = Date.now();
        await this.#hand(tail, entries);
        // Read for no one (every follower left): the next read starts after them.
        if (tail.followers.size === 0) tail.from = Math.max(tail.from, seqOf(entries.at(-1)!.id));
      },
      fail: (error) => {
        if (this.#tails.get(stream) === tail) this.#tails.delete(stream);
        for (const follower of [...tail.followers]) follower.settle(error);
      },
    };
    this.#tails.set(stream, tail);
    return tail;
  }

  /** A new tail: checked before its first read (a writer already gone ends it at once), then read. */
  #start(tail: Tail): void {
    this.#timer ??= setInterval(() => this.#tick(), TICK_MS);
    unrefTimer(this.#timer);
    void this.#check(tail, true);
  }

  /**
   * One round of the timer: each tail idle for {@linkcode CHECK_MS} or with
   * a follower past its deadline is checked; a tail without followers past
   * its linger leaves the shared reads.
   */
  #tick(): void {
    const now = Date.now();
    this.#alive.clear();
    for (const tail of this.#tails.values()) {
      if (tail.followers.size === 0) {
        if (now >= tail.lingerUntil && !tail.checking) this.#drop(tail);
        continue;
      }
      if (tail.checking) continue;
      let due = now - tail.active >= CHECK_MS;
      for (const follower of tail.followers) due ||= follower.deadline <= now;
      if (due) void this.#check(tail, false);
    }
    if (this.#tails.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Checks `tail` ({@linkcode EventLogTails.#checkState}); reads it once it checked out, when `first`. */
  async #check(tail: Tail, first: boolean): Promise<void> {
    tail.checking = true;
    try {
      const state = await this.#checkState(tail);
      tail.active = Date.now();
      if (state === "stop" && tail.followers.size === 0) this.#drop(tail);
      else if (first) this.#reads.add(tail);
    } catch (error) {
      tail.fail(error instanceof Error ? error : new Error(String(error)));
      this.#reads.remove(tail);
    } finally {
      tail.checking = false;
    }
  }

  /** `tail` leaves the shared reads and the map. */
  #drop(tail: Tail): void {
    this.#reads.remove(tail);
    if (this.#tails.get(tail.stream) === tail) this.#tails.delete(tail.stream);
  }

  /**
   * The stream's state, for its followers: gone (each gets nothing), ended
   * (each gets the rest), its writer gone (each gets `writerLost`), or
   * evicted past some (they get nothing); "stop" when no follower is left
   * to read for. The rest wait on, past their deadlines answered.
   */
  async #checkState(tail: Tail): Promise<"stop" | "go"> {
    const { streamId, stream, meta, followers } = tail;
    const state = await STATE.run(this.#redis, [meta], []) as unknown[];
    if (Number(state[0]) !== 1) {
      for (const follower of [...followers]) follower.settle(undefined);
      return "stop";
    }
    if (Number(state[1]) === 1) {
      // Completed since the read: the terminal entry is there now, and so is every event.
      if (followers.size === 0) return "stop";
      const from = Math.min(...[...followers].map((follower) => follower.seq));
      await this.#hand(
        tail,
        entriesOf(await this.#redis.sendCommand(["XRANGE", stream, `(0-${from}`, "+"])),
      );
      return "stop";
    }
    if (!await this.#writerAlive(String(state[2] ?? ""))) {
      const requestIds = requestIdsOf(String(state[3]));
      const lost: Replay = { streamId, events: [], complete: false, writerLost: { requestIds } };
      for (const follower of [...followers]) follower.settle(lost);
      return "stop";
    }
    const evicted = Number(state[4] ?? 0);
    const now = Date.now();
    for (const follower of [...followers]) {
      if (follower.seq < evicted) follower.settle(undefined);
      else if (follower.deadline <= now) {
        follower.settle({ streamId, events: [], complete: false }); // still running: ask again
      }
    }
    return followers.size === 0 ? "stop" : "go";
  }

  /** {@linkcode EventLogTails.#askAlive}, asked once per round of checks for each writer. */
  #writerAlive(writer: string): Promise<boolean> {
    if (writer === "") return Promise.resolve(true);
    let alive = this.#alive.get(writer);
    if (alive === undefined) this.#alive.set(writer, alive = this.#askAlive(writer));
    return alive;
  }

  /**
   * True while the writer recorded on a stream lives: its event-log
   * heartbeat, and (`<log>@<bus>`, a writer whose bus was live) its bus
   * liveness key, which its `close()` deletes at once and which lapses
   * `bus.aliveMs` after a killed process's last refresh. Each is its own
   * key (its own slot on a Cluster): read apart, together.
   */
  async #askAlive(writer: string): Promise<boolean> {
    const at = writer.indexOf("@");
    const log = at === -1 ? writer : writer.slice(0, at);
    const keys = [`${this.#prefix}hb:${log}`];
    if (at !== -1) keys.push(aliveKeyOf(this.#prefix, writer.slice(at + 1)));
    const found = await Promise.all(keys.map((key) => this.#redis.sendCommand(["EXISTS", key])));
    return found.every((exists) => Number(exists) === 1);
  }

  /** Settles each follower that `entries` (read from the lowest position) have something for. */
  async #hand(tail: Tail, entries: StreamEntry[]): Promise<void> {
    let lost: boolean | undefined;
    for (const follower of [...tail.followers]) {
      const next = `0-${follower.seq + 1}`;
      const start = entries.findIndex((entry) => seqOf(entry.id) > follower.seq);
      if (start === -1) continue;
      const mine = entries.slice(start);
      // A gap after its position: a loss to the global budget means no resume from there.
      if (mine[0].id !== next) {
        lost = await this.#lostAfter(tail.meta, follower.seq);
        if (lost) {
          follower.settle(undefined);
          continue;
        }
      }
      const { events, ended } = eventsOf(tail.streamId, mine);
      follower.settle({ streamId: tail.streamId, events, complete: ended });
    }
  }

  /** True when the global budget evicted events after `seq` (the stream's `lost` mark is past it). */
  async #lostAfter(meta: string, seq: number): Promise<boolean> {
    const lost = await this.#redis.sendCommand(["HGET", meta, "lost"]);
    return seq < Number(lost ?? 0);
  }
}
