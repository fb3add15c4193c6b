/**
 * The 2026-07-28 era as the handler builds it ({@linkcode ModernPipeline}):
 * what it reports goes to the handler's events from here, so nothing it runs
 * on a request calls back into the handler. It serves nothing itself.
 * @module
 */

import type { Delivery } from "../bus/delivery.ts";
import type { KeepAlive } from "../http/sse/keep_alive.ts";
import type { Events } from "../observe/events.ts";
import type { Telemetry } from "../observe/telemetry/telemetry.ts";
import type { Dispatcher } from "../protocol/dispatch/dispatcher.ts";
import type { Implementation } from "../protocol/types.ts";
import type { Era } from "../era.ts";
import { ModernPipeline } from "./pipeline.ts";
import type { ModernSettings } from "./settings.ts";

/** The parts the handler shares between its eras (built once, given to each). */
export interface ModernEraParts {
  dispatcher: Dispatcher;
  /** The server's identity, as `server/discover` gives it. */
  serverInfo: Implementation;
  /** The handler's heartbeat timer, shared with the sessionful streams. */
  keepAlive: KeepAlive;
  /** Where a cancellation goes (here, or another instance), and where long requests are recorded. */
  delivery: Pick<Delivery, "deliver" | "requests">;
  /** Where a refused requestState and a dropped stream are reported. */
  events: Events;
  telemetry: Telemetry;
}

/**
 * The 2026-07-28 era of a handler.
 *
 * @example
 * ```ts ignore (internal: needs the resolved settings and the shared parts the handler builds)
 * import { modernEra } from "./era.ts";
 * const modern = modernEra(config, shared);
 * ```
 */
export function modernEra(settings: ModernSettings, parts: ModernEraParts): Era {
  const { events } = parts;
  return new ModernPipeline({
    settings,
    dispatcher: parts.dispatcher,
    serverInfo: parts.serverInfo,
    keepAlive: parts.keepAlive,
    delivery: parts.delivery,
    onStateRefused: (reason) => events.requestStateRefused(reason),
    onDropped: (reason) => events.streamDropped(reason, "modern"),
    telemetry: parts.telemetry,
  });
}
