/**
 * Base64 encoding of bytes without Node's Buffer, so it runs on every runtime.
 * @module
 */

const CHUNK = 0x8000;

/**
 * Encodes bytes as standard base64.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * encodeBase64(new Uint8Array([104, 105])); // "aGk="
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5), for tokens and
 * ids that travel in headers and URLs.
 *
 * @example
 * ```ts
 * import { encodeBase64Url } from "./base64.ts";
 * encodeBase64Url(new Uint8Array([0xfb, 0xff])); // "-_8"
 * ```
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url; undefined unless `text` is the canonical
 * encoding of some bytes (what {@linkcode encodeBase64Url} makes of them).
 *
 * @example
 * ```ts
 * import { decodeBase64Url } from "./base64.ts";
 * decodeBase64Url("-_8"); // Uint8Array [0xfb, 0xff]
 * decodeBase64Url("-_9"); // undefined: not canonical
 * ```
 */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  try {
    const binary = atob(
      text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4),
    );
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    // Only the canonical encoding of these bytes is accepted.
    return encodeBase64Url(bytes) === text ? bytes : undefined;
  } catch {
    return undefined;
  }
}
