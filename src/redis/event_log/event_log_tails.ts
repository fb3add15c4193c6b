/**
 * Live tailing of the Redis event log (`waitAfter`): the followers of one
 * stream in this process share one read loop, one blocking read or poll at
 * a time from the lowest follower's position, and one state check when it
 * starts and per idle second (the stream still exists, it has not ended,
 * its writer lives: its heartbeat and, when recorded, its bus liveness key;
 * how far the global budget evicted). Each follower gets what follows its
 * own position, "still running" at its deadline, nothing when events after
 * it were evicted, and `writerLost` with the requests the stream answered
 * when its writer is gone.
 * Internal to the Redis backends.
 *
 * It does not write, replay from scratch or keep heartbeats
 * (redis_event_log.ts does), nor own its blocking connections
 * (tail_connections.ts lends them).
 * @module
 */

import {
  formatEventId,
  type Replay,
  type StoredEvent,
  type WaitOptions,
} from "../../legacy/event_log/event_log.ts";
import { requestIdsOf } from "../../legacy/event_log/recorded_request_ids.ts";
import { aliveKeyOf } from "../bus/bus_scripts.ts";
import { STATE } from "./event_log_scripts.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import { entriesOf, streamEntriesOf, type StreamEntry } from "../connection/stream_entries.ts";
import type { TailConnections } from "./tail_connections.ts";

/** Longest single blocking read: the writer's heartbeat is checked between reads. */
const MAX_BLOCK_MS = 1_000;
/** Interval of the polling fallback. */
const POLL_MS = 50;
/** Entries one read returns at most. */
const READ_COUNT = "1000";

/** One follower waiting in `waitAfter`: its position, and how its wait ends. */
interface Follower {
  readonly seq: number;
  /** When its wait ends with "still running" (`Date.now()` time). */
  readonly deadline: number;
  settle(reply: Replay | undefined | Error): void;
}

/** The followers of one stream in this process, and the position of their shared read. */
interface Tail {
  readonly streamId: string;
  readonly stream: string;
  readonly meta: string;
  readonly followers: Set<Follower>;
  /** Where the read in progress started (the lowest follower's sequence number then). */
  from: number;
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
  /** Where blocking reads borrow their connection. */
  connections: TailConnections;
}

/** The followers of the streams of one Redis event log in this process, by stream. */
export class EventLogTails {
  #redis: RedisCommands;
  #prefix: string;
  #connections: TailConnections;
  /** Followers of each stream (by its key), sharing one read loop. */
  #tails = new Map<string, Tail>();

  /** Tails reading with `options.redis`, blocking on connections of `options.connections`. */
  constructor(options: EventLogTailsOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#connections = options.connections;
  }

  /**
   * Events of `streamId` (its keys `meta` and `stream`) after sequence
   * number `seq`, or a wait for the next one or the end: the follower joins
   * the stream's shared read loop ({@linkcode EventLogTails.#follow}).
   */
  async wait(
    streamId: string,
    seq: number,
    meta: string,
    stream: string,
    options: WaitOptions,
  ): Promise<Replay | undefined> {
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
        this.#tails.get(stream)?.followers.delete(follower);
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      };
      // The loop ends the wait at its deadline, after checking the stream (as one follower would).
      const follower: Follower = { seq, deadline: Date.now() + options.timeoutMs, settle };
      const stop = () => settle(running);
      signal?.addEventListener("abort", stop, { once: true });
      let shared = this.#tails.get(stream);
      if (shared === undefined) {
        shared = { streamId, stream, meta, followers: new Set([follower]), from: seq };
        this.#tails.set(stream, shared);
        void this.#follow(shared);
      } else {
        shared.followers.add(follower);
      }
    });
  }

  /**
   * The read loop of one stream's followers, while it has any: reads from
   * the lowest follower's position, hands each follower what follows its
   * own, and checks the stream's state before the first read and whenever
   * nothing came. A Redis failure rejects every follower waiting (each asks
   * again).
   */
  async #follow(tail: Tail): Promise<void> {
    const { streamId, stream, followers } = tail;
    const settleAll = (reply: Replay | undefined | Error) => {
      for (const follower of [...followers]) follower.settle(reply);
    };
    /** Followers past their deadline get "still running, ask again". */
    const expire = () => {
      const now = Date.now();
      for (const follower of [...followers]) {
        if (follower.deadline <= now) follower.settle({ streamId, events: [], complete: false });
      }
    };
    try {
      // Before the first read: a writer already gone ends its followers at once, not a read later.
      let check = true;
      while (followers.size > 0) {
        if (check && await this.#checkState(tail) === "stop") break;
        check = true;
        let from = Number.MAX_SAFE_INTEGER;
        let deadline = Number.MAX_SAFE_INTEGER;
        for (const follower of followers) {
          from = Math.min(from, follower.seq);
          deadline = Math.min(deadline, follower.deadline);
        }
        tail.from = from;
        const blockMs = Math.max(1, Math.min(MAX_BLOCK_MS, deadline - Date.now()));
        const entries = await this.#read(stream, from, blockMs, undefined);
        if (followers.size === 0) break;
        if (entries.length > 0) {
          await this.#hand(tail, entries);
          expire();
          check = false;
        }
      }
    } catch (error) {
      settleAll(error instanceof Error ? error : new Error(String(error)));
    } finally {
      if (this.#tails.get(stream) === tail && followers.size === 0) this.#tails.delete(stream);
      else if (this.#tails.get(stream) === tail) void this.#follow(tail); // joined while it ended
    }
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
      const from = Math.min(...[...followers].map((follower) => follower.seq));
      await this.#hand(
        tail,
        entriesOf(await this.#redis.sendCommand(["XRANGE", stream, `(0-${from}`, "+"])),
      );
      return followers.size === 0 ? "stop" : "go";
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

  /**
   * True while the writer recorded on a stream lives: its event-log
   * heartbeat, and (`<log>@<bus>`, a writer whose bus was live) its bus
   * liveness key, which its `close()` deletes at once and which lapses
   * `bus.aliveMs` after a killed process's last refresh. Each is its own
   * key (its own slot on a Cluster): read apart, together.
   */
  async #writerAlive(writer: string): Promise<boolean> {
    if (writer === "") return true;
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

  /** Entries after `0-<seq>`: a blocking read on a pooled connection, or a short poll. */
  async #read(
    stream: string,
    seq: number,
    blockMs: number,
    signal: AbortSignal | undefined,
  ): Promise<StreamEntry[]> {
    const connection = await this.#connections.borrow();
    if (connection === undefined) {
      await sleep(Math.min(POLL_MS, blockMs), signal);
      return entriesOf(
        await this.#redis.sendCommand(["XRANGE", stream, `(0-${seq}`, "+", "COUNT", READ_COUNT]),
      );
    }
    const read = connection.sendCommand([
      "XREAD",
      "COUNT",
      READ_COUNT,
      "BLOCK",
      String(blockMs),
      "STREAMS",
      stream,
      `0-${seq}`,
    ]).then(
      (reply) => {
        this.#connections.release(connection);
        return streamEntriesOf(reply);
      },
      (error) => {
        this.#connections.discard(connection);
        throw error;
      },
    );
    if (signal === undefined) return await read;
    // An abort returns at once; the read finishes within its block time and frees the connection.
    read.catch(() => {});
    return await Promise.race([read, sleep(blockMs + 1_000, signal).then(() => [])]);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
