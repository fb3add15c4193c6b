/**
 * Protocol versions tether speaks on the sessionful (legacy) path, and the
 * negotiation rule of the lifecycle spec.
 * @module
 */

/**
 * Sessionful protocol versions, newest first.
 *
 * @example
 * ```ts
 * import { SUPPORTED_PROTOCOL_VERSIONS } from "@tether/mcp";
 * console.log(SUPPORTED_PROTOCOL_VERSIONS.join(", ")); // the sessionful revisions, newest first
 * ```
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
];

/**
 * The newest version tether speaks; offered when a client asks for one it does not know.
 *
 * @example
 * ```ts
 * import { LATEST_PROTOCOL_VERSION } from "@tether/mcp";
 * console.log(LATEST_PROTOCOL_VERSION); // "2025-11-25": offered to initialize when a client asks for an unknown one
 * ```
 */
export const LATEST_PROTOCOL_VERSION = "2025-11-25";

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
  return typeof requested === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

/** True when `version` is one tether accepts in the `MCP-Protocol-Version` header. */
export function isSupportedProtocolVersion(version: string): boolean {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}
