/**
 * Where each definition the gateway made came from: its upstream and the
 * name (and URI) it lists there, the entry as listed, and the listing it
 * was read in, kept beside the definition (weakly: the definitions own
 * nothing of it). Views decide by the origin, pins digest the listed entry,
 * a reread that changed nothing is told by the listing. It neither reads
 * upstreams nor makes definitions (read_catalog.ts does both).
 * @module
 */

/** What each list read was, as the upstream listed it (JSON), by the definitions array made of it. */
const listings = new WeakMap<readonly object[], string>();

/** The entry as the upstream listed it, by the definition made of it (pins.ts digests it). */
const listedEntries = new WeakMap<object, Record<string, unknown>>();

/**
 * `list`, remembered as made from `raw`, entry by entry (see {@linkcode sameListing}).
 *
 * @example
 * ```ts ignore (internal: read_catalog.ts calls it on each list it makes)
 * const tools = madeFrom(listed.map(toDefinition), listed);
 * ```
 */
export function madeFrom<T extends object>(list: T[], raw: readonly object[]): T[] {
  listings.set(list, JSON.stringify(raw));
  list.forEach((definition, index) =>
    listedEntries.set(definition, raw[index] as Record<string, unknown>)
  );
  return list;
}

/**
 * The entry `definition` was made of, as its upstream listed it (its own name, not namespaced).
 *
 * @example
 * ```ts ignore (internal: needs a definition read_catalog.ts made)
 * const entry = listedEntry(catalog.tools[0]); // { name: "read", inputSchema: … }
 * ```
 */
export function listedEntry(definition: object): Record<string, unknown> | undefined {
  return listedEntries.get(definition);
}

/**
 * `list`, a part of `source`, counted as read from `source`'s listing (a filter of it that depends on nothing else).
 *
 * @example
 * ```ts ignore (internal: needs a list read_catalog.ts made)
 * const kept = sameListingAs(tools.filter((tool) => !hidden.has(tool)), tools);
 * ```
 */
export function sameListingAs<T extends object>(list: T[], source: readonly object[]): T[] {
  const listing = listings.get(source);
  if (listing !== undefined) listings.set(list, listing);
  return list;
}

/**
 * True when `a` and `b` were read from identical upstream listings (a reread that changed nothing).
 *
 * @example
 * ```ts ignore (internal: needs two lists read_catalog.ts made)
 * if (sameListing(served.tools, fresh.tools)) return; // nothing to swap
 * ```
 */
export function sameListing(
  a: readonly object[] | undefined,
  b: readonly object[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  const listing = listings.get(a);
  return listing !== undefined && listing === listings.get(b);
}

/**
 * Where a served definition came from: its upstream and the name it lists
 * there (a resource's and a template's also its URI or URI template).
 *
 * @example
 * ```ts ignore (internal: views.ts reads it through originOf)
 * const origin: EntryOrigin = { upstream: "files", name: "readme", uri: "files://readme" };
 * ```
 */
export interface EntryOrigin {
  /** The upstream's name. */
  upstream: string;
  /** The entry's name as the upstream lists it. */
  name: string;
  /** A resource's URI, a template's URI template. */
  uri?: string;
}

/** The origin of each definition made here (views.ts decides by it). */
const origins = new WeakMap<object, EntryOrigin>();

/**
 * Where `definition` came from; undefined for one the gateway did not make.
 *
 * @example
 * ```ts ignore (internal: needs a definition read_catalog.ts made)
 * originOf(catalog.tools[0]); // { upstream: "files", name: "read" }
 * ```
 */
export function originOf(definition: object): EntryOrigin | undefined {
  return origins.get(definition);
}

/**
 * `definition`, remembered as made from `origin` (see {@linkcode originOf}).
 *
 * @example
 * ```ts ignore (internal: read_catalog.ts calls it on each definition it makes)
 * const tool = madeOf({ name: "files_read", input, handler }, { upstream: "files", name: "read" });
 * ```
 */
export function madeOf<T extends object>(definition: T, origin: EntryOrigin): T {
  origins.set(definition, origin);
  return definition;
}
