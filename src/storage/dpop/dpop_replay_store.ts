/**
 * The DPoP replay seam: where proofs already used are held, so each is
 * accepted once. The memory implementation is `MemoryDpopReplayStore`
 * (src/auth/dpop_replay.ts); the Redis and Postgres backends have their own.
 * @module
 */

/**
 * Where DPoP proofs already used are held, so each is accepted once (the
 * `oauth.dpop.replayStore` option): `claim` resolves false when `key` is
 * held and not expired, `"share-full"` when `owner` holds its share of
 * live proofs already (nothing is taken; the request is refused `429`),
 * and rejects when the store cannot answer or is full (the request is then
 * refused `503`, never let through). `MemoryDpopReplayStore`
 * (`@tether/mcp/storage`) is per instance; `createRedisBackend`
 * (`@tether/mcp/redis`) and `createPostgresBackend` (`@tether/mcp/postgres`)
 * make one shared by all.
 *
 * @example
 * ```ts
 * import type { DpopReplayStore } from "@tether/mcp/storage";
 * const seen = new Map<string, string>();
 * const store: DpopReplayStore = {
 *   claim: (key, _expiresAt, _now, owner) => {
 *     if (seen.has(key)) return Promise.resolve(false);
 *     const held = [...seen.values()].filter((holder) => holder === owner.key).length;
 *     if (held >= owner.share) return Promise.resolve("share-full");
 *     seen.set(key, owner.key);
 *     return Promise.resolve(true);
 *   },
 * };
 * ```
 */
export interface DpopReplayStore {
  /**
   * Holds `key` for `owner` until `expiresAt` (ms since the epoch): true
   * when taken, false when it is held already, `"share-full"` when `owner`
   * holds `owner.share` live proofs.
   */
  claim(
    key: string,
    expiresAt: number,
    now: number,
    owner: {
      /** The principal's owner key (`ownerKeyOf`). */
      key: string;
      /** The most live proofs it may hold (`maxReplayEntriesPerPrincipal`). */
      share: number;
    },
  ): Promise<boolean | "share-full">;
}
