/**
 * The 2025 era as the handler builds it: with sessions ({@linkcode LegacyPipeline})
 * or without (`eras: { legacy: "stateless" }`, {@linkcode StatelessLegacy}), its
 * defaults filled here (a memory event log, the session id generator) and
 * its timer its own (the pipeline's sweep). It serves nothing itself.
 * @module
 */

import type { Delivery } from "../bus/delivery.ts";
import type { KeepAlive } from "../http/sse/keep_alive.ts";
import type { Events } from "../observe/events.ts";
import type { Telemetry } from "../observe/telemetry/telemetry.ts";
import type { Dispatcher } from "../protocol/dispatch/dispatcher.ts";
import type { EraOptions } from "../protocol/eras.ts";
import type { LegacyEra } from "../era.ts";
import { MemoryEventLog } from "../storage/event_log/memory_event_log.ts";
import type { EventLog } from "../storage/event_log/event_log.ts";
import { LegacyPipeline } from "./pipeline.ts";
import { generateSessionId } from "./sessions/session_id.ts";
import type { SessionStore } from "../storage/sessions/session_store.ts";
import type { LegacySettings } from "./settings.ts";
import { StatelessLegacy } from "./stateless/stateless_legacy.ts";

/**
 * The settings of the 2025 era, either way it runs: its groups (the
 * sessionful way's are a superset of the stateless way's) and which eras are
 * on. The handler's resolved options fit.
 */
export interface LegacyEraSettings extends LegacySettings {
  /** Which eras are on: `legacy: "stateless"` serves the 2025 revisions without sessions. */
  eras: Required<EraOptions>;
}

/** The parts the handler shares between its eras (built once, given to each). */
export interface LegacyEraParts {
  dispatcher: Dispatcher;
  /** The handler's heartbeat timer, shared with the 2026-07-28 streams. */
  keepAlive: KeepAlive;
  /** Where cancellations, replies and long requests go (here, or another instance). */
  delivery: Pick<Delivery, "deliver" | "tellOthers" | "shared" | "requests">;
  /** Where session, stream and client-request events go. */
  events: Events;
  telemetry: Telemetry;
}

/**
 * What the application may bring for the sessions (the handler's options
 * fit); what it leaves out is made here.
 */
export interface LegacyEraStorage {
  sessions?: {
    /** Where the sessions live; undefined: a memory store of the era's own. */
    store?: SessionStore;
    /** Makes a new session's id; undefined: 128 random bits (session_id.ts). */
    generateSessionId?: () => string;
  };
  streams?: {
    /** Where stream events are kept for resumption; undefined: a memory log. */
    eventLog?: EventLog;
  };
}

/**
 * The 2025 era of a handler: sessionful, or without sessions when
 * `settings.eras.legacy` is `"stateless"` (then `storage` is unused).
 *
 * @example
 * ```ts ignore (internal: needs the resolved settings and the shared parts the handler builds)
 * import { legacyEra } from "./era.ts";
 * const legacy = legacyEra(config, shared, options);
 * ```
 */
export function legacyEra(
  settings: LegacyEraSettings,
  parts: LegacyEraParts,
  storage: LegacyEraStorage = {},
): LegacyEra {
  const { dispatcher, keepAlive, delivery, telemetry } = parts;
  if (settings.eras.legacy === "stateless") {
    return new StatelessLegacy({ settings, dispatcher, keepAlive, telemetry, delivery });
  }
  return new LegacyPipeline({
    settings,
    dispatcher,
    keepAlive,
    delivery,
    events: parts.events,
    telemetry,
    store: storage.sessions?.store,
    eventLog: storage.streams?.eventLog ?? new MemoryEventLog(),
    generateSessionId: storage.sessions?.generateSessionId ?? generateSessionId,
  });
}
