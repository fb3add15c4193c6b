/**
 * An issuer's signing keys (its JWKS), fetched once and kept: a token
 * signed with a key not in the set (the issuer rotated its keys) makes one
 * refetch, and then no other for `refetchIntervalMs`, so a stream of tokens
 * with made-up key ids costs the issuer at most one request per that
 * interval. Concurrent fetches share one request. Keys past their age are
 * fetched again; when that fails (the issuer is down) the kept keys go on
 * verifying. Every fetch goes through the issuer's gate (issuer_gate.ts):
 * after a failure nothing is asked for `retryIntervalMs`, and an issuer
 * that never answered turns tokens away with a 503 without a request each.
 * It verifies nothing itself (jwt_verifier.ts does, with jose).
 * @module
 */

import { createLocalJWKSet, type JSONWebKeySet } from "jose";
import { fetchJson, type FetchOptions } from "./issuer_metadata.ts";
import type { IssuerGate } from "./issuer_gate.ts";

/** What jose verifies a token against: the keys of one fetch. */
export type KeyResolver = ReturnType<typeof createLocalJWKSet>;

/** Options of {@linkcode KeySet}. */
export interface KeySetOptions extends FetchOptions {
  /** The shortest time between two fetches for an unknown key id, ms. */
  refetchIntervalMs: number;
  /** How long fetched keys are used before they are fetched again, ms. */
  maxAgeMs: number;
  /** The attempts to the issuer (its cooldown after a failure). */
  gate: IssuerGate;
  /** The clock, ms. */
  now: () => number;
}

/** The keys at one `jwks_uri` (found lazily through `locate`). */
export class KeySet {
  readonly #locate: () => Promise<string>;
  readonly #options: KeySetOptions;
  #keys: KeyResolver | undefined;
  /** Where the keys are, once found (found again after a failed fetch). */
  #url: string | undefined;
  #fetchedAt = -Infinity;
  #fetching: Promise<KeyResolver> | undefined;

  /** Keys at the URL `locate` resolves to (it is asked again after a failed fetch). */
  constructor(locate: () => Promise<string>, options: KeySetOptions) {
    this.#locate = locate;
    this.#options = options;
  }

  /**
   * The keys to verify with: the kept ones while fresh, else a fetch (the
   * kept ones if it fails). Without keys, an `IssuerUnavailableError` when
   * the issuer cannot be reached or is resting after a failure.
   */
  current(): Promise<KeyResolver> {
    const now = this.#options.now();
    const kept = this.#keys;
    if (kept === undefined) return this.#fetch();
    if (now - this.#fetchedAt < this.#options.maxAgeMs || this.#options.gate.resting()) {
      return Promise.resolve(kept);
    }
    return this.#fetch().catch(() => kept);
  }

  /**
   * New keys for a token whose key was not among them, or undefined when the
   * last fetch was too recent to ask again (the token is then refused).
   */
  refetch(): Promise<KeyResolver> | undefined {
    if (this.#fetching !== undefined) return this.#fetch();
    if (this.#options.now() - this.#fetchedAt < this.#options.refetchIntervalMs) return undefined;
    // An issuer resting after a failure is not asked; the kept keys decide (the token is refused).
    if (this.#options.gate.resting()) return undefined;
    return this.#fetch();
  }

  /**
   * One fetch through the gate, shared by every caller while it runs; a
   * caller that waited for another's fetch takes its keys.
   */
  #fetch(): Promise<KeyResolver> {
    const asked = this.#options.now();
    return this.#options.gate.attempt(() => {
      if (this.#keys !== undefined && this.#fetchedAt >= asked) return Promise.resolve(this.#keys);
      this.#fetching ??= this.#load().finally(() => {
        this.#fetching = undefined;
      });
      return this.#fetching;
    });
  }

  async #load(): Promise<KeyResolver> {
    const url = this.#url ?? await this.#locate();
    let jwks;
    try {
      jwks = await fetchJson(url, this.#options);
    } catch (error) {
      this.#url = undefined;
      throw error;
    }
    if (jwks === undefined || !Array.isArray(jwks.keys)) {
      this.#url = undefined;
      throw new Error(`${url} did not answer a JSON Web Key Set`);
    }
    this.#url = url;
    this.#keys = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
    this.#fetchedAt = this.#options.now();
    return this.#keys;
  }
}
