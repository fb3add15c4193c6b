/**
 * Live tailing of the Postgres event log (`waitAfter`): the followers of one stream in this
 * process share one read loop: one read (state and events, one statement) from the lowest
 * follower's position, then a pause until a wake-up names the stream (its row id, on the
 * `tether_events` channel), a follower joins, or the poll interval passes, whichever comes
 * first. So a lost notification costs at most one poll interval, and polling-only mode is the
 * same loop without wake-ups. Its reads mark the stream as followed, so its writer sends a wake-up
 * (a write nobody follows sends none). Each follower gets what follows its own position, the end,
 * "still running" at its deadline, nothing when the budget took events after it, and
 * `writerLost` with the requests the stream answers when its writer's heartbeat lapsed.
 *
 * It does not write, nor keep heartbeats (postgres_event_log.ts does).
 * @module
 */

import type { Replay, WaitOptions } from "../../storage/event_log/event_log.ts";
import { requestIdsOf } from "../../storage/event_log/recorded_request_ids.ts";
import type { Wakeups } from "../connection/postgres_wakeups.ts";
import { readStream, type ReadTarget, storedEvents, type StreamRead } from "./event_log_reads.ts";

/** The channel of the event log's wake-ups (payload: a stream's row id). */
export const EVENTS_CHANNEL = "tether_events";

/** One follower waiting in `waitAfter`. */
interface Follower {
  readonly seq: number;
  /** When its wait ends with "still running" (`Date.now()` time: waits are real time). */
  readonly deadline: number;
  settle(reply: Replay | undefined | Error): void;
}

/** The followers of one stream in this process and their shared loop's state. */
interface Tail {
  readonly sessionId: string;
  readonly streamId: string;
  readonly followers: Set<Follower>;
  /** The stream's row id, once read (wake-ups name it). */
  rowId?: string;
  /** Ends the loop's current pause, or the next one at once (a wake-up during a read). */
  wake: () => void;
  /** Ends the pause in progress. */
  resume?: () => void;
  /** Woken since the last read began: the next pause ends at once. */
  woken: boolean;
}

/** What {@linkcode EventLogTails} works with. */
export interface EventLogTailsOptions extends ReadTarget {
  /** Wake-ups, or undefined in polling-only mode. */
  wakeups: Wakeups | undefined;
  pollIntervalMs: number;
  /** The clock of the rows' deadlines (the log's `now`). */
  now: () => number;
}

/** The followers of one Postgres event log's streams in this process. */
export class EventLogTails {
  readonly #options: EventLogTailsOptions;
  /** By `<session>\n<stream>`. */
  readonly #tails = new Map<string, Tail>();
  /** By the stream's row id, for wake-ups. */
  readonly #byRow = new Map<string, Tail>();
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  /** Tails reading with `options`. */
  constructor(options: EventLogTailsOptions) {
    this.#options = options;
  }

  /** Events of the stream after `seq`, or a wait for the next one, the end, or the deadline. */
  wait(
    sessionId: string,
    streamId: string,
    seq: number,
    options: WaitOptions,
  ): Promise<Replay | undefined> {
    // Closed: a rejection, so a follower pauses between its retries instead of asking again at once.
    if (this.#closed) return Promise.reject(new Error("PostgresEventLog: closed"));
    const running: Replay = { streamId, events: [], complete: false };
    const signal = options.signal;
    if (signal?.aborted) return Promise.resolve(running);
    this.#subscribe();
    return new Promise((resolve, reject) => {
      const key = `${sessionId}\n${streamId}`;
      let tail = this.#tails.get(key);
      const settle = (reply: Replay | undefined | Error) => {
        signal?.removeEventListener("abort", stop);
        tail!.followers.delete(follower);
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      };
      const follower: Follower = {
        seq,
        deadline: Date.now() + options.timeoutMs,
        settle,
      };
      const stop = () => settle(running);
      signal?.addEventListener("abort", stop, { once: true });
      if (tail === undefined) {
        const fresh: Tail = {
          sessionId,
          streamId,
          followers: new Set([follower]),
          woken: false,
          wake: () => {
            fresh.woken = true;
            fresh.resume?.();
          },
        };
        tail = fresh;
        this.#tails.set(key, tail);
        void this.#follow(key, tail);
      } else {
        tail.followers.add(follower);
        tail.wake(); // read again from the lowest position, which may be this one
      }
    });
  }

  /** Every follower's wait, and every later one, rejects (the log is closed); the loops stop. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    const closed = new Error("PostgresEventLog: closed");
    for (const tail of this.#tails.values()) {
      for (const follower of [...tail.followers]) follower.settle(closed);
      tail.wake();
    }
  }

  /** Listens to the log's wake-ups (once): a row id wakes its stream's loop, `""` every loop. */
  #subscribe(): void {
    const wakeups = this.#options.wakeups;
    if (wakeups === undefined || this.#unsubscribe !== undefined) return;
    this.#unsubscribe = wakeups.on(EVENTS_CHANNEL, (payload) => {
      if (payload === "") {
        for (const tail of this.#tails.values()) tail.wake();
      } else this.#byRow.get(payload)?.wake();
    });
  }

