/**
 * The reasons a 2026-07-28 `requestState` is refused, named where both the
 * 2026 era (which refuses it) and the `onEvent` vocabulary (which reports it)
 * can see them.
 * @module
 */

/**
 * Why a presented `requestState` did not open: for logs and events, never
 * sent to the client (except `too-large`, whose limit the client must know).
 *
 * @example
 * ```ts
 * import type { RequestStateRefusalReason } from "@tether/mcp/types";
 * const worthAnAlert: RequestStateRefusalReason[] = ["unknown-key", "bad-seal"];
 * ```
 */
export type RequestStateRefusalReason =
  | "malformed"
  | "too-large"
  | "unknown-key"
  | "bad-seal"
  | "expired"
  | "binding";
