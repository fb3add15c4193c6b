/**
 * The Redis event log's deployment budget (`maxTotalBytes`), kept in budget
 * books: `books`, else `floor(maxTotalBytes / 16 MiB)` of them (1 to 16), each session in
 * one by a hash of its id, each book (`<prefix>eg:{<k>}:*`, one slot) holding
 * its share. With `batchBytes` (the default) this instance books in batches:
 * a write runs its session script alone and its changes wait here, merged
 * per stream, until the bytes they add reach `batchBytes` (that write then
 * books them all, one BOOK per book with changes, and evicts) or a second
 * passes (`batchMs`: a timer books them) or the log closes; so the books are off the
 * write path, and the data held exceeds `maxTotalBytes` by at most
 * instances × `batchBytes` (what is not booked yet). With `batchBytes` 0,
 * every write books its own changes before it resolves (`fit`): writes to
 * one book made while its previous BOOK is in flight are booked together in
 * the next one, and where every key is on one node (one node, Sentinel) a
 * session script and its BOOK are one script. Over its share a book names
 * the streams to evict (least recently written first, finished before
 * running, each by a script on its own session), then the oldest events of
 * the stream being written. It runs the session scripts it is given
 * (`write`) but neither writes events nor applies the per-session bounds
 * itself (the session scripts do, exactly). Internal to the Redis backend.
 * @module
 */

import { bookedScript } from "./booked_scripts.ts";
import { BOOK } from "./event_log_scripts.ts";
import { bucketOf, bucketsFor } from "../sessions/key_buckets.ts";
import type { LuaScript } from "../connection/lua_script.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import { unrefTimer } from "../../runtime.ts";

/** Rounds of eviction one write may run before it leaves the rest to the next write. */
const MAX_ROUNDS = 8;

/** What {@linkcode EventLogBudget} works with. */
export interface EventLogBudgetOptions {
  redis: RedisCommands;
  prefix: string;
  maxTotalBytes: number;
  /** Books (default `floor(maxTotalBytes / 16 MiB)`, 1 to 16). */
  books?: number;
  /** Every key on one node (not a Cluster): `write` books in the writing script. */
  singleNode?: boolean;
  ttlSeconds: number;
  /** Seconds a finished stream stays resumable (its keys' TTL once it ends; at most `ttlSeconds`). */
  finishedTtlSeconds: number;
  /** Bytes added by writes not booked yet before a write books them all (0: each write books its own). */
  batchBytes: number;
  /** How long changes wait for their batch to fill before a timer books them, ms. */
  batchMs: number;
  /**
   * Runs the EVICT script on a stream's session (`mode` "victim" or "self",
   * `want` bytes for "self"); its reply (result, the TTL of its keys in ms,
   * then change triples).
   */
  evict(sessionId: string, streamId: string, mode: string, want: string): Promise<unknown[]>;
}

/** One write waiting for its book's next BOOK. */
interface Waiting {
  /** The member being written, `<session> <stream>`. */
  current: string;
  /** Its change triples, members spelled out. */
  triples: string[];
  keepMs: string;
  resolve(reply: unknown[], lead: boolean): void;
  reject(error: unknown): void;
}

/** One stream's changes not booked yet: forgotten first (`x`), then bytes added and last state. */
interface Unbooked {
  forgotten: boolean;
  bytes: number;
  state: string;
}

/** The books of one log's deployment budget. */
export class EventLogBudget {
  readonly #options: EventLogBudgetOptions;
  readonly #books: number;
  readonly #share: string;
  /** Per book with a BOOK in flight: the writes waiting for the next one. */
  readonly #waiting = new Map<number, Waiting[]>();
  /** Batched mode: per book, per member (`<session> <stream>`), the changes not booked yet. */
  #unbooked = new Map<number, Map<string, Unbooked>>();
  /** Bytes the unbooked changes add, and the longest TTL their keys were given, ms. */
  #unbookedBytes = 0;
  #unbookedKeepMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The batches being booked, in order. */
  #booking: Promise<void> = Promise.resolve();

  /** Books for `options.maxTotalBytes`. */
  constructor(options: EventLogBudgetOptions) {
    this.#options = options;
    this.#books = options.books ?? bucketsFor(options.maxTotalBytes, 16 * 1024 * 1024, 16);
    this.#share = String(Math.floor(options.maxTotalBytes / this.#books));
  }

