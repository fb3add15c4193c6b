/**
 * The copy-and-swap behind the registries' `replace`: a registry's entries
 * without some keys and with others added, built aside, so the registry
 * changes only once all of it was accepted. It validates nothing itself.
 * @module
 */

/**
 * `entries` without the keys `remove`, plus what `add` puts in (throwing to
 * refuse): a new map, `entries` untouched; undefined when nothing changed.
 *
 * @example
 * ```ts ignore (internal: needs a registry's compiled entries)
 * const next = swapped(tools, ["old"], (into) => into.set("new", compiled));
 * if (next !== undefined) tools = next;
 * ```
 */
export function swapped<V>(
  entries: ReadonlyMap<string, V>,
  remove: Iterable<string>,
  add: (into: Map<string, V>) => void,
): Map<string, V> | undefined {
  const next = new Map(entries);
  let removed = false;
  for (const key of remove) removed = next.delete(key) || removed;
  const size = next.size;
  add(next);
  return removed || next.size !== size ? next : undefined;
}

/**
 * True when a definition declares scopes (a registry checks calls once one does).
 *
 * @example
 * ```ts
 * import { declaresScopes } from "./registry_swap.ts";
 * declaresScopes({ scopes: ["files:read"] }); // true
 * ```
 */
export function declaresScopes(definition: { scopes?: readonly string[] }): boolean {
  return definition.scopes !== undefined && definition.scopes.length > 0;
}
