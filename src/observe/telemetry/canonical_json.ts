/**
 * Canonical JSON for the audit record: object keys sorted (by UTF-16 code
 * units, as RFC 8785 does), no whitespace, so two argument objects that
 * differ only in key order give the same text and the same digest. Values
 * JSON cannot hold are dropped or nulled as `JSON.stringify` does. It does
 * not normalise numbers beyond what `JSON.stringify` writes.
 * @module
 */

import { hexDigest } from "../../hex.ts";

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

/**
 * `sha256:` and the hex SHA-256 of `value`'s canonical JSON.
 *
 * @example
 * ```ts
 * import { canonicalDigest } from "./canonical_json.ts";
 * const digest = await canonicalDigest({ query: "weather" }); // "sha256:…"
 * ```
 */
export async function canonicalDigest(value: unknown): Promise<string> {
  return `sha256:${await hexDigest("SHA-256", canonicalJson(value))}`;
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
