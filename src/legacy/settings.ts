/**
 * The settings of the sessionful era, by option group (`sessions`,
 * `streams`, `observe`), each field as the part that reads it declares it:
 * the session manager's limits, the subscriptions' bounds, what the stateless
 * way reads too (stateless/stateless_legacy.ts). Only the three settings the
 * era reads itself are declared here. The handler hands over its resolved
 * options, whose groups fit; nothing in legacy/ imports config/.
 * @module
 */

import type { SessionLimits, SessionManagerOptions } from "./sessions/session_manager.ts";
import type { SubscriptionLimits } from "./sessions/resource_subscriptions.ts";
import type { StatelessSettings } from "./stateless/stateless_legacy.ts";

/** The `sessions` setting the era reads itself (its pipeline's sweep). */
interface SweepSettings {
  /** How often the era's one sweep removes expired sessions. */
  sweepIntervalMs: number;
}

/** The `streams` settings the era reads itself (no part below takes them by these names). */
interface SessionfulStreamSettings {
  /** Work whose client is gone for this long is aborted (the orphan watch's timeout). */
  orphanTimeoutMs: number;
  /** Whether GET opens a listening stream. */
  listeningStream: boolean;
}

/**
 * The settings of the sessionful era: what the stateless way reads, and
 * more of the `sessions` and `streams` groups.
 *
 * @example
 * ```ts
 * import type { LegacySettings } from "./settings.ts";
 * const sweepsEvery = (settings: LegacySettings): number => settings.sessions.sweepIntervalMs;
 * ```
 */
export interface LegacySettings extends StatelessSettings {
  /** The session manager's limits, the subscriptions' bounds, the sweep and the in-flight bound. */
  sessions: StatelessSettings["sessions"] & SessionLimits & SubscriptionLimits & SweepSettings;
  /** How calls are answered, their streams bounded, orphans waited for, GET served. */
  streams: StatelessSettings["streams"] & SessionfulStreamSettings;
  /** The clock of the sessions' deadlines, ms since the epoch. */
  now: SessionManagerOptions["now"];
}
