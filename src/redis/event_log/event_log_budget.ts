/**
 * The Redis event log's deployment budget (`maxTotalBytes`), kept in budget
 * books: `books`, else `floor(maxTotalBytes / 16 MiB)` of them (1 to 16), each session in
 * one by a hash of its id, each book (`<prefix>eg:{<k>}:*`, one slot) holding
 * its share. After a session script changed bytes, `fit` books the changes
 * (BOOK) and, while the book is over its share, evicts the streams it names
 * (least recently written first, finished before running, each by a script
 * on its own session), then the oldest events of the stream being written.
 * Writes to one book booked while its previous BOOK is in flight wait and
 * are booked together in the next one (one round trip for all of them);
 * each write still resolves only once its changes are booked. Where every
 * key is on one node (one node, Sentinel), `write` runs a session script and
 * its BOOK as one script instead: one round trip per write, no waiting.
 * It runs the session scripts it is given (`write`) but neither writes
 * events nor applies the per-session bounds itself (the session scripts
 * do, exactly). Internal to the Redis backend.
 * @module
 */

import { bookedScript } from "./booked_scripts.ts";
import { BOOK } from "./event_log_scripts.ts";
import { bucketOf, bucketsFor } from "../sessions/key_buckets.ts";
import type { LuaScript } from "../connection/lua_script.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";

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

/** The books of one log's deployment budget. */
export class EventLogBudget {
  readonly #options: EventLogBudgetOptions;
  readonly #books: number;
  readonly #share: string;
  /** Per book with a BOOK in flight: the writes waiting for the next one. */
  readonly #waiting = new Map<number, Waiting[]>();

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
    ]) as unknown[];
    await this.#evict(k, sessionId, streamId, reply.slice(2), String(reply[1]));
    return reply[0];
  }

  /**
   * While BOOK's `reply` (bytes over, victims...) says book `k` is over its
   * share: evicts the victims (at most MAX_ROUNDS rounds), then the oldest
   * events of the stream being written.
   */
  async #evict(
    k: number,
    sessionId: string,
    streamId: string,
    reply: unknown[],
    keepMs: string,
  ): Promise<void> {
    const current = `${sessionId} ${streamId}`;
    const book = (session: string, pending: string[], keep = keepMs) =>
      // never a victim, whichever session the changes are of
      this.#call(k, keep, [current], members(session, pending));
    for (let round = 0; round < MAX_ROUNDS && Number(reply[0]) > 0; round++) {
      const victims = reply.slice(1).map(String);
      if (victims.length === 0) {
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
