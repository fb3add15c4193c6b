/**
 * How a 2026-07-28 request says so: the reserved `_meta` keys of its
 * envelope, and the claim check the door classifies a POST by. Both the
 * door (src/entry/) and the 2026-07-28 era read it; the era checks the
 * rest of the envelope (src/modern/requests/envelope.ts).
 * @module
 */

import { asPlainObject } from "./messages.ts";

/**
 * The reserved `_meta` keys of the 2026-07-28 envelope.
 *
 * @example
 * ```ts
 * import { ENVELOPE_KEYS } from "./modern_claim.ts";
 * const meta = { [ENVELOPE_KEYS.protocolVersion]: "2026-07-28" };
 * ```
 */
export const ENVELOPE_KEYS = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  logLevel: "io.modelcontextprotocol/logLevel",
} as const;

/**
 * True when a parsed body claims the 2026-07-28 era: its `params._meta` has
 * the protocol-version key, whatever its value (a malformed claim is still
 * a modern request, answered with a modern error).
 *
 * @example
 * ```ts
 * import { hasModernClaim } from "./modern_claim.ts";
 * hasModernClaim({ params: { _meta: { "io.modelcontextprotocol/protocolVersion": "x" } } }); // true
 * ```
 */
export function hasModernClaim(message: unknown): boolean {
  const meta = asPlainObject(asPlainObject(asPlainObject(message)?.params)?._meta);
  return meta !== undefined && Object.hasOwn(meta, ENVELOPE_KEYS.protocolVersion);
}
