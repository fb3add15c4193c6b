/**
 * One deep-frozen copy of each distinct client metadata (`capabilities` and
 * `clientInfo` from `initialize`), shared by every session that declared it.
 * A session keeps its client's metadata for its whole life, and most
 * deployments see a handful of client builds: without sharing, 100,000
 * sessions of one client hold 100,000 equal copies of the same few objects.
 * @module
 */

import type { ClientCapabilities, Implementation } from "../../protocol/types.ts";

/** An `initialize`'s client metadata, normalised: what a session keeps, and what the bound measures. */
export interface ClientMetadata {
  /** The client's capabilities (`{}` when it sent no plain object). */
  capabilities: ClientCapabilities;
  /** The client's identity, when it sent a plain object. */
  clientInfo: Implementation | undefined;
}

/** Distinct metadata kept for sharing before the pool starts over (it never grows past this). */
const DEFAULT_CAPACITY = 256;

/**
 * Shares equal client metadata among sessions, keyed by its JSON (the text
 * `initialize` already measures against its size bound). The shared copy is
 * parsed from that text and frozen all the way down, so no session, tool or
 * caller can change what another session's client declared. Bounded: when
 * `capacity` distinct values are held, the pool forgets them all and starts
 * over (the sessions keep their copies), so clients that each send unique
 * metadata cost one copy each, as without a pool, and never grow it.
 *
 * @example
 * ```ts
 * import { ClientMetadataPool } from "./client_metadata_pool.ts";
 * const pool = new ClientMetadataPool();
 * const json = JSON.stringify([{ sampling: {} }, { name: "ide", version: "1.0.0" }]);
 * const a = pool.share(json);
 * const b = pool.share(json);
 * a === b; // true
 * Object.isFrozen(a.capabilities.sampling); // true
 * ```
 */
export class ClientMetadataPool {
  readonly #shared = new Map<string, ClientMetadata>();
  readonly #capacity: number;

  /** A pool that holds at most `capacity` distinct values (256 unless given). */
  constructor(capacity: number = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /** The shared, frozen metadata whose JSON is `json` (`[capabilities, clientInfo or null]`). */
  share(json: string): ClientMetadata {
    const held = this.#shared.get(json);
    if (held !== undefined) return held;
    const [capabilities, clientInfo] = JSON.parse(json) as [
      ClientCapabilities,
      Implementation | null,
    ];
    const metadata: ClientMetadata = deepFreeze({
      capabilities,
      clientInfo: clientInfo ?? undefined,
    });
    if (this.#shared.size >= this.#capacity) this.#shared.clear();
    this.#shared.set(json, metadata);
    return metadata;
  }

  /** Distinct values held now (the tests read it). */
  get size(): number {
    return this.#shared.size;
  }
}

/** The JSON {@linkcode ClientMetadataPool.share} keys `metadata` by. */
export function clientMetadataJson(metadata: ClientMetadata): string {
  return JSON.stringify([metadata.capabilities, metadata.clientInfo ?? null]);
}

/** Freezes `value` and every object and array inside it (JSON data: no cycles). */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
