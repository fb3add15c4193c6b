/**
 * Where Redis's clock stands against ours, for fenced writes (lua_script.ts):
 * per master (the one node, the Sentinel's master, each Cluster master), a
 * lower bound of Redis's time minus the local monotonic time, read with
 * `TIME` in a script routed by a key, so a Cluster runs it on that key's
 * master. Redis read its clock somewhere inside the round trip, so the
 * offset taken at the round trip's end is never above the true one: a
 * local deadline plus it is a Redis time at or before the true moment, and a
 * fenced script refuses at or before its caller's deadline passes here.
 * Read again every {@linkcode CLOCK_REFRESH_MS} (clocks drift; a Sentinel
 * failover moves the master) and after a refusal (a Redis clock stepped
 * forward). A Redis clock stepped back between readings loosens the check
 * until the next reading: keep Redis hosts on NTP.
 * @module
 */

import type { RedisCommands } from "./redis_commands.ts";

/** How long one reading of a master's clock is used, ms. */
export const CLOCK_REFRESH_MS = 10_000;

const TIME_SCRIPT = "return redis.call('TIME')";

interface Reading {
  /** Redis's time minus the local time, ms: a lower bound. */
  offsetMs: number;
  /** When it was read, on the local clock. */
  readAt: number;
}

interface Entry {
  startedAt: number;
  reading?: Reading;
  promise: Promise<Reading>;
}

/** Readings of Redis's clocks, one per master, shared by every connection of a backend. */
export class RedisClocks {
  readonly #now: () => number;
  readonly #patienceMs: number;
  #entries = new Map<string, Entry>();

  /**
   * Clocks read on `now` (a monotonic ms clock); a reading still unanswered
   * after `patienceMs` is given up for a new one.
   */
  constructor(patienceMs: number, now: () => number = () => performance.now()) {
    this.#patienceMs = patienceMs;
    this.#now = now;
  }

  /**
   * `localMs` (on the local clock) as a time on the clock of the master at
   * `place`, reading that clock first (through `commands`, routed by `key`)
   * unless it was read in the last {@linkcode CLOCK_REFRESH_MS}.
   */
  async toRedis(
    commands: RedisCommands,
    place: string,
    key: string | undefined,
    localMs: number,
  ): Promise<number> {
    const reading = await this.#reading(commands, place, key);
    return localMs + reading.offsetMs;
  }

  /** Forgets the reading of `place`: the next fenced write there reads the clock again. */
  forget(place: string): void {
    this.#entries.delete(place);
  }

  #reading(commands: RedisCommands, place: string, key: string | undefined): Promise<Reading> {
    const now = this.#now();
    const known = this.#entries.get(place);
    if (known !== undefined) {
      const fresh = known.reading === undefined
        ? now - known.startedAt < this.#patienceMs
        : now - known.reading.readAt < CLOCK_REFRESH_MS;
      if (fresh) return known.promise;
    }
    const entry: Entry = {
      startedAt: now,
      promise: this.#read(commands, key).then(
        (reading) => {
          entry.reading = reading;
          return reading;
        },
        (error) => {
          if (this.#entries.get(place) === entry) this.#entries.delete(place);
          throw error;
        },
      ),
    };
    this.#entries.set(place, entry);
    return entry.promise;
  }

  async #read(commands: RedisCommands, key: string | undefined): Promise<Reading> {
    const reply = await commands.sendCommand(
      key === undefined ? ["TIME"] : ["EVAL", TIME_SCRIPT, "1", key],
    );
    const readAt = this.#now();
    const [seconds, micros] = Array.isArray(reply) ? reply.map(Number) : [];
    if (!Number.isFinite(seconds) || !Number.isFinite(micros)) {
      throw new Error(`Redis answered TIME with ${JSON.stringify(reply)}`);
    }
    return { offsetMs: seconds * 1000 + micros / 1000 - readAt, readAt };
  }
}
