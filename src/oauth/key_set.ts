/**
 * An issuer's signing keys (its JWKS), fetched once and kept: a token
 * signed with a key not in the set (the issuer rotated its keys) makes one
 * refetch, and then no other for `refetchIntervalMs`, so a stream of tokens
 * with made-up key ids cannot turn into a stream of requests to the
 * issuer. Concurrent refetches share one request. Keys past their age are
 * fetched again; when that fails (the issuer is down) the kept keys go on
 * verifying, and the fetch is tried again only after `refetchIntervalMs`,
 * so an outage neither refuses every token nor makes each request wait on
 * the issuer. It verifies nothing itself (jwt_verifier.ts does, with jose).
 * @module
 */

import { createLocalJWKSet, type JSONWebKeySet } from "jose";
import { fetchJson, type FetchOptions } from "./issuer_metadata.ts";

/** What jose verifies a token against: the keys of one fetch. */
export type KeyResolver = ReturnType<typeof createLocalJWKSet>;

/** Options of {@linkcode KeySet}. */
export interface KeySetOptions extends FetchOptions {
  /** The shortest time between two fetches of the keys, ms. */
  refetchIntervalMs: number;
  /** How long fetched keys are used before they are fetched again, ms. */
  maxAgeMs: number;
  /** The clock, ms. */
  now: () => number;
}

/** The keys at one `jwks_uri` (found lazily through `locate`). */
export class KeySet {
  readonly #locate: () => Promise<string>;
  readonly #options: KeySetOptions;
  #keys: KeyResolver | undefined;
  #fetchedAt = -Infinity;
  /** While the issuer is failing: when to try it again (the kept keys serve until then). */
  #retryAt = -Infinity;
  #fetching: Promise<KeyResolver> | undefined;

  /** Keys at the URL `locate` resolves to (it is asked again after a failed fetch). */
  constructor(locate: () => Promise<string>, options: KeySetOptions) {
    this.#locate = locate;
    this.#options = options;
  }

  /** The keys to verify with: the kept ones while fresh, else a fetch (the kept ones if it fails). */
  current(): Promise<KeyResolver> {
    const now = this.#options.now();
    const kept = this.#keys;
    if (kept === undefined) return this.#fetch();
    if (now - this.#fetchedAt < this.#options.maxAgeMs || now < this.#retryAt) {
      return Promise.resolve(kept);
    }
    return this.#fetch().catch(() => {
      this.#retryAt = now + this.#options.refetchIntervalMs;
      return kept;
    });
  }

  /**
   * New keys for a token whose key was not among them, or undefined when the
   * last fetch was too recent to ask again (the token is then refused).
   */
  refetch(): Promise<KeyResolver> | undefined {
    if (this.#fetching !== undefined) return this.#fetching;
    const now = this.#options.now();
    if (now - this.#fetchedAt < this.#options.refetchIntervalMs || now < this.#retryAt) {
      return undefined;
    }
    return this.#fetch().catch((error) => {
      this.#retryAt = now + this.#options.refetchIntervalMs;
      throw error;
    });
  }

  #fetch(): Promise<KeyResolver> {
    this.#fetching ??= this.#load().finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  async #load(): Promise<KeyResolver> {
    const url = await this.#locate();
    const jwks = await fetchJson(url, this.#options);
    if (jwks === undefined || !Array.isArray(jwks.keys)) {
      throw new Error(`${url} did not answer a JSON Web Key Set`);
    }
    this.#keys = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
    this.#fetchedAt = this.#options.now();
    return this.#keys;
  }
}
