/**
 * The digest a pin holds: SHA-256 (Web Crypto, so Node, Deno, Bun and
 * workerd alike) of the canonical JSON of what an upstream lists for one
 * entry, only the fields a model or a user sees. It reads no upstream and
 * keeps nothing (pins.ts compares digests).
 * @module
 */

/**
 * The kinds of entry a pin set may hold: the upstream's tools, prompts,
 * resources (by URI) and resource templates (by URI template).
 *
 * @example
 * ```ts
 * import type { PinKind } from "@tether/mcp/gateway";
 * const kinds: PinKind[] = ["tools", "prompts"];
 * ```
 */
export type PinKind = "tools" | "prompts" | "resources" | "resourceTemplates";

/** The listed fields each kind's digest covers (the rest, `_meta`, `icons`, a resource's `size`, may change freely). */
const DIGESTED: Record<PinKind, readonly string[]> = {
  tools: ["name", "title", "description", "inputSchema", "outputSchema", "annotations"],
  prompts: ["name", "title", "description", "arguments"],
  resources: ["uri", "name", "title", "description", "mimeType", "annotations"],
  resourceTemplates: ["uriTemplate", "name", "title", "description", "mimeType", "annotations"],
};

/** The field an entry of `kind` is known by in its upstream's list (its key in a pin set). */
export const KEY_FIELD: Record<PinKind, string> = {
  tools: "name",
  prompts: "name",
  resources: "uri",
  resourceTemplates: "uriTemplate",
};

/**
 * `value` as JSON with every object's keys sorted (by UTF-16 code units),
 * so two listings that differ only in key order give one text. Fields
 * whose value is `undefined` are left out, as `JSON.stringify` does.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./pin_digest.ts";
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => item === undefined ? "null" : canonicalJson(item)).join(",")}]`;
  }
  if (typeof value === "object" && value !== null) {
    const fields = Object.keys(value).sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) =>
        `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`
      );
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The digest of one listed entry of `kind` (as the upstream lists it: its
 * own name, `inputSchema`, ...): `sha256:` and 64 hex digits of the
 * canonical JSON of the fields a model or a user sees. A tool's covers its
 * name, title, description, input and output schemas and annotations; a
 * prompt's its name, title, description and arguments; a resource's or
 * template's its URI (template), name, title, description, MIME type and
 * annotations.
 *
 * @example
 * ```ts
 * import { pinDigest } from "@tether/mcp/gateway";
 * const digest = await pinDigest("tools", {
 *   name: "read",
 *   description: "Reads a file",
 *   inputSchema: { type: "object", properties: { path: { type: "string" } } },
 * });
 * digest.startsWith("sha256:"); // true
 * ```
 */
export async function pinDigest(kind: PinKind, entry: Record<string, unknown>): Promise<string> {
  const covered: Record<string, unknown> = {};
  for (const field of DIGESTED[kind]) covered[field] = entry[field];
  const bytes = new TextEncoder().encode(canonicalJson(covered));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const byte of hash) hex += byte.toString(16).padStart(2, "0");
  return `sha256:${hex}`;
}
