/**
 * The pin set: its types (upstream → kind → the entry's own name →
 * digest) and {@linkcode parsePinSet}, which checks one read from a file.
 * Checking a catalog against a set is pins.ts's job; computing a digest,
 * pin_digest.ts's.
 * @module
 */

import { PIN_DIGEST, type PinKind } from "./pin_digest.ts";

/**
 * One upstream's pins: per kind, the entry's own name (a resource's URI, a
 * template's URI template) → its {@linkcode pinDigest}.
 *
 * @example
 * ```ts
 * import type { UpstreamPins } from "@tether/mcp/gateway";
 * const pins: UpstreamPins = { tools: { read: `v2:sha256:${"0".repeat(64)}` } };
 * ```
 */
export interface UpstreamPins {
  /** Tools, by the upstream's own name. */
  tools?: Record<string, string>;
  /** Prompts, by the upstream's own name. */
  prompts?: Record<string, string>;
  /** Resources, by URI. */
  resources?: Record<string, string>;
  /** Resource templates, by URI template. */
  resourceTemplates?: Record<string, string>;
}

/**
 * A pin set: upstream name → {@linkcode UpstreamPins}. Plain JSON, so it
 * can live in a file (read it through {@linkcode parsePinSet}).
 *
 * @example
 * ```ts
 * import type { PinSet } from "@tether/mcp/gateway";
 * const set: PinSet = { files: { tools: { read: `v2:sha256:${"0".repeat(64)}` } } };
 * ```
 */
export type PinSet = Record<string, UpstreamPins>;

/**
 * Every kind a pin set may hold.
 *
 * @example
 * ```ts
 * import { KINDS } from "./pin_set.ts";
 * KINDS.includes("tools"); // true
 * ```
 */
export const KINDS: readonly PinKind[] = ["tools", "prompts", "resources", "resourceTemplates"];

/**
 * A name as error messages quote it: JSON, at most 100 characters.
 *
 * @example
 * ```ts
 * import { quoted } from "./pin_set.ts";
 * quoted("read"); // '"read"'
 * ```
 */
export function quoted(name: string): string {
  return JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
}

/**
 * Checks that `value` (a parsed JSON file, say) is a {@linkcode PinSet},
 * and returns a copy; throws a `TypeError` naming the first bad part.
 *
 * @example
 * ```ts
 * import { parsePinSet } from "@tether/mcp/gateway";
 * const set = parsePinSet(JSON.parse(`{"files":{"tools":{"read":"v2:sha256:${"0".repeat(64)}"}}}`));
 * ```
 */
export function parsePinSet(value: unknown): PinSet {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(value)) throw new TypeError("A pin set must be an object of upstreams");
  return Object.fromEntries(
    Object.entries(value).map(([upstream, pins]) => {
      const at = `Pin set: upstream ${quoted(upstream)}`;
      if (!isObject(pins)) throw new TypeError(`${at} must be an object of kinds`);
      return [
        upstream,
        Object.fromEntries(
          Object.entries(pins).map(([kind, table]) => {
            if (!KINDS.includes(kind as PinKind)) {
              throw new TypeError(`${at} has ${quoted(kind)}, not one of ${KINDS.join(", ")}`);
            }
            if (!isObject(table)) {
              throw new TypeError(`${at}: ${kind} must be an object of digests`);
            }
            for (const [name, digest] of Object.entries(table)) {
              if (typeof digest !== "string" || !PIN_DIGEST.test(digest)) {
                throw new TypeError(
                  `${at}: ${kind} ${quoted(name)} is not a v2:sha256:<64 hex> digest`,
                );
              }
            }
            return [kind, { ...table }];
          }),
        ),
      ];
    }),
  );
}
