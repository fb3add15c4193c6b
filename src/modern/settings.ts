/**
 * The settings of the 2026-07-28 era, declared here by the era itself (the
 * handler fills them from its resolved options; nothing in modern/ reads
 * the options bag or imports config/).
 * @module
 */

import type { ResponseMode } from "../http/response_mode.ts";
import type { CacheHints } from "../protocol/definitions/cache_hint.ts";
import type { Scheduler } from "../runtime.ts";

/** The settings of the 2026-07-28 era, built by the handler from its resolved options. */
export interface ModernSettings {
  /** How a call is answered: JSON, SSE, or SSE once it emits. */
  responseMode: ResponseMode;
  /** Bytes a stream may buffer for a slow reader before it is dropped. */
  maxStreamBufferBytes: number;
  /** The cache hints of list and read results. */
  cacheHints: CacheHints;
  /** Requests one principal may have in flight. */
  maxRequestsPerPrincipal: number;
  /** Told about unexpected errors. */
  onError: (error: unknown) => void;
  /** Listen streams at once. */
  maxListenStreams: number;
  /** Listen streams one principal may hold. */
  maxListenStreamsPerPrincipal: number;
  /** Resource URIs per listen stream. */
  maxListenSubscriptions: number;
  /** Bytes of subscribed URIs per listen stream. */
  maxListenSubscriptionBytes: number;
  /** The longest URI taken. */
  maxUriBytes: number;
  /** The timers of the bounded waits at close (undefined: the runtime's). */
  scheduler: Scheduler | undefined;
}
