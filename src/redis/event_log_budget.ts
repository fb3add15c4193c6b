/**
 * The Redis event log's deployment budget (`maxTotalBytes`), kept in budget
 * books: `floor(maxTotalBytes / 16 MiB)` of them (1 to 16), each session in
 * one by a hash of its id, each book (`<prefix>eg:{<k>}:*`, one slot) holding
 * its share. After a session script changed bytes, `fit` books the changes
 * (BOOK) and, while the book is over its share, evicts the streams it names
 * (least recently written first, finished before running, each by a script
 * on its own session), then the oldest events of the stream being written.
 * It neither writes events nor applies the per-session bounds (the session
 * scripts do, exactly). Internal to the Redis backend.
 * @module
 */

import { BOOK } from "./event_log_scripts.ts";
import { bucketOf, bucketsFor } from "./key_buckets.ts";
import type { RedisCommands } from "./redis_commands.ts";

/** Rounds of eviction one write may run before it leaves the rest to the next write. */
const MAX_ROUNDS = 8;

/** What {@linkcode EventLogBudget} works with. */
export interface EventLogBudgetOptions {
  redis: RedisCommands;
  prefix: string;
  maxTotalBytes: number;
  ttlSeconds: number;
  /**
   * Runs the EVICT script on a stream's session (`mode` "victim" or "self",
   * `want` bytes for "self"); its reply (result, the TTL of its keys in ms,
   * then change triples).
   */
  evict(sessionId: string, streamId: string, mode: string, want: string): Promise<unknown[]>;
}

/** The books of one log's deployment budget. */
export class EventLogBudget {
  readonly #options: EventLogBudgetOptions;
  readonly #books: number;
  readonly #share: string;

  /** Books for `options.maxTotalBytes`. */
  constructor(options: EventLogBudgetOptions) {
    this.#options = options;
    this.#books = bucketsFor(options.maxTotalBytes, 16 * 1024 * 1024, 16);
    this.#share = String(Math.floor(options.maxTotalBytes / this.#books));
  }

  /** The keys of the budget book of `sessionId`. */
  #book(sessionId: string): string[] {
    const book = `${this.#options.prefix}eg:{${bucketOf(sessionId, this.#books)}}`;
    return [`${book}:bytes`, `${book}:sizes`, `${book}:f`, `${book}:r`, `${book}:clock`];
  }

  /**
   * Books `changes` (triples from a session script) of `sessionId`, written
   * on `streamId` with keys that live `keepMs`, and evicts while the book is
   * over its share. The book's keys live at least `keepMs` from now.
   */
  async fit(sessionId: string, streamId: string, changes: string[], keepMs: string): Promise<void> {
    const current = `${sessionId} ${streamId}`;
    const book = (session: string, pending: string[], keep = keepMs) =>
      BOOK.run(this.#options.redis, this.#book(session), [
        String(this.#options.ttlSeconds),
        this.#share,
        session,
        current, // never a victim, whichever session the changes are of
        keep,
        ...pending,
      ]) as Promise<unknown[]>;
    let reply = await book(sessionId, changes);
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
