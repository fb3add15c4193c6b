/**
 * Protocol versions tether speaks on the sessionful (legacy) path, and the
 * negotiation rule of the lifecycle spec.
 * @module
 */

/**
 * Legacy (sessionful) revisions tether serves, newest first: the `initialize` list.
 *
 * @example
 * ```ts
 * import { SUPPORTED_LEGACY_PROTOCOL_VERSIONS } from "@tether/mcp/types";
 * console.log(SUPPORTED_LEGACY_PROTOCOL_VERSIONS[0]); // "2025-11-25"
 * ```
 */
export const SUPPORTED_LEGACY_PROTOCOL_VERSIONS: readonly string[] = [
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
];

/**
 * The newest legacy (sessionful) revision; `initialize` offers it when a client asks for one it
 * does not know. Not the newest revision tether serves: that is `LATEST_PROTOCOL_VERSION`.
 *
 * @example
 * ```ts
 * import { LATEST_LEGACY_PROTOCOL_VERSION } from "@tether/mcp/types";
 * console.log(LATEST_LEGACY_PROTOCOL_VERSION); // "2025-11-25": offered to initialize when a client asks for an unknown one
 * ```
 */
export const LATEST_LEGACY_PROTOCOL_VERSION = "2025-11-25";

/**
 * Picks the version to answer `initialize` with: the client's when supported,
 * otherwise the latest (the client then decides whether to go on).
 *
 * @example
 * ```ts
 * import { negotiateProtocolVersion } from "./versions.ts";
 * negotiateProtocolVersion("2025-06-18"); // "2025-06-18"
 * negotiateProtocolVersion("1999-01-01"); // "2025-11-25"
 * ```
 */
export function negotiateProtocolVersion(requested: unknown): string {
  // The list's own string, not the request's copy: every session of a version keeps the same one.
  return SUPPORTED_LEGACY_PROTOCOL_VERSIONS.find((version) => version === requested) ??
    LATEST_LEGACY_PROTOCOL_VERSION;
}

/** True when `version` is one tether accepts in the `MCP-Protocol-Version` header. */
export function isSupportedProtocolVersion(version: string): boolean {
  return SUPPORTED_LEGACY_PROTOCOL_VERSIONS.includes(version);
}
