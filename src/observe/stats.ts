/**
 * `stats()`: the handler's current load and its counters since start, read
 * from the parts that hold them: a sum over the eras, the concurrency cap,
 * the event counters. It counts nothing itself.
 * @module
 */

import type { ConcurrencyLimit } from "../limits/concurrency_limit.ts";
import type { RefusalStep } from "../http/refusal.ts";
import type { Era } from "../era.ts";
import type { Events, SessionEndReason } from "./events.ts";

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
  /** The handler's eras: each counts its own sessions, work and streams. */
  eras: readonly Era[];
  concurrency: ConcurrencyLimit | undefined;
  events: Events;
}

/** The handler's stats now (an era's session count is the one read that may wait). */
export async function collectStats(parts: StatsParts): Promise<HandlerStats> {
  const { eras, concurrency, events } = parts;
  const load = {
    sessions: 0,
    inFlight: 0,
    openStreams: 0,
    pendingClientRequests: 0,
    refusedAtSessionCap: 0,
    abandoned: 0,
  };
  for (const era of eras) {
    const counted = await era.stats();
    load.sessions += counted.sessions;
    load.inFlight += counted.inFlight;
    load.openStreams += counted.openStreams;
    load.pendingClientRequests += counted.pendingClientRequests;
    load.refusedAtSessionCap += counted.refusedAtSessionCap;
    load.abandoned += counted.abandoned;
  }
  return {
    ...load,
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
