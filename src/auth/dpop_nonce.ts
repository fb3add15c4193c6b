/**
 * Server-issued DPoP nonces (RFC 9449 §8) without shared state: a nonce is
 * a time slot and the HMAC-SHA-256 of it under a secret every instance
 * holds, so any instance accepts what another issued. A nonce is good for
 * its slot and the next one (between one and two `slotSeconds`), then the
 * client is sent a fresh one. It does not bind a nonce to a client (the
 * proof's key signs it, and jti replays are refused apart).
 * @module
 */

import { encodeBase64Url } from "../protocol/base64.ts";

/** The fewest bytes a nonce secret may have. */
const MIN_SECRET_BYTES = 32;

/** Issues and checks nonces under one secret. */
export class DpopNonces {
  readonly #key: Promise<CryptoKey>;
  readonly #slotMs: number;

  /**
   * Nonces under `secret` (at least 32 bytes), rotating every `slotSeconds`.
   *
   * @example
   * ```ts
   * import { DpopNonces } from "./dpop_nonce.ts";
   * const nonces = new DpopNonces("a shared secret of at least 32 bytes!!", 60);
   * const nonce = await nonces.issue(Date.now());
   * await nonces.accepts(nonce, Date.now()); // true
   * ```
   */
  constructor(secret: string, slotSeconds: number) {
    const bytes = new TextEncoder().encode(secret);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new TypeError(
        `Option oauth.dpop.nonceSecret must have at least ${MIN_SECRET_BYTES} bytes`,
      );
    }
    if (!Number.isSafeInteger(slotSeconds) || slotSeconds < 1) {
      throw new TypeError(
        `Option oauth.dpop.nonceSlotSeconds must be a positive integer, got ${slotSeconds}`,
      );
    }
    this.#slotMs = slotSeconds * 1000;
    this.#key = crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
  }

  /** The nonce of the slot `now` (ms) falls in. */
  async issue(now: number): Promise<string> {
    return await this.#of(Math.floor(now / this.#slotMs));
  }

  /** True for a nonce issued in the current slot or the one before. */
  async accepts(nonce: unknown, now: number): Promise<boolean> {
    if (typeof nonce !== "string") return false;
    const slot = Math.floor(now / this.#slotMs);
    return nonce === await this.#of(slot) || nonce === await this.#of(slot - 1);
  }

  async #of(slot: number): Promise<string> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      new TextEncoder().encode(`dpop-nonce:${slot}`),
    );
    return `${slot.toString(36)}.${encodeBase64Url(new Uint8Array(mac))}`;
  }
}
