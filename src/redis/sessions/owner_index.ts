/**
 * The owner index of the Redis session store: each owner's sessions, kept
 * only for the share per principal (`maxPerOwner`). When the share is
 * unlimited there is none (no key, no command: anonymous traffic without
 * authentication puts nothing on one slot). When it is limited, the owner's
 * sessions are spread over up to 16 shards, `<prefix>so:{<k>|<owner>}`
 * (each its own slot), one per 64 places of the share (one shard, exact
 * and simplest, below 128), the share split among them exactly: a create
 * takes a place in the shard its id hashes to, or in the next one with
 * room, each take one atomic script on one shard. So the share is never
 * passed (the quotas sum to it), a create is refused only when every shard
 * was full as it asked, and a principal at its share costs one script per
 * shard per refused create. Which shard a session took is in its meta
 * (`x`: the shard, or `n` for none); sessions made by an earlier version
 * (no `x`) are in `<prefix>so:{<owner>}`, given back there. Names and
 * places only; the store chains the calls.
 * @module
 */

import type { RedisCommands } from "../connection/redis_commands.ts";
import { bucketOf, bucketsFor } from "./key_buckets.ts";
import { RESERVE } from "./session_store_scripts.ts";

/** Most shards of one owner's index, and places of the share per shard before another is added. */
export const MAX_OWNER_SHARDS = 16;
const PLACES_PER_SHARD = 64;

/** Meta `x` of a session kept in no owner index (its owner's share is unlimited). */
export const NOT_INDEXED = "n";

/**
 * How many shards an owner's index takes for a share of `maxPerOwner`: 0
 * when unlimited (no index).
 *
 * @example
 * ```ts
 * import { ownerShardsFor } from "./owner_index.ts";
 * ownerShardsFor(Infinity); // 0
 * ownerShardsFor(625); // 9
 * ```
 */
export function ownerShardsFor(maxPerOwner: number): number {
  if (!Number.isFinite(maxPerOwner)) return 0;
  return bucketsFor(maxPerOwner, PLACES_PER_SHARD, MAX_OWNER_SHARDS);
}

/**
 * The places of shard `k` of `shards` for a share of `max`: the share split
 * exactly (the first `max % shards` shards take one more).
 *
 * @example
 * ```ts
 * import { shardQuota } from "./owner_index.ts";
 * shardQuota(625, 9, 0); // 70
 * shardQuota(625, 9, 8); // 69
 * ```
 */
export function shardQuota(max: number, shards: number, k: number): number {
  return Math.floor(max / shards) + (k < max % shards ? 1 : 0);
}

/**
 * The owner-index keys a session's place is in, by its meta `x` (`shard`:
 * digits, {@linkcode NOT_INDEXED}, or "" for a session of an earlier
 * version), or, when its meta is gone (`known` false), every key it may be in.
 *
 * @example
 * ```ts
 * import { ownerIndexKeys } from "./owner_index.ts";
 * ownerIndexKeys("app:", "user:alice", "3", true); // ["app:so:{3|user:alice}"]
 * ```
 */
export function ownerIndexKeys(
  prefix: string,
  ownerKey: string,
  shard: string,
  known: boolean,
): string[] {
  if (!known) {
    return [
      `${prefix}so:{${ownerKey}}`,
      ...Array.from({ length: MAX_OWNER_SHARDS }, (_, k) => shardKey(prefix, ownerKey, k)),
    ];
  }
  if (shard === NOT_INDEXED) return [];
  return [shard === "" ? `${prefix}so:{${ownerKey}}` : shardKey(prefix, ownerKey, Number(shard))];
}

/** Shard `k` of an owner's index: the shard first in the hash tag, so shards spread over slots. */
function shardKey(prefix: string, ownerKey: string, k: number): string {
  return `${prefix}so:{${k}|${ownerKey}}`;
}

/** A place taken in an owner's index: its key, its shard (meta `x`), and whether this create took it. */
export interface OwnerPlace {
  key: string;
  shard: string;
  taken: boolean;
}

/**
 * Takes a place for session `id` of `ownerKey` in its owner's index, for a
 * share of `maxPerOwner` (finite), the key kept `ttl` ms: the shard its id
 * hashes to first, then the next ones; undefined when every one is full.
 *
 * @example
 * ```ts ignore (internal: needs a connected Redis client)
 * const place = await takeOwnerPlace(redis, "app:", "s1", "user:alice", 32, Date.now(), 60_000);
 * ```
 */
export async function takeOwnerPlace(
  redis: RedisCommands,
  prefix: string,
  place: { id: string; ownerKey: string; maxPerOwner: number; now: number; ttl: number },
): Promise<OwnerPlace | undefined> {
  const { id, ownerKey, maxPerOwner, now, ttl } = place;
  const shards = ownerShardsFor(maxPerOwner);
  const first = bucketOf(id, shards);
  for (let i = 0; i < shards; i++) {
    const k = (first + i) % shards;
    const key = shardKey(prefix, ownerKey, k);
    const quota = shardQuota(maxPerOwner, shards, k);
    const args = [quota, id, now, ttl].map(String);
    const taken = Number(await RESERVE.run(redis, [key], args));
    if (taken !== 0) return { key, shard: String(k), taken: taken === 1 };
  }
  return undefined;
}
