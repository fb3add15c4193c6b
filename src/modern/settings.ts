/**
 * The settings of the 2026-07-28 era, by option group (`streams`,
 * `stateless`, `limits`, `observe`), each field as the part that reads it
 * declares it (the exchange, the listen streams, the stream buffer); only
 * the settings the era maps to its parts under other names are declared
 * here. The handler hands over its resolved options, whose groups fit;
 * nothing in modern/ imports config/.
 * @module
 */

import type { StreamBufferSettings } from "../http/sse/sse_connection.ts";
import type { Scheduler } from "../runtime.ts";
import type { ModernExchangeDependencies } from "./exchange.ts";
import type { ListenStreamsOptions } from "./listen/listen_streams.ts";
import type { RequestStateOptions } from "./rounds/request_state.ts";

/** The `stateless` settings the era reads itself and hands its parts under their own names. */
interface ModernStatelessSettings {
  /** Requests one principal may have in flight. */
  maxRequestsPerPrincipal: number;
  /** Listen streams at once (the listen streams' `maxStreams`). */
  maxListenStreams: number;
  /** Listen streams one principal may hold. */
  maxListenStreamsPerPrincipal: number;
  /** Resource URIs per listen stream. */
  maxListenSubscriptions: number;
  /** Bytes of subscribed URIs per listen stream. */
  maxListenSubscriptionBytes: number;
  /** How input rounds' state is sealed (the codec is made on first use). */
  requestState: RequestStateOptions | undefined;
}

/**
 * The settings of the 2026-07-28 era, built from its parts' types.
 *
 * @example
 * ```ts
 * import type { ModernSettings } from "./settings.ts";
 * const listenStreamsAtOnce = (settings: ModernSettings): number =>
 *   settings.stateless.maxListenStreams;
 * ```
 */
export interface ModernSettings {
  /** How a call is answered, and how much a stream buffers. */
  streams: Pick<ModernExchangeDependencies, "responseMode"> & StreamBufferSettings;
  /** The cache hints, the in-flight share, the listen streams' bounds, the requestState codec. */
  stateless: Pick<ModernExchangeDependencies, "cacheHints"> & ModernStatelessSettings;
  /** The longest URI a listen stream takes. */
  limits: Pick<ListenStreamsOptions, "maxUriBytes">;
  /** Where unexpected errors go. */
  observe: Pick<ModernExchangeDependencies, "onError">;
  /** The timers of the bounded waits at close (undefined: the runtime's). */
  scheduler: Scheduler | undefined;
}
