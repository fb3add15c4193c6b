/**
 * How long a connection waits before its next attempt to reconnect: exponential back-off with
 * jitter, so the clients of every instance that lost the same master (a failover, a restart) do
 * not all come back in the same instant. Used by the node-redis clients the backend opens and by
 * the bus reader. Pure arithmetic; the random source is injectable.
 * @module
 */

/** The first wait, ms. */
export const RECONNECT_FIRST_MS = 50;
/** The longest wait, ms. */
export const RECONNECT_MAX_MS = 2_000;

/**
 * The wait before reconnect attempt `attempt` (0 for the first), ms: a ceiling that doubles from
 * {@linkcode RECONNECT_FIRST_MS} up to {@linkcode RECONNECT_MAX_MS}, and a wait drawn evenly from
 * its upper half ("equal jitter"): never under half the ceiling, so a dead server is not hammered,
 * and spread over half of it, so a thousand clients that lost it together arrive over a second,
 * not in one burst.
 *
 * @example
 * ```ts
 * import { reconnectWait } from "./reconnect_wait.ts";
 * reconnectWait(0, () => 0); // 25
 * reconnectWait(10, () => 0.999_999); // 2000 (rounded)
 * ```
 */
export function reconnectWait(attempt: number, random: () => number = Math.random): number {
  const steps = attempt > 0 ? Math.min(Math.floor(attempt), 16) : 0; // NaN too: the first
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** steps);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
