/**
 * The settings of the sessionful era: the resolved options it reads, by
 * their resolved names. The handler builds them from its options; nothing
 * in legacy/ reads the options bag itself.
 * @module
 */

import type { ResolvedOptions } from "../options.ts";

/** The settings of the sessionful era, built by the handler from its resolved options. */
export type LegacySettings = Pick<
  ResolvedOptions,
  | "maxRequestsPerSession"
  | "maxStateBytes"
  | "now"
  | "onError"
  | "idleTtlMs"
  | "absoluteTtlMs"
  | "maxSessions"
  | "maxSessionsPerPrincipal"
  | "maxAnonymousSessions"
  | "retryAfterSeconds"
  | "maxStreamBufferBytes"
  | "retryMs"
  | "orphanTimeoutMs"
  | "responseMode"
  | "clientRequestTimeoutMs"
  | "listeningStream"
  | "maxSubscriptions"
  | "maxSubscriptionBytes"
>;
