/**
 * Which sessions one instance of the owner-addressed Redis bus holds
 * (redis_bus.ts), kept bounded: a session's holders (`<prefix>bh:{<id>}`,
 * scored by last use) lose, at every read-and-touch of the session, each
 * instance that has not used it for the holding bound (`2 × aliveMs`), so a
 * session served round-robin by many instances keeps only the recent ones.
 * An instance that holds something of a session longer than that (a long
 * call, an open stream, an awaited reply) records its use again while it
 * does (`refresh`, with the liveness: once per `aliveMs` or so), so its
 * cancels, replies and notifications still come here. It does not decide
 * what is held (the handler's delivery answers that: `watch`), nor deliver.
 * @module
 */

import { KEEP_HOLDING, RELEASE } from "./bus_scripts.ts";
import { holdersKeyOf } from "./bus_scripts.ts";
import { RecordedUses } from "./recorded_uses.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";

/**
 * What the session store's read-and-touch records as a holder of the
 * session it touches ({@linkcode RedisBus} is one): the bus instance, the
 * bound past which a holder unused is dropped, and the note of each use.
 *
 * @example
 * ```ts
 * import type { SessionHolder } from "./bus_holdings.ts";
 * const holder: SessionHolder = {
 *   instanceId: "a",
 *   holdingMs: 30_000,
 *   due: () => true,
 *   used: () => {},
 * };
 * ```
 */
export interface SessionHolder {
  /** The bus instance recorded (`RedisBus`'s `instanceId`). */
  readonly instanceId: string;
  /** A touch drops the holders that have not used the session this long, ms. */
  readonly holdingMs: number;
  /**
   * Whether a touch of `sessionId` at `at` (ms, `Date.now()`) must record
   * `instanceId` again: not recorded in the last quarter of `holdingMs`, or
   * released since. A use not recorded leaves the record at most that much
   * older than the use, well inside the bound.
   */
  due(sessionId: string, at: number): boolean;
  /** The touch recorded `instanceId` as using `sessionId` at `at` (ms, `Date.now()`). */
  used(sessionId: string, at: number): void;
}

/** Answers whether this process holds something of a session (work, a stream, an awaited reply). */
export type HoldsSession = (sessionId: string) => boolean;

/** The holdings of one bus instance. */
export class BusHoldings {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #instanceId: string;
  readonly #boundMs: number;
  /** Sessions recorded as used here, and when last (this clock), while something is watched. */
  readonly #used = new Map<string, number>();
  /** This instance's records in Redis, and its uses not recorded. */
  readonly #recorded: RecordedUses;
  readonly #watchers = new Set<HoldsSession>();

  /** The holdings of `instanceId`, dropped by a touch after `boundMs` unused. */
  constructor(redis: RedisCommands, prefix: string, instanceId: string, boundMs: number) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#instanceId = instanceId;
    this.#boundMs = boundMs;
    this.#recorded = new RecordedUses(boundMs);
  }

  /**
   * A session's use recorded in Redis at `at` (by the store's touch, or
   * `hold`); noted only while something answers what is held (`watch`):
   * nothing else can keep a session held, so nothing else is kept here.
   */
  used(sessionId: string, at: number): void {
    this.#recorded.recorded(sessionId, at);
    if (this.#watchers.size === 0) return;
    if ((this.#used.get(sessionId) ?? -Infinity) < at) this.#used.set(sessionId, at);
  }

  /** Whether a touch at `at` must record this use of `sessionId` (see SessionHolder.due). */
  due(sessionId: string, at: number): boolean {
    if (this.#recorded.due(sessionId, at)) return true;
    // Not recorded again: the record kept is the one `refresh` renews while this is held.
    if (this.#watchers.size > 0 && !this.#used.has(sessionId)) {
      this.#used.set(sessionId, this.#recorded.recordedAt(sessionId)!);
    }
    return false;
  }

  /** Asks `holds` which sessions this process still holds, until the function returned is called. */
  watch(holds: HoldsSession): () => void {
    this.#watchers.add(holds);
    return () => {
      this.#watchers.delete(holds);
      if (this.#watchers.size === 0) this.#used.clear();
    };
  }

  /** Records this instance as using `sessionId` now, the holders' key living `ttlMs`. */
  async hold(sessionId: string, ttlMs: number): Promise<void> {
    const key = holdersKeyOf(this.#prefix, sessionId);
    const now = Date.now();
    await this.#redis.sendCommand(["ZADD", key, String(now), this.#instanceId]);
    await this.#redis.sendCommand(["PEXPIRE", key, String(Math.ceil(ttlMs))]);
    this.used(sessionId, now);
  }

  /** Leaves the session's holders unless it was used here at or after `unusedSince`. */
  async release(sessionId: string, unusedSince: number): Promise<void> {
    // A use since, recorded in Redis or not (a touch within a quarter bound), keeps it a holder.
    if (this.#recorded.usedSince(sessionId, unusedSince)) return;
    if ((this.#used.get(sessionId) ?? -Infinity) < unusedSince) this.#used.delete(sessionId);
    // The release may remove this instance's record: the next touch records it again.
    this.#recorded.forget(sessionId);
    await RELEASE.run(this.#redis, [holdersKeyOf(this.#prefix, sessionId)], [
      this.#instanceId,
      String(unusedSince),
    ]);
  }

  /**
   * Records again the use of each session this process still holds whose
   * record is half the bound old (one script each), and forgets those it
   * holds nothing of (a touch drops them from Redis); run with the liveness.
   */
  refresh(now: number = Date.now()): Promise<unknown>[] {
    const sent: Promise<unknown>[] = [];
    for (const [sessionId, at] of this.#used) {
      if (now - at < this.#boundMs / 2) continue;
      if (!this.#holds(sessionId)) {
        this.#used.delete(sessionId); // only a new request (a touch) makes it held again
        continue;
      }
      const key = holdersKeyOf(this.#prefix, sessionId);
      sent.push(
        KEEP_HOLDING.run(this.#redis, [key], [this.#instanceId, String(now)]).then((kept) => {
          if (Number(kept) === 1) this.used(sessionId, now);
          else {
            this.#used.delete(sessionId); // the session ended or expired
            this.#recorded.forget(sessionId);
          }
        }),
      );
    }
    return sent;
  }

  #holds(sessionId: string): boolean {
    for (const holds of this.#watchers) if (holds(sessionId)) return true;
    return false;
  }
}