  /**
   * The read loop of one stream's followers, while it has any. A failed read rejects every
   * follower waiting (each asks again).
   */
  async #follow(key: string, tail: Tail): Promise<void> {
    const { followers } = tail;
    try {
      while (followers.size > 0 && !this.#closed) {
        let from = Number.MAX_SAFE_INTEGER;
        let deadline = Number.MAX_SAFE_INTEGER;
        for (const follower of followers) {
          from = Math.min(from, follower.seq);
          deadline = Math.min(deadline, follower.deadline);
        }
        const now = this.#options.now();
        tail.woken = false;
        // Marked as followed for three poll intervals, renewed once less than two are left:
        // a read comes at least once per interval while the stream has followers here.
        const poll = this.#options.pollIntervalMs;
        const follow = this.#options.wakeups === undefined
          ? undefined
          : { until: now + 3 * poll, renewBefore: now + 2 * poll };
        const read = await readStream(
          this.#options,
          tail.sessionId,
          tail.streamId,
          from,
          now,
          follow,
        );
        if (read === undefined) {
          for (const follower of [...followers]) follower.settle(undefined);
          break;
        }
        if (tail.rowId === undefined) {
          tail.rowId = read.rowId;
          this.#byRow.set(read.rowId, tail);
        }
        this.#hand(tail, read, Date.now());
        if (followers.size === 0) break;
        const left = Math.max(1, deadline - Date.now());
        await this.#pause(tail, Math.min(this.#options.pollIntervalMs, left));
      }
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const follower of [...followers]) follower.settle(failure);
    } finally {
      if (tail.rowId !== undefined && this.#byRow.get(tail.rowId) === tail) {
        this.#byRow.delete(tail.rowId);
      }
      if (this.#tails.get(key) === tail) {
        this.#tails.delete(key);
        // A follower that joined as the loop ended starts a loop of its own.
        if (followers.size > 0 && !this.#closed) {
          this.#tails.set(key, tail);
          if (tail.rowId !== undefined) this.#byRow.set(tail.rowId, tail);
          void this.#follow(key, tail);
        }
      }
    }
  }

  /** Settles each follower `read` (from the lowest position) has an answer for. */
  #hand(tail: Tail, read: StreamRead, now: number): void {
    const { streamId } = tail;
    for (const follower of [...tail.followers]) {
      if (follower.seq > read.lastSeq || follower.seq < read.lost) {
        follower.settle(undefined); // a future id, or events after it were taken by the budget
        continue;
      }
      const start = read.events.findIndex((event) => event.seq > follower.seq);
      const mine = start === -1 ? [] : read.events.slice(start);
      if (mine.length > 0) {
        // Complete only when this reply reaches the stream's last event.
        const complete = read.complete && mine[mine.length - 1].seq === read.lastSeq;
        follower.settle({ streamId, events: storedEvents(streamId, mine), complete });
      } else if (read.complete) {
        follower.settle({ streamId, events: [], complete: true });
      } else if (!read.alive) {
        const requestIds = requestIdsOf(read.requestIds);
        follower.settle({ streamId, events: [], complete: false, writerLost: { requestIds } });
      } else if (follower.deadline <= now) {
        follower.settle({ streamId, events: [], complete: false }); // still running: ask again
      }
    }
  }

  /** Resolves after `ms`, or when the tail is woken (at once when it was during the read). */
  #pause(tail: Tail, ms: number): Promise<void> {
    if (tail.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        tail.resume = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      tail.resume = done;
    });
  }
}
