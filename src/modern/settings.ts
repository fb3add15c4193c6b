/**
 * The settings of the 2026-07-28 era: the resolved options it reads, by
 * their resolved names. The handler builds them from its options; the
 * era's pipeline reads only these.
 * @module
 */

import type { ResolvedOptions } from "../options.ts";

/** The settings of the 2026-07-28 era, built by the handler from its resolved options. */
export type ModernSettings = Pick<
  ResolvedOptions,
  | "responseMode"
  | "maxStreamBufferBytes"
  | "cacheHints"
  | "maxRequestsPerPrincipal"
  | "onError"
  | "maxListenStreams"
  | "maxListenStreamsPerPrincipal"
  | "maxSubscriptions"
  | "maxListenSubscriptionBytes"
  | "maxUriBytes"
>;
