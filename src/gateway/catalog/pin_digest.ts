/**
 * The digest a pin holds: SHA-256 (Web Crypto, so Node, Deno, Bun and
 * workerd alike) of the canonical JSON of what an upstream lists for one
 * entry, the fields a model or a user sees and what a client renders or
 * follows (`_meta`, where an MCP Apps UI resource is named, and `icons`).
 * Digests are versioned: `v2:sha256:` covers `_meta` and `icons`; a bare
 * `sha256:` one, written before, does not ({@linkcode legacyPinDigest}
 * recomputes it so pins.ts can carry such a pin over). It reads no
 * upstream and keeps nothing (pins.ts compares digests).
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

/** The listed fields a legacy (`sha256:`) digest of each kind covers. */
const LEGACY_DIGESTED: Record<PinKind, readonly string[]> = {
  tools: ["name", "title", "description", "inputSchema", "outputSchema", "annotations"],
  prompts: ["name", "title", "description", "arguments"],
  resources: ["uri", "name", "title", "description", "mimeType", "annotations"],
  resourceTemplates: ["uriTemplate", "name", "title", "description", "mimeType", "annotations"],
};

/**
 * The listed fields each kind's digest covers: the legacy ones, all of
 * `_meta` (its keys are open: `ui.resourceUri` today, a vendor's UI
 * template key tomorrow, any of which a client may render or fetch) and
 * `icons`. A resource's `size` and a tool's `execution` may change freely.
 */
const DIGESTED: Record<PinKind, readonly string[]> = {
  tools: [...LEGACY_DIGESTED.tools, "_meta", "icons"],
  prompts: [...LEGACY_DIGESTED.prompts, "_meta", "icons"],
  resources: [...LEGACY_DIGESTED.resources, "_meta", "icons"],
  resourceTemplates: [...LEGACY_DIGESTED.resourceTemplates, "_meta", "icons"],
};

/** The prefix of a digest {@linkcode pinDigest} makes. */
const PREFIX = "v2:sha256:";

/**
 * A pin digest as a pin set may hold it: `v2:sha256:<64 hex>`, or a legacy `sha256:<64 hex>`.
 *
 * @example
 * ```ts
 * import { PIN_DIGEST } from "./pin_digest.ts";
 * PIN_DIGEST.test(`v2:sha256:${"0".repeat(64)}`); // true
 * ```
 */
export const PIN_DIGEST: RegExp = /^(?:v2:)?sha256:[0-9a-f]{64}$/;

/**
 * True for a digest written before pins covered `_meta` and `icons` (`sha256:` without `v2:`).
 *
 * @example
 * ```ts
 * import { isLegacyPin } from "./pin_digest.ts";
 * isLegacyPin(`sha256:${"0".repeat(64)}`); // true
 * ```
 */
export function isLegacyPin(digest: string): boolean {
  return digest.startsWith("sha256:");
}

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

/** The hex SHA-256 of the canonical JSON of `entry`'s `fields`. */
async function digestOfFields(
  fields: readonly string[],
  entry: Record<string, unknown>,
): Promise<string> {
  const covered: Record<string, unknown> = {};
  for (const field of fields) covered[field] = entry[field];
  const bytes = new TextEncoder().encode(canonicalJson(covered));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const byte of hash) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * The digest of one listed entry of `kind` (as the upstream lists it: its
 * own name, `inputSchema`, ...): `v2:sha256:` and 64 hex digits of the
 * canonical JSON of the fields a model or a user sees and a client renders
 * or follows. A tool's covers its name, title, description, input and
 * output schemas, annotations, `_meta` (all of it: an MCP Apps UI resource
 * is `_meta.ui.resourceUri`) and icons; a prompt's its name, title,
 * description, arguments, `_meta` and icons; a resource's or template's its
 * URI (template), name, title, description, MIME type, annotations, `_meta`
 * and icons.
 *
 * @example
 * ```ts
 * import { pinDigest } from "@tether/mcp/gateway";
 * const digest = await pinDigest("tools", {
 *   name: "read",
 *   description: "Reads a file",
 *   inputSchema: { type: "object", properties: { path: { type: "string" } } },
 *   _meta: { ui: { resourceUri: "ui://files/viewer.html" } },
 * });
 * digest.startsWith("v2:sha256:"); // true
 * ```
 */
export async function pinDigest(kind: PinKind, entry: Record<string, unknown>): Promise<string> {
  return `${PREFIX}${await digestOfFields(DIGESTED[kind], entry)}`;
}

/**
 * The legacy digest of one listed entry (`sha256:`, without `_meta` and
 * `icons`), to recognise a pin written before those were covered.
 *
 * @example
 * ```ts
 * import { legacyPinDigest } from "./pin_digest.ts";
 * const digest = await legacyPinDigest("tools", { name: "read", _meta: { build: 1 } });
 * digest.startsWith("sha256:"); // true: the same as without `_meta`
 * ```
 */
export async function legacyPinDigest(
  kind: PinKind,
  entry: Record<string, unknown>,
): Promise<string> {
  return `sha256:${await digestOfFields(LEGACY_DIGESTED[kind], entry)}`;
}
