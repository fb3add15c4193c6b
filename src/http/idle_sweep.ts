/**
 * When a Map whose keys come and go forgets its idle ones. A key deleted
 * and inserted again for every request makes V8 rehash the Map's table
 * every few dozen requests, and a long-lived Map's new table is allocated in
 * the old generation: on Deno that was about 50 bytes of old-generation
 * garbage per sessionful call, and a mark-compact every second or two under
 * load (bench/notes/2026-11-24-gap-under-load.md). So an idle key is kept, and
 * the idle ones are forgotten together once the Map knows
 * {@linkcode SWEEP_AT} keys, or twice as many as the last sweep kept: the
 * Map stays bounded by the keys in use and that constant.
 * @module
 */

/** The fewest keys a Map knows before its idle ones are swept. */
export const SWEEP_AT = 1024;

/**
 * The sweep schedule of one Map. Ask {@linkcode IdleSweep.beforeInsert}
 * before inserting a key the Map does not have, and use the Map it returns.
 *
 * @example
 * ```ts
 * import { IdleSweep } from "./idle_sweep.ts";
 * const isIdle = (places: number) => places === 0;
 * const sweep = new IdleSweep();
 * let held = new Map<string, number>();
 * for (let i = 0; i < 5_000; i++) {
 *   held = sweep.beforeInsert(held, isIdle);
 *   held.set(`caller-${i}`, 0); // taken and given back
 * }
 * console.log(held.size <= 1024); // true
 * ```
 */
export class IdleSweep {
  #at = SWEEP_AT;

  /**
   * `map` itself, or, when it knows enough keys, a new Map of its entries
   * that are not idle (a new Map is a young one: deleting from the old would
   * rehash it in the old generation at every halving).
   */
  beforeInsert<K, V>(map: Map<K, V>, isIdle: (value: V) => boolean): Map<K, V> {
    if (map.size < this.#at) return map;
    const kept = new Map<K, V>();
    for (const [key, value] of map) if (!isIdle(value)) kept.set(key, value);
    this.#at = Math.max(SWEEP_AT, kept.size * 2);
    return kept;
  }
}
