/**
 * Bytes as lower-case hex, and the hex of a WebCrypto digest: the one
 * spelling of both for every room (ids, key names, script hashes, file
 * digests). Ground floor: it imports nothing. It does not hash
 * incrementally nor choose an algorithm for the caller.
 * @module
 */

/**
 * `bytes` as lower-case hex, two digits a byte.
 *
 * @example
 * ```ts
 * import { toHex } from "./hex.ts";
 * toHex(new Uint8Array([0, 171])); // "00ab"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * The hex of `data`'s digest (a string is hashed as its UTF-8 bytes).
 *
 * @example
 * ```ts
 * import { hexDigest } from "./hex.ts";
 * await hexDigest("SHA-256", "abc"); // "ba7816bf…"
 * ```
 */
export async function hexDigest(
  algorithm: "SHA-1" | "SHA-256",
  data: string | Uint8Array,
): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return toHex(
    new Uint8Array(await crypto.subtle.digest(algorithm, bytes as Uint8Array<ArrayBuffer>)),
  );
}
