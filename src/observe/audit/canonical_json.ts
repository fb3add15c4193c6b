/**
 * Canonical JSON for the audit record: object keys sorted (by UTF-16 code
 * units, as RFC 8785 does), no whitespace, so two argument objects that
 * differ only in key order give the same text and the same digest. Values
 * JSON cannot hold are dropped or nulled as `JSON.stringify` does. It does
 * not normalise numbers beyond what `JSON.stringify` writes. The digest is
 * keyed (HMAC-SHA-256): an unkeyed hash of a small argument is found by
 * hashing every candidate.
 * @module
 */

import { toHex } from "../../hex.ts";

/**
 * `value` as canonical JSON (keys sorted at every depth).
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * canonicalJson({ b: 1, a: [true, { d: null, c: "x" }] }); // '{"a":[true,{"c":"x","d":null}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value)) ?? "null";
}

/** A copy of `value` whose objects list their keys in sorted order. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  // Honour toJSON (a Date) before sorting, as JSON.stringify would.
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") return sorted(json.call(value));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = sorted((value as Record<string, unknown>)[key]);
  }
  return out;
}

/** The fewest bytes an arguments-digest key may have: HMAC-SHA-256's output size (RFC 2104). */
export const MIN_DIGEST_KEY_BYTES = 32;

/**
 * `key` (`observe.audit.digestKey`; a string counts as its UTF-8 bytes) as
 * an HMAC-SHA-256 key for {@linkcode keyedDigest}; throws a `TypeError`
 * when it is not a string or bytes of at least {@linkcode MIN_DIGEST_KEY_BYTES}.
 * The check is synchronous (made when the handler is built); the import is not.
 *
 * @example
 * ```ts
 * import { importDigestKey } from "./canonical_json.ts";
 * const key = await importDigestKey("a per-deployment secret of 32 bytes or more");
 * ```
 */
export function importDigestKey(key: string | Uint8Array): Promise<CryptoKey> {
  const bytes = typeof key === "string"
    ? new TextEncoder().encode(key)
    : key instanceof Uint8Array
    ? key.slice()
    : undefined;
  if (bytes === undefined || bytes.length < MIN_DIGEST_KEY_BYTES) {
    throw new TypeError(
      `observe.audit.digestKey must be a string or bytes of at least ${MIN_DIGEST_KEY_BYTES} bytes`,
    );
  }
  return crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

/**
 * `hmac-sha256:` and the hex HMAC-SHA-256 under `key` of `value`'s
 * canonical JSON: equal arguments give equal digests under one key, and
 * without the key a small argument (a PIN) cannot be found by trying them all.
 *
 * @example
 * ```ts
 * import { importDigestKey, keyedDigest } from "./canonical_json.ts";
 * const key = await importDigestKey("a per-deployment secret of 32 bytes or more");
 * const digest = await keyedDigest(key, { query: "weather" }); // "hmac-sha256:…"
 * ```
 */
export async function keyedDigest(key: CryptoKey, value: unknown): Promise<string> {
  const text = new TextEncoder().encode(canonicalJson(value));
  return `hmac-sha256:${toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, text)))}`;
}

/** What stands for a redacted value. */
export const REDACTED = "[redacted]";

/**
 * A redaction policy that records the arguments with the value of every
 * property named in `names` (at any depth, case-insensitive) replaced by
 * `"[redacted]"`.
 *
 * @example
 * ```ts
 * import { createMcpHandler, redactProperties } from "@tether/mcp";
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   tools: [],
 *   observe: { onEvent: console.log, audit: { redact: redactProperties(["password", "apiKey"]) } },
 * });
 * ```
 */
export function redactProperties(
  names: readonly string[],
): (args: Readonly<Record<string, unknown>>) => unknown {
  const hidden = new Set(names.map((name) => name.toLowerCase()));
  const redact = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(redact);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = hidden.has(key.toLowerCase()) ? REDACTED : redact(item);
    }
    return out;
  };
  return redact;
}