  /** The keys of budget book `k`. */
  #book(k: number): string[] {
    const book = `${this.#options.prefix}eg:{${k}}`;
    return [`${book}:bytes`, `${book}:sizes`, `${book}:f`, `${book}:r`, `${book}:clock`];
  }

  /** One BOOK on book `k`: `triples` booked, `current` never named as victims. */
  #call(k: number, keepMs: string, current: string[], triples: string[]): Promise<unknown[]> {
    return BOOK.run(this.#options.redis, this.#book(k), [
      String(this.#options.ttlSeconds),
      this.#share,
      String(this.#options.finishedTtlSeconds),
      keepMs,
      String(current.length),
      ...current,
      ...triples,
    ]) as Promise<unknown[]>;
  }

  /**
   * Books one write's triples on book `k` now, or, while a BOOK is in flight
   * there, with every write waiting for the next; the BOOK's reply, and
   * whether this write leads its group (booked alone, or first).
   */
  #grouped(
    k: number,
    current: string,
    triples: string[],
    keepMs: string,
  ): Promise<{ reply: unknown[]; lead: boolean }> {
    const waiting = this.#waiting.get(k);
    if (waiting !== undefined) {
      return new Promise((resolve, reject) =>
        waiting.push({
          current,
          triples,
          keepMs,
          resolve: (reply, lead) => resolve({ reply, lead }),
          reject,
        })
      );
    }
    this.#waiting.set(k, []);
    const reply = this.#call(k, keepMs, [current], triples);
    const next = () => this.#next(k);
    reply.then(next, next);
    return reply.then((reply) => ({ reply, lead: true }));
  }

  /** Books the writes that waited on book `k` in one BOOK (or ends its turn when none did). */
  #next(k: number): void {
    const waiting = this.#waiting.get(k)!;
    if (waiting.length === 0) {
      this.#waiting.delete(k);
      return;
    }
    this.#waiting.set(k, []);
    const keepMs = String(Math.max(...waiting.map((w) => Number(w.keepMs))));
    const reply = this.#call(
      k,
      keepMs,
      waiting.map((w) => w.current),
      waiting.flatMap((w) => w.triples),
    );
    reply.then(
      (value) => waiting.forEach((w, i) => w.resolve(value, i === 0)),
      (error) => waiting.forEach((w) => w.reject(error)),
    );
    const next = () => this.#next(k);
    reply.then(next, next);
  }

  /**
   * Books `changes` (triples from a session script) of `sessionId`, written
   * on `streamId` with keys that live `keepMs`, and evicts while the book is
   * over its share. The book's keys live at least `keepMs` from now.
   */
  async fit(sessionId: string, streamId: string, changes: string[], keepMs: string): Promise<void> {
    const k = bucketOf(sessionId, this.#books);
    const current = `${sessionId} ${streamId}`;
    const first = await this.#grouped(k, current, members(sessionId, changes), keepMs);
    let reply = first.reply;
    // The victims named for a group are its first write's to evict; the others look again.
    if (!first.lead && Number(reply[0]) > 0) {
      reply = await this.#call(k, keepMs, [current], []);
    }
    await this.#evict(k, sessionId, streamId, reply, keepMs);
  }

  /**
   * Runs session script `script` on `keys` and `args` (of `sessionId`'s
   * `streamId`) and books its changes with `fit`, or with `singleNode` in the
   * same script (booked_scripts.ts), evicting while the book is over its
   * share; the session script's result, once its changes are booked.
   */
  async write(
    script: LuaScript,
    keys: string[],
    args: string[],
    sessionId: string,
    streamId: string,
  ): Promise<unknown> {
    if (this.#options.batchBytes > 0) {
      const reply = await script.run(this.#options.redis, keys, args) as unknown[];
      const changes = reply.slice(2).map(String);
      if (changes.length > 0) await this.#hold(sessionId, streamId, changes, Number(reply[1]));
      return reply[0];
    }
    if (this.#options.singleNode !== true) {
      const reply = await script.run(this.#options.redis, keys, args) as unknown[];
      const changes = reply.slice(2).map(String);
      if (changes.length > 0) await this.fit(sessionId, streamId, changes, String(reply[1]));
      return reply[0];
    }
    const k = bucketOf(sessionId, this.#books);
    const reply = await bookedScript(script).run(this.#options.redis, [...keys, ...this.#book(k)], [
      String(keys.length),
      String(args.length),
      sessionId,
      ...args,
      String(this.#options.ttlSeconds),
      this.#share,
      String(this.#options.finishedTtlSeconds),
    ]) as unknown[];
    await this.#evict(k, sessionId, streamId, reply.slice(2), String(reply[1]));
    return reply[0];
  }

  /**
   * Batched mode: keeps a write's `changes` (triples of `sessionId`, keys
   * living `keepMs`) unbooked, merged per stream; once the unbooked bytes
   * reach `batchBytes` this write books them all (and evicts, its own stream
   * never a victim) before it resolves; else a timer books them within
   * `batchMs`.
   */
  async #hold(sessionId: string, streamId: string, changes: string[], keepMs: number) {
    const k = bucketOf(sessionId, this.#books);
    let book = this.#unbooked.get(k);
    if (book === undefined) this.#unbooked.set(k, book = new Map());
    for (let i = 0; i < changes.length; i += 3) {
      const member = `${sessionId} ${changes[i]}`;
      const [bytes, state] = [Number(changes[i + 1]), changes[i + 2]];
      if (state === "x") {
        // Forgotten: the book drops it whole (with the bytes it holds), whatever came before.
        book.set(member, { forgotten: true, bytes: 0, state: "" });
        continue;
      }
      const entry = book.get(member);
      if (entry === undefined) book.set(member, { forgotten: false, bytes, state });
      else {
        entry.bytes += bytes;
        if (state !== "") entry.state = state;
      }
      if (bytes > 0) this.#unbookedBytes += bytes;
    }
    this.#unbookedKeepMs = Math.max(this.#unbookedKeepMs, keepMs);
    if (this.#unbookedBytes >= this.#options.batchBytes) {
      await this.flush(sessionId, streamId);
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush().catch(() => {/* kept unbooked: the next booking carries it */});
      }, this.#options.batchMs);
      unrefTimer(this.#timer);
    }
  }

  /**
   * Books every change not booked yet (one BOOK per book with changes) and
   * evicts while a book is over its share; `sessionId`'s `streamId` (the
   * write that filled the batch) is never a victim but loses its own oldest
   * events last. A booking that fails keeps its changes for the next one.
   */
  flush(sessionId?: string, streamId = ""): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const turn = this.#booking.then(() => this.#bookAll(sessionId, streamId));
    this.#booking = turn.catch(() => {});
    return turn;
  }

  async #bookAll(sessionId: string | undefined, streamId: string): Promise<void> {
    const taken = this.#unbooked;
    const keepMs = String(this.#unbookedKeepMs);
    if (taken.size === 0) return;
    this.#unbooked = new Map();
    this.#unbookedBytes = 0;
    this.#unbookedKeepMs = 0;
    const own = sessionId === undefined ? -1 : bucketOf(sessionId, this.#books);
    const failures: unknown[] = [];
    await Promise.all([...taken].map(async ([k, book]) => {
      const triples: string[] = [];
      for (const [member, entry] of book) {
        if (entry.forgotten) triples.push(member, "0", "x");
        if (!entry.forgotten || entry.bytes !== 0 || entry.state !== "") {
          triples.push(member, String(entry.bytes), entry.state);
        }
      }
      const current = k === own ? [`${sessionId} ${streamId}`] : [];
      try {
        const reply = await this.#call(k, keepMs, current, triples);
        await this.#evict(k, k === own ? sessionId : undefined, streamId, reply, keepMs);
      } catch (error) {
        failures.push(error);
        for (const entry of book.values()) this.#unbookedBytes += Math.max(0, entry.bytes);
        if (this.#unbooked.has(k)) this.#restore(k, book);
        else this.#unbooked.set(k, book);
        this.#unbookedKeepMs = Math.max(this.#unbookedKeepMs, Number(keepMs));
      }
    }));
    if (failures.length > 0) throw failures[0];
  }

  /** Puts a failed booking's changes of book `k` back before those made since. */
  #restore(k: number, book: Map<string, Unbooked>): void {
    const since = this.#unbooked.get(k)!;
    for (const [member, later] of since) {
      const earlier = book.get(member);
      if (earlier === undefined) book.set(member, later);
      else if (later.forgotten) book.set(member, later);
      else {
        earlier.bytes += later.bytes;
        if (later.state !== "") earlier.state = later.state;
      }
    }
    this.#unbooked.set(k, book);
  }

  /** Books what is left unbooked and stops the timer (the log closes). */
  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * While BOOK's `reply` (bytes over, victims...) says book `k` is over its
   * share: evicts the victims (at most MAX_ROUNDS rounds), then the oldest
   * events of the stream being written.
   */
  async #evict(
    k: number,
    sessionId: string | undefined,
    streamId: string,
    reply: unknown[],
    keepMs: string,
  ): Promise<void> {
    const current = sessionId === undefined ? [] : [`${sessionId} ${streamId}`];
    const book = (session: string, pending: string[], keep = keepMs) =>
      // never a victim, whichever session the changes are of
      this.#call(k, keep, current, members(session, pending));
    for (let round = 0; round < MAX_ROUNDS && Number(reply[0]) > 0; round++) {
      const victims = reply.slice(1).map(String);
      if (victims.length === 0) {
        // A timer's booking protects no stream: nothing is left to evict.
        if (sessionId === undefined) return;
        // Only the stream being written is left: it keeps its newest event.
        const freed = await this.#options.evict(sessionId, streamId, "self", String(reply[0]));
        await book(sessionId, freed.slice(2).map(String));
        return;
      }
      for (const member of victims) {
        const space = member.indexOf(" ");
        const [session, stream] = [member.slice(0, space), member.slice(space + 1)];
        const freed = await this.#options.evict(session, stream, "victim", "0");
        // A victim's session sits in this same book (the book named it).
        reply = await book(session, freed.slice(2).map(String), String(freed[1]));
        if (Number(reply[0]) <= 0) return;
      }
    }
  }
}

/** Change triples (stream, bytes, state) of `sessionId` with the member spelled out. */
function members(sessionId: string, triples: string[]): string[] {
  const out = triples.slice();
  for (let i = 0; i < out.length; i += 3) out[i] = `${sessionId} ${out[i]}`;
  return out;
}
