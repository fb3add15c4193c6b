/**
 * The upkeep of the Redis session store's index. The sweep: reads each bucket of the session
 * index for members whose score (the deadline last seen) has passed, asks
 * each such session on its own slot (EXPIRE) whether it lives on, moves the
 * live ones' scores, and reports the expired ones, each by the one instance
 * whose `ZREM` took it out of its bucket, giving its owner's place back
 * (when its owner's share kept one: owner_index.ts).
 * And the renewal of a touched session's index keys, which the sweep alone
 * might let lapse when it runs late. Neither creates nor touches sessions.
 * Internal to the Redis backend.
 * @module
 */

import type { ExpiredSession, SessionRecord } from "../../storage/sessions/session_store.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import { EXPIRE, KEEP, RESCORE } from "./session_store_scripts.ts";

/** Due sessions one sweep reads per bucket (the rest wait for the next sweep). */
const SWEEP_BATCH = 256;

/** The store's keys and clock, as the sweep needs them. */
export interface SweepTarget {
  redis: RedisCommands;
  /** Every bucket key of the session index. */
  buckets: readonly string[];
  /**
   * The owner-index keys of a session's place, by its meta `x` (`shard`), or
   * every key it may be in when its meta is gone (`known` false).
   */
  owner(ownerKey: string, shard: string, known: boolean): string[];
  /** A session's keys: record, meta, state. */
  keys(id: string): string[];
  /** The key TTL of a session whose deadline is `expiresAt` now. */
  keyTtl(expiresAt: number): number;
}

/**
 * Sweeps every bucket of `target` at `now`; the sessions this call removed.
 *
 * @example
 * ```ts ignore (internal: needs the Redis session store's sweep target)
 * const expired = await sweepIndex(target, Date.now());
 * ```
 */
export async function sweepIndex(target: SweepTarget, now: number): Promise<ExpiredSession[]> {
  const swept = await Promise.all(target.buckets.map((bucket) => sweepBucket(target, bucket, now)));
  return swept.flat();
}

async function sweepBucket(
  target: SweepTarget,
  bucket: string,
  now: number,
): Promise<ExpiredSession[]> {
  const { redis } = target;
  const due = await redis.sendCommand([
    "ZRANGEBYSCORE",
    bucket,
    "-inf",
    String(now),
    "LIMIT",
    "0",
    String(SWEEP_BATCH),
  ]) as string[];
  const expired: ExpiredSession[] = [];
  // A member is "<id> <owner key>", the owner left out when no owner index keeps the session:
  // session ids hold no space.
  for (const member of due ?? []) {
    const space = member.indexOf(" ");
    const id = space < 0 ? member : member.slice(0, space);
    const ownerKey = space < 0 ? "" : member.slice(space + 1);
    const reply = await EXPIRE.run(redis, target.keys(id), [String(now)]) as unknown[];
    const deadline = String(reply[1]);
    const owners = ownerKey === "" ? [] : target.owner(
      ownerKey,
      String(reply[Number(reply[0]) === 1 ? 2 : 3] ?? ""),
      deadline !== "",
    );
    if (Number(reply[0]) === 1) {
      const ttl = String(target.keyTtl(Number(deadline)));
      await RESCORE.run(redis, [bucket], [member, deadline, ttl]);
      await Promise.all(owners.map((owner) => RESCORE.run(redis, [owner], [id, String(now), ttl])));
      continue;
    }
    if (Number(await redis.sendCommand(["ZREM", bucket, member])) !== 1) continue;
    await Promise.all(owners.map((owner) => redis.sendCommand(["ZREM", owner, id])));
    expired.push({
      id,
      expiresAt: deadline === "" ? now : Number(deadline),
      createdAt: createdAtOf(String(reply[2] ?? "")),
    });
  }
  return expired;
}

/**
 * Keeps each index key of `keys` (each its own slot) at least `ttl` ms,
 * when it exists; rejects when Redis does.
 *
 * @example
 * ```ts ignore (internal: needs a connected Redis client)
 * await keepIndex(redis, ["tether:sessions:{0}", "tether:so:{3|user:alice}"], "120000");
 * ```
 */
export async function keepIndex(redis: RedisCommands, keys: string[], ttl: string): Promise<void> {
  await Promise.all(keys.map((key) => KEEP.run(redis, [key], [ttl])));
}

/** The creation time in a stored record's JSON; NaN when it cannot be read (the record was gone). */
function createdAtOf(json: string): number {
  try {
    return Number((JSON.parse(json) as Partial<SessionRecord>).createdAt);
  } catch {
    return NaN;
  }
}
