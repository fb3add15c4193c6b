/**
 * MCP logging levels (RFC 5424) and the threshold test used by `ctx.log`.
 * @module
 */

import type { LoggingLevel } from "../session/session_store.ts";

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
