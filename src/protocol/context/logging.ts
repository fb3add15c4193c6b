/**
 * MCP logging levels (RFC 5424) and the threshold test used by `ctx.log`.
 * @module
 */

/**
 * RFC 5424 severities used by MCP logging, least to most severe.
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * import type { LoggingLevel } from "@tether/mcp/types";
 * const level: LoggingLevel = "warning";
 * export const check = defineTool({ name: "check", handler: async (_input, ctx) => {
 *   await ctx.log(level, "disk almost full");
 *   return "checked";
 * } });
 * ```
 */
export type LoggingLevel =
  | "debug"
  | "info"
  | "notice"
  | "warning"
  | "error"
  | "critical"
  | "alert"
  | "emergency";

/** The levels, least to most severe. */
export const LOGGING_LEVELS: readonly LoggingLevel[] = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
];

/** True when `value` is one of {@linkcode LOGGING_LEVELS}. */
export function isLoggingLevel(value: unknown): value is LoggingLevel {
  return typeof value === "string" && (LOGGING_LEVELS as readonly string[]).includes(value);
}

/** True when a message at `level` passes the `threshold` (undefined threshold passes everything). */
export function passesThreshold(level: LoggingLevel, threshold: LoggingLevel | undefined): boolean {
  return threshold === undefined ||
    LOGGING_LEVELS.indexOf(level) >= LOGGING_LEVELS.indexOf(threshold);
}
