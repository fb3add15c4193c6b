/**
 * A session's state (`ctx.session`) in the Redis session store: one field
 * of the state hash written by a script on the session's slot, bounded in
 * bytes, and a compare-and-set retried on conflict (the update function is
 * JavaScript and runs here, not in Redis). Reads and deletes of the session
 * are the store's. Internal to the Redis backend.
 * @module
 */

import type { RedisCommands } from "../connection/redis_commands.ts";
import { WRITE_STATE } from "./session_store_scripts.ts";

/** How often a conflicting `updateState` is retried before it gives up. */
const MAX_CAS_ATTEMPTS = 100;

/** One session's record and state keys, and the wait for a replica after a write. */
export interface StateTarget {
  redis: RedisCommands;
  record: string;
  state: string;
  waitForReplica: ((key: string) => Promise<void>) | undefined;
}

/**
 * Writes field `key` (`undefined` deletes), when the field still reads
 * `expected` (unless undefined); false on a conflict, a RangeError past
 * `maxBytes`.
 *
 * @example
 * ```ts ignore (internal: needs a connected Redis client)
 * await writeStateOf(target, "cart", { items: 2 }, 65_536, undefined);
 * ```
 */
export async function writeStateOf(
  target: StateTarget,
  key: string,
  value: unknown,
  maxBytes: number,
  expected: string | undefined,
): Promise<boolean> {
  let json = "";
  if (value !== undefined) {
    const encoded = JSON.stringify(value);
    if (encoded === undefined) {
      throw new TypeError(`Session state value for "${key}" is not JSON-serialisable`);
    }
    json = encoded;
  }
  const result = Number(
    await WRITE_STATE.run(target.redis, [target.record, target.state], [
      key,
      json,
      String(maxBytes),
      expected ?? "",
      expected === undefined ? "0" : "1",
    ]),
  );
  if (result < 0) {
    throw new RangeError(`Session state would grow to ${-result} bytes (limit ${maxBytes})`);
  }
  if (result === 1) await target.waitForReplica?.(target.state);
  return result === 1;
}

/**
 * Replaces field `key` with `update(current)`: a compare-and-set, retried
 * on conflict; the value written (a copy).
 *
 * @example
 * ```ts ignore (internal: needs a connected Redis client)
 * await updateStateOf(target, "count", (n) => Number(n ?? 0) + 1, 65_536);
 * ```
 */
export async function updateStateOf(
  target: StateTarget,
  key: string,
  update: (current: unknown) => unknown,
  maxBytes: number,
): Promise<unknown> {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const raw = await target.redis.sendCommand(["HGET", target.state, key]);
    const current = typeof raw === "string" ? raw : "";
    const next = update(current === "" ? undefined : JSON.parse(current));
    if (await writeStateOf(target, key, next, maxBytes, current)) {
      return next === undefined ? undefined : JSON.parse(JSON.stringify(next));
    }
  }
  throw new Error(
    `Session state "${key}" kept changing during ${MAX_CAS_ATTEMPTS} update attempts`,
  );
}
