/**
 * What one instance remembers of its own records among sessions' bus holders
 * (bus_holdings.ts): per session, when it last recorded its use in Redis and
 * when it last used the session, so a touch records the use again only once
 * the record is a quarter of the holding bound old, and a release leaves
 * alone a session used here since. Bounded: past {@linkcode REMEMBERED}
 * sessions the oldest records are forgotten (their next touch records again).
 * @module
 */

/** Most sessions remembered. */
export const REMEMBERED = 65_536;

interface Seen {
  /** When the use was last recorded in Redis (ms, `Date.now()`). */
  recorded: number;
  /** When the session was last used here, recorded or not. */
  used: number;
}

/**
 * An instance's records, oldest record first.
 *
 * @example
 * ```ts
 * import { RecordedUses } from "./recorded_uses.ts";
 * const uses = new RecordedUses(30_000);
 * uses.recorded("s", 1_000);
 * uses.due("s", 2_000); // false: recorded a second ago, a quarter bound is 7.5 s
 * uses.usedSince("s", 1_500); // true: the use at 2 s counts, recorded or not
 * ```
 */
export class RecordedUses {
  readonly #boundMs: number;
  readonly #seen = new Map<string, Seen>();

  /** Records for holders dropped after `boundMs` unused. */
  constructor(boundMs: number) {
    this.#boundMs = boundMs;
  }

  /** The use of `sessionId` was recorded in Redis at `at`. */
  recorded(sessionId: string, at: number): void {
    const seen = this.#seen.get(sessionId);
    if (seen !== undefined && seen.recorded >= at) return;
    this.#seen.delete(sessionId); // to the end: the map stays oldest record first
    this.#seen.set(sessionId, { recorded: at, used: Math.max(at, seen?.used ?? at) });
    if (this.#seen.size > REMEMBERED) this.#seen.delete(this.#seen.keys().next().value!);
  }

  /**
   * A use of `sessionId` at `at`: whether it must be recorded (nothing
   * recorded, or the record a quarter bound old), else noted here only.
   */
  due(sessionId: string, at: number): boolean {
    const seen = this.#seen.get(sessionId);
    if (seen === undefined || at - seen.recorded >= this.#boundMs / 4) return true;
    if (seen.used < at) seen.used = at;
    return false;
  }

  /** When the use of `sessionId` was last recorded, if remembered. */
  recordedAt(sessionId: string): number | undefined {
    return this.#seen.get(sessionId)?.recorded;
  }

  /** Whether `sessionId` was used here at or after `since` (as far as remembered). */
  usedSince(sessionId: string, since: number): boolean {
    return (this.#seen.get(sessionId)?.used ?? -Infinity) >= since;
  }

  /** Forgets `sessionId`: its next use is recorded. */
  forget(sessionId: string): void {
    this.#seen.delete(sessionId);
  }
}
