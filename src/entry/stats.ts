/**
 * `stats()`: the handler's current load and its counters since start, read
 * from the parts that hold them. It counts nothing itself.
 * @module
 */

import type { ConcurrencyLimit } from "../http/concurrency_limit.ts";
import type { RefusalStep } from "../http/refusal.ts";
import type { LegacyPipeline } from "../legacy/pipeline.ts";
import type { StatelessLegacy } from "../legacy/stateless_legacy.ts";
import type { SessionStore } from "../legacy/sessions/session_store.ts";
import type { ListenStreams } from "../modern/listen_streams.ts";
import type { ModernInFlight } from "../modern/in_flight.ts";
import type { Events, SessionEndReason } from "../events.ts";

/**
 * Counters describing the handler's current load.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type HandlerStats } from "@tether/mcp";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
 * const stats: HandlerStats = await handler.stats();
 * console.log(`${stats.sessions} sessions, ${stats.inFlight} requests in flight`);
 * ```
 */
export interface HandlerStats {
  /** Sessions held by the store (expired ones awaiting the sweep included). */
  sessions: number;
  /** Requests being handled right now (aborted ones included until their handler returns). */
  inFlight: number;
  /** Open SSE connections in this process. */
  openStreams: number;
  /** Server→client requests waiting for the client. */
  pendingClientRequests: number;
  /** Requests refused since start because their session had `sessions.maxRequestsPerSession` in flight. */
  refusedAtSessionCap: number;
  /** Requests aborted since start because their client was gone, and did not resume, for `orphanTimeoutMs`. */
  abandoned: number;
  /** Requests counted against `maxConcurrentRequests` now (0 when the option is off). */
  concurrentRequests: number;
  /** The `maxConcurrentRequests` cap, or undefined when off. */
  maxConcurrentRequests: number | undefined;
  /** Sessions created since start. */
  sessionsCreated: number;
  /** Sessions ended since start, by reason. */
  sessionsEnded: Record<SessionEndReason, number>;
  /** HTTP requests answered since start. */
  requests: number;
  /** Requests refused by a guard or pipeline step since start. */
  refusals: number;
  /** The same refusals, by the step that refused them (steps that never refused are absent). */
  refusalsByStep: Partial<Record<RefusalStep, number>>;
  /** SSE connections dropped since start (client gone, or not reading). */
  streamsDropped: number;
  /** Server→client requests that got no reply in time since start. */
  clientRequestTimeouts: number;
}

/** The parts whose counts make up the stats. */
export interface StatsParts {
  store: SessionStore;
  legacy: LegacyPipeline;
  /** With `eras: { legacy: "stateless" }`: the 2025 POSTs without sessions. */
  stateless?: StatelessLegacy;
  modernWork: ModernInFlight;
  listen: ListenStreams;
  concurrency: ConcurrencyLimit | undefined;
  events: Events;
}

/** The handler's stats now (the store's size is the one read that may wait). */
export async function collectStats(parts: StatsParts): Promise<HandlerStats> {
  const { store, legacy, stateless, modernWork, listen, concurrency, events } = parts;
  return {
    sessions: await store.size(),
    inFlight: legacy.inFlight.size + (stateless?.inFlight.size ?? 0) + modernWork.size,
    openStreams: legacy.hub.connectionCount + (stateless?.hub.connectionCount ?? 0) + listen.size,
    pendingClientRequests: legacy.pending.size,
    refusedAtSessionCap: legacy.inFlight.refusedAtCap,
    abandoned: legacy.inFlight.abandoned,
    concurrentRequests: concurrency?.active ?? 0,
    maxConcurrentRequests: concurrency?.max,
    sessionsCreated: events.counters.sessionsCreated,
    sessionsEnded: { ...events.counters.sessionsEnded },
    requests: events.counters.requests,
    refusals: events.counters.refusals,
    refusalsByStep: { ...events.counters.refusalsByStep },
    streamsDropped: events.counters.streamsDropped,
    clientRequestTimeouts: events.counters.clientRequestTimeouts,
  };
}
