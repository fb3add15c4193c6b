/**
 * Where the requests without a session run (2026-07-28, and 2025 calls
 * served without sessions), for the owner-addressed Redis bus
 * (redis_bus.ts): a request that outlives a short grace records its
 * instance under `<prefix>rq:{<owner>|<id>}` (a set, TTL `4 × aliveMs`,
 * refreshed with the instance's liveness while it runs), so a
 * `stateless-cancel` goes only there: O(1) in the number of instances. A
 * cancellation that finds no instance leaves a mark for `CANCEL_MARK_MS`,
 * and a request that would be recorded under a mark is cancelled instead.
 * It does not deliver messages (the bus does), nor decide when a request
 * has run long enough (the caller does).
 * @module
 */

import { type RequestId, requestIdKey } from "../../jsonrpc/messages.ts";
import { LOCATE, requestKeysOf, TRACK } from "./bus_scripts.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";

/**
 * How long a `stateless-cancel` that found no instance running its request
 * is remembered, ms: a request that outlives its grace (200–300 ms, more on
 * a stalled event loop) within it is cancelled as it would be recorded. A
 * new request of the same owner reusing that id within it, and running past
 * its grace, is cancelled too (callers sharing the anonymous principal are
 * one owner): kept short.
 */
export const CANCEL_MARK_MS = 2_000;

/** The running-request records of one bus instance. */
export class BusRequests {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #instanceId: string;
  readonly #ttlMs: string;
  /** The keys this instance recorded itself in, for the refresh. */
  readonly #tracked = new Set<string>();

  /** Records of instance `instanceId`, living `ttlMs` past each refresh. */
  constructor(redis: RedisCommands, prefix: string, instanceId: string, ttlMs: number) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#instanceId = instanceId;
    this.#ttlMs = String(ttlMs);
  }

  /** Records this instance as running the request; false (nothing recorded) under a mark. */
  async track(ownerKey: string, requestId: RequestId): Promise<boolean> {
    const keys = requestKeysOf(this.#prefix, ownerKey, requestIdKey(requestId));
    const recorded = await TRACK.run(this.#redis, keys, [this.#instanceId, this.#ttlMs]);
    if (Number(recorded) !== 1) return false;
    this.#tracked.add(keys[0]);
    return true;
  }

  /** The request is done here. */
  async untrack(ownerKey: string, requestId: RequestId): Promise<void> {
    const [running] = requestKeysOf(this.#prefix, ownerKey, requestIdKey(requestId));
    this.#tracked.delete(running);
    await this.#redis.sendCommand(["SREM", running, this.#instanceId]);
  }

  /** The instances running the request; none leaves a cancellation mark. */
  async locate(ownerKey: string, requestId: RequestId): Promise<string[]> {
    const keys = requestKeysOf(this.#prefix, ownerKey, requestIdKey(requestId));
    const found = await LOCATE.run(this.#redis, keys, [String(CANCEL_MARK_MS)]);
    return Array.isArray(found) ? found.map(String) : [];
  }

  /** Keeps this instance's records from expiring while their requests run (one command each). */
  refresh(): Promise<unknown>[] {
    return [...this.#tracked].map((key) => this.#redis.sendCommand(["PEXPIRE", key, this.#ttlMs]));
  }
}
