/**
 * Creating a session in the Redis session store (redis_session_store.ts): a
 * place in the owner's index (only when the owner's share is limited, see
 * owner_index.ts), then one in its bucket of the session index, then the
 * session's keys: three round trips on three slots, each giving the places
 * taken back when a later one refuses. The cap is exact up to 2,047 sessions
 * (one bucket); from 2,048 it is kept per bucket (`floor(max / 1024)`
 * buckets, at most 16, each holding `ceil(max / buckets)`).
 * @module
 */

import type { SessionRecord } from "../../storage/sessions/session_store.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import { bucketOf, bucketsFor } from "./key_buckets.ts";
import { NOT_INDEXED, takeOwnerPlace } from "./owner_index.ts";
import { sessionKeysOf } from "./session_keys.ts";
import { CREATE, RESERVE } from "./session_store_scripts.ts";

/** Most buckets of the session index. */
export const MAX_BUCKETS = 16;

/** Sessions of the cap per bucket before another bucket is added. */
const SESSIONS_PER_BUCKET = 1024;

/** "No limit" for a count, sent to Lua as digits (`Infinity` is not a number to `tonumber`). */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * Bucket `k` of the session index under `prefix`.
 *
 * @example
 * ```ts
 * import { bucketKeyOf } from "./session_create.ts";
 * bucketKeyOf("app:", 3); // "app:sessions:{3}"
 * ```
 */
export function bucketKeyOf(prefix: string, k: number | string): string {
  return `${prefix}sessions:{${k}}`;
}

/** Where and how a session is created. */
export interface CreateTarget {
  redis: RedisCommands;
  prefix: string;
  /** Its keys' TTL, ms: sized for its deadline plus the slack, and the grace. */
  ttl: number;
  /** The deadline that TTL is sized for (its meta's `t`). */
  sizedFor: number;
  /** Resolves once a replica has the write of `key` (see RedisSessionStoreWiring). */
  waitForReplica: ((key: string) => Promise<void>) | undefined;
}

/**
 * Inserts `session` unless its owner holds `maxPerOwner` (`"owner-full"`;
 * an unlimited share keeps no owner index) or `maxSessions` are held
 * (false); expired ones count until swept.
 *
 * @example
 * ```ts ignore (internal: RedisSessionStore.create calls it)
 * const created = await createSession(target, record, 10_000, Date.now(), Infinity);
 * ```
 */
export async function createSession(
  target: CreateTarget,
  session: SessionRecord,
  maxSessions: number,
  now: number,
  maxPerOwner: number,
): Promise<boolean | "owner-full"> {
  const { redis, prefix, ttl } = target;
  const { expiresAt: _deadline, ...rest } = session;
  const buckets = bucketsFor(maxSessions, SESSIONS_PER_BUCKET, MAX_BUCKETS);
  const bucket = bucketKeyOf(prefix, bucketOf(session.id, buckets));
  const ownerPlace = Number.isFinite(maxPerOwner)
    ? await takeOwnerPlace(redis, prefix, { ...session, maxPerOwner, now, ttl })
    : null;
  if (ownerPlace === undefined) return "owner-full";
  // A bucket's member names the owner when it is indexed, so the sweep gives the owner's place
  // back even when Redis dropped the session's keys first. Session ids hold no space.
  const member = `${session.id} ${ownerPlace === null ? "" : session.ownerKey}`;
  const keys = sessionKeysOf(prefix, session.id);
  let created = false;
  try {
    const place = Number(
      await RESERVE.run(redis, [bucket], [
        String(Math.min(Math.ceil(maxSessions / buckets), MAX_COUNT)),
        member,
        String(session.expiresAt),
        String(ttl),
      ]),
    );
    if (place !== 1) return false;
    try {
      created = Number(
        await CREATE.run(redis, keys.slice(0, 2), [
          JSON.stringify(rest),
          String(session.expiresAt),
          String(bucketOf(session.id, buckets)),
          session.ownerKey,
          String(ttl),
          ownerPlace === null ? NOT_INDEXED : ownerPlace.shard,
          String(target.sizedFor),
        ]),
      ) === 1;
    } finally {
      if (!created) await redis.sendCommand(["ZREM", bucket, member]);
    }
    if (created) await target.waitForReplica?.(keys[0]);
    return created;
  } finally {
    if (!created && ownerPlace?.taken === true) {
      await redis.sendCommand(["ZREM", ownerPlace.key, session.id]);
    }
  }
}
