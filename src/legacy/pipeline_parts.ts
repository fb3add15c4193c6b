/**
 * The parts of the sessionful pipeline, wired together once: sessions, the
 * stream hub, in-flight work, server→client requests and what the exchange
 * and bus messages act on. Serving requests with them is pipeline.ts.
 * @module
 */

import type { Delivery } from "../bus/delivery.ts";
import type { Events } from "../observe/events.ts";
import type { KeepAlive } from "../http/sse/keep_alive.ts";
import { SlowCalls, STREAM_AFTER_MS } from "../http/slow_calls.ts";
import type { Dispatcher } from "../protocol/dispatch/dispatcher.ts";
import type { Telemetry } from "../observe/telemetry/telemetry.ts";
import type { HeldSessions } from "./bus_messages.ts";
import type { ClientMessageDependencies } from "./exchange/client_messages.ts";
import type { EventLog } from "../storage/event_log/event_log.ts";
import type { LegacyExchangeDependencies } from "./exchange/request_exchange.ts";
import { InFlightRegistry } from "./exchange/in_flight.ts";
import { ListeningNotifications } from "./streams/listening_notifications.ts";
import { OrphanWatch } from "./streams/orphan_watch.ts";
import { PendingRequests } from "./exchange/pending_requests.ts";
import { subscribe } from "./sessions/resource_subscriptions.ts";
import { SessionEnds } from "./session_ends.ts";
import { AwaitedReplies } from "./sessions/awaited_replies.ts";
import { SessionManager } from "./sessions/session_manager.ts";
import { SessionResources } from "./sessions/session_resources.ts";
import type { SessionStore } from "../storage/sessions/session_store.ts";
import { StoreSessionState } from "./sessions/store_session_state.ts";
import type { LegacySettings } from "./settings.ts";
import { StreamHub } from "./streams/stream_hub.ts";

/** What the legacy pipeline is built from. */
export interface LegacyPipelineOptions {
  settings: LegacySettings;
  dispatcher: Dispatcher;
  /** Where the sessions live (the session manager is its only caller); undefined: a memory store of the manager's own. */
  store: SessionStore | undefined;
  eventLog: EventLog;
  /** The handler's heartbeat timer, shared with the 2026-07-28 streams. */
  keepAlive: KeepAlive;
  generateSessionId: () => string;
  /** Where session, stream and client-request events go. */
  events: Events;
  /** Where cancellations and client replies go (here, or another instance), and announcements to the others. */
  delivery: Pick<Delivery, "deliver" | "tellOthers" | "shared">;
  /** Traces and measures requests when an OpenTelemetry provider is registered. */
  telemetry: Telemetry;
}

/** The pipeline's parts, wired. */
export interface LegacyParts {
  sessions: SessionManager;
  hub: StreamHub;
  inFlight: InFlightRegistry;
  pending: PendingRequests;
  /** Per-session resources of this process (`ctx.session.resource`), disposed on every path that ends a session. */
  resources: SessionResources;
  /** With a bus: the server→client requests some instance awaits, in the sessions' shared state. */
  awaited: AwaitedReplies | undefined;
  slowCalls: SlowCalls;
  ends: SessionEnds;
  /** What bus messages act on (bus_messages.ts). */
  held: HeldSessions;
  clientMessages: ClientMessageDependencies;
  exchange: LegacyExchangeDependencies;
}

/** Wires sessions, the stream hub and the exchange together; `sweep` runs when the sessions are full. */
export function wireLegacyParts(
  options: LegacyPipelineOptions,
  sweep: () => Promise<void>,
): LegacyParts {
  const { settings, dispatcher } = options;
  const { sessions: limits, streams, scheduler } = settings;
  const onError = settings.observe.onError;
  const sessions = new SessionManager(options.store, {
    ...limits,
    now: settings.now,
    generateId: options.generateSessionId,
    sweepWhenFull: sweep,
  });
  const awaited = options.delivery.shared
    ? new AwaitedReplies(sessions, {
      maxPerSession: limits.maxRequestsPerSession,
      now: settings.now,
      onError,
    })
    : undefined;
  const resources = new SessionResources(onError, { scheduler });
  const inFlight = new InFlightRegistry({ maxPerSession: limits.maxRequestsPerSession });
  const pending = new PendingRequests();
  const slowCalls = new SlowCalls(STREAM_AFTER_MS, 2, scheduler);
  const hub = new StreamHub({
    eventLog: options.eventLog,
    keepAlive: options.keepAlive,
    maxBufferedBytes: streams.maxStreamBufferBytes,
    retryMs: streams.retryMs,
    orphans: new OrphanWatch(streams.orphanTimeoutMs, scheduler),
    scheduler,
    onHeartbeat: (ids) => void sessions.keepAlive(ids, onError),
    onError,
    onDropped: (reason) => options.events.streamDropped(reason, "legacy"),
    onFollow: (sessionId, streamId) =>
      options.delivery.tellOthers({ type: "stream-followed", sessionId, streamId }),
    // As if the client had cancelled it: the run stops wherever it is.
    onAnswerLost: (sessionId, requestId) =>
      void options.delivery.deliver({ type: "cancel", sessionId, requestId }).catch(onError),
  });
  const ends = new SessionEnds({
    sessions,
    inFlight,
    pending,
    hub,
    resources,
    events: options.events,
    delivery: options.delivery,
  });
  const held: HeldSessions = {
    inFlight,
    pending,
    // Notifications for the listening streams of this process.
    notifications: new ListeningNotifications(hub, (id) => sessions.get(id)),
    hub,
    ends,
  };
  const clientMessages: ClientMessageDependencies = {
    dispatcher,
    pending,
    delivery: options.delivery,
    awaited,
    onError,
  };
  const exchange: LegacyExchangeDependencies = {
    dispatcher,
    hub,
    inFlight,
    pending,
    responseMode: streams.responseMode,
    clientRequestTimeoutMs: streams.clientRequestTimeoutMs,
    slowCalls,
    onClientTimeout: (method, id) => options.events.clientRequestTimedOut(method, id),
    awaited,
    sessions: {
      state: (id) => new StoreSessionState(sessions, id, resources),
      setLogLevel: (id, level) => sessions.update(id, { logLevel: level }),
      subscribe: (id, uri) => subscribe(sessions, dispatcher.resources, limits, id, uri),
      unsubscribe: (id, uri) => sessions.update(id, { unsubscribe: uri }),
    },
  };
  return {
    sessions,
    hub,
    inFlight,
    pending,
    resources,
    awaited,
    slowCalls,
    ends,
    held,
    clientMessages,
    exchange,
  };
}
