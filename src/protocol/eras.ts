/**
 * The two protocol eras tether serves on one endpoint, with their version
 * lists kept apart: the legacy (sessionful) revisions are negotiated by
 * `initialize`, the modern (stateless) ones are named on every request. A
 * modern version string can never reach a 2025 `initialize` answer, and
 * `server/discover` never lists a legacy one.
 * @module
 */

import { SUPPORTED_PROTOCOL_VERSIONS } from "./versions.ts";

/** `legacy`: 2025-03-26 … 2025-11-25, sessions; `modern`: 2026-07-28 and later, stateless. */
export type ProtocolEra = "legacy" | "modern";

/** The first modern revision. Revisions are ISO dates, so string order is time order. */
export const FIRST_MODERN_PROTOCOL_VERSION = "2026-07-28";

/** Modern revisions tether serves, newest first. */
export const SUPPORTED_MODERN_PROTOCOL_VERSIONS: readonly string[] = [
  FIRST_MODERN_PROTOCOL_VERSION,
];

/** Legacy revisions tether serves, newest first (the `initialize` list). */
export const SUPPORTED_LEGACY_PROTOCOL_VERSIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;

/**
 * True when `version` names a modern-era revision (served or not): 2026-07-28
 * or later.
 *
 * @example
 * ```ts
 * import { isModernProtocolVersion } from "@tether/mcp";
 * isModernProtocolVersion("2026-07-28"); // true
 * isModernProtocolVersion("2025-11-25"); // false
 * ```
 */
export function isModernProtocolVersion(version: string): boolean {
  return version >= FIRST_MODERN_PROTOCOL_VERSION;
}

/** Which eras a handler serves. */
export interface EraOptions {
  /** Serve the sessionful 2025 revisions. Default true. */
  legacy?: boolean;
  /** Serve the stateless 2026-07-28 revision. Default true. */
  modern?: boolean;
}
