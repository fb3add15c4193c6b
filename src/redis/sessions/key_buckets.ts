/**
 * Which bucket a session's entry in a deployment-wide book goes to (the
 * session index, the event log's budget books): a stable hash of its id, so
 * the books spread over a Cluster's slots and every instance agrees. Pure.
 * @module
 */

/**
 * The bucket of `id` among `buckets` (FNV-1a of its UTF-16 units).
 *
 * @example
 * ```ts
 * import { bucketOf } from "./key_buckets.ts";
 * bucketOf("session-1", 16); // the same number on every instance, from 0 to 15
 * ```
 */
export function bucketOf(id: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % buckets;
}

/**
 * How many buckets a bound of `bound` keeps: one per `perBucket` of it, from
 * 1 to `max` (one bucket, an exact bound, below twice `perBucket`).
 *
 * @example
 * ```ts
 * import { bucketsFor } from "./key_buckets.ts";
 * bucketsFor(10_000, 1_024, 16); // 9
 * ```
 */
export function bucketsFor(bound: number, perBucket: number, max: number): number {
  if (!Number.isFinite(bound)) return max;
  return Math.max(1, Math.min(max, Math.floor(bound / perBucket)));
}
