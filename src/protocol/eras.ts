/**
 * The two protocol eras tether serves on one endpoint, with their version
 * lists kept apart: the legacy (sessionful) revisions are negotiated by
 * `initialize` (their list: versions.ts), the modern (stateless) ones are named on every request. A
 * modern version string can never reach a 2025 `initialize` answer, and
 * `server/discover` never lists a legacy one.
 * @module
 */

/**
 * `legacy`: 2025-03-26 … 2025-11-25, sessions; `modern`: 2026-07-28 and later, stateless.
 *
 * @example
 * ```ts
 * import { isModernProtocolVersion, type ProtocolEra } from "@tether/mcp/types";
 * const eraOf = (version: string): ProtocolEra => isModernProtocolVersion(version) ? "modern" : "legacy";
 * ```
 */
export type ProtocolEra = "legacy" | "modern";

/**
 * The first modern revision. Revisions are ISO dates, so string order is time order.
 *
 * @example
 * ```ts
 * import { FIRST_MODERN_PROTOCOL_VERSION } from "@tether/mcp/types";
 * console.log(FIRST_MODERN_PROTOCOL_VERSION); // "2026-07-28"
 * ```
 */
export const FIRST_MODERN_PROTOCOL_VERSION = "2026-07-28";

/**
 * Modern revisions tether serves, newest first.
 *
 * @example
 * ```ts
 * import { SUPPORTED_MODERN_PROTOCOL_VERSIONS } from "@tether/mcp/types";
 * console.log(SUPPORTED_MODERN_PROTOCOL_VERSIONS.includes("2026-07-28")); // true
 * ```
 */
export const SUPPORTED_MODERN_PROTOCOL_VERSIONS: readonly string[] = [
  FIRST_MODERN_PROTOCOL_VERSION,
];

/**
 * The newest revision tether serves, of either era (the legacy ones are all older; the newest
 * legacy one is `LATEST_LEGACY_PROTOCOL_VERSION`).
 *
 * @example
 * ```ts
 * import { LATEST_PROTOCOL_VERSION } from "@tether/mcp/types";
 * console.log(LATEST_PROTOCOL_VERSION); // "2026-07-28"
 * ```
 */
export const LATEST_PROTOCOL_VERSION: string = SUPPORTED_MODERN_PROTOCOL_VERSIONS[0];

/**
 * True when `version` names a modern-era revision (served or not): 2026-07-28
 * or later.
 *
 * @example
 * ```ts
 * import { isModernProtocolVersion } from "@tether/mcp/types";
 * isModernProtocolVersion("2026-07-28"); // true
 * isModernProtocolVersion("2025-11-25"); // false
 * ```
 */
export function isModernProtocolVersion(version: string): boolean {
  return version >= FIRST_MODERN_PROTOCOL_VERSION;
}

/**
 * Which eras a handler serves.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type EraOptions } from "@tether/mcp";
 * const eras: EraOptions = { modern: false }; // sessions only: 2026 clients fall back to initialize
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], eras });
 * ```
 */
export interface EraOptions {
  /**
   * Serve the 2025 revisions: `true` with sessions, `"stateless"` without
   * (for hosts that keep no state between requests: `initialize` issues no
   * `Mcp-Session-Id`, every POST stands alone, GET and DELETE answer `405`;
   * what that loses is listed in the README's "Stateless 2025 clients").
   * @default {true}
   */
  legacy?: boolean | "stateless";
  /**
   * Serve the stateless 2026-07-28 revision.
   * @default {true}
   */
  modern?: boolean;
}
