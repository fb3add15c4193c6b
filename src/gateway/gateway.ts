/**
 * `createGateway`: upstream MCP servers served beside a handler's own tools.
 * Discovery (discovery.ts) reads each upstream's lists, and rereads them on
 * `list_changed`; the gateway hands out definitions for `createMcpHandler`
 * and runs every call through the caller's own upstream session
 * (upstream_calls.ts, upstream_sessions.ts).
 * @module
 */

import type { Principal } from "../protocol/context/request_context.ts";
import { unrefTimer } from "../runtime.ts";
import { defaultNamespace, type UpstreamCalls, type UpstreamCatalog } from "./catalog/catalog.ts";
import { readCatalog } from "./catalog/read_catalog.ts";
import { admit, type Authenticate, type CapState, guardedAuthenticate } from "./admission.ts";
import { Discovery } from "./catalog/discovery.ts";
import { ModernSubscriptions } from "./modern/modern_subscriptions.ts";
import { Pins } from "./catalog/pins.ts";
import type { PinSet } from "./catalog/pin_set.ts";
import type { GatewayTarget } from "./catalog/list_refresher.ts";
import type { GatewayOptions } from "./gateway_options.ts";
import { GATEWAY_DEFAULTS } from "./gateway_defaults.ts";
import { upstreamCalls } from "./sessions/upstream_calls.ts";
import { UpstreamConnection } from "./sessions/upstream_connection.ts";
import { UpstreamEras } from "./upstream_eras.ts";
import { UpstreamSessions } from "./sessions/upstream_sessions.ts";
import { ProcessPool } from "./stdio/process_pool.ts";
import { pooledUpstream } from "./stdio/stdio_upstream.ts";
import type { Upstream } from "./upstream.ts";
import { compileView, type GatewayView } from "./catalog/views.ts";
import type { ViewOf } from "../protocol/definitions/views.ts";

/**
 * The principal the gateway reads upstream lists as (its discovery
 * sessions): the credentials hooks receive it, told apart by identity.
 *
 * @example
 * ```ts
 * import { GATEWAY_PRINCIPAL, httpUpstream } from "@tether/mcp/gateway";
 * const files = httpUpstream({
 *   name: "files",
 *   url: "http://127.0.0.1:9000/mcp",
 *   credentials: (principal) => ({ "x-user": principal === GATEWAY_PRINCIPAL ? "gateway" : principal.id }),
 * });
 * ```
 */
export const GATEWAY_PRINCIPAL: Principal = Object.freeze({ id: "tether-gateway" });

export type { GatewayTarget } from "./catalog/list_refresher.ts";
export type { GatewayEvent, GatewayOptions } from "./gateway_options.ts";

const DEFAULT = GATEWAY_DEFAULTS.GatewayOptions;

/**
 * A running gateway: definitions to serve, and the upstream sessions behind them.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createGateway, httpUpstream } from "@tether/mcp/gateway";
 * const files = httpUpstream({ name: "files", url: "http://127.0.0.1:9000/mcp" });
 * const gateway = await createGateway({ upstreams: [files] });
 * const handler = createMcpHandler({ name: "gw", version: "1.0.0", ...gateway.definitions() });
 * gateway.attach(handler);
 * ```
 */
export interface Gateway {
  /**
   * The upstreams' tools, prompts, resources and templates, namespaced, for
   * `createMcpHandler`; with `view`, also the handler's `view` option that
   * shows each principal its part of them (views.ts). Each handler built
   * from one gateway is an endpoint: attach each; they share the upstream
   * sessions and the caps.
   *
   * @example
   * ```ts
   * import { createMcpHandler } from "@tether/mcp";
   * import { createGateway, httpUpstream } from "@tether/mcp/gateway";
   * const gateway = await createGateway({
   *   upstreams: [httpUpstream({ name: "files", url: "http://127.0.0.1:9000/mcp" })],
   * });
   * const handler = createMcpHandler({
   *   name: "gw",
   *   version: "1.0.0",
   *   ...gateway.definitions({ view: { upstreams: { files: { deny: ["delete"] } } } }),
   * });
   * gateway.attach(handler);
   * ```
   */
  definitions(options?: { view?: GatewayView }): UpstreamCatalog & { view?: ViewOf };
  /**
   * Keeps `target`'s lists in step with the upstreams from now on: their
   * `list_changed`, and an upstream that comes back. Each upstream's
   * entries are checked first against the others' and against `target`'s
   * own; one that would collide is refused whole (reported to `onError`).
   * Attach every endpoint (handler) built from this gateway.
   */
  attach(target: GatewayTarget): void;
  /**
   * The handler's `authenticate`: `yours` (every caller anonymous without
   * it), then the caps at the door. A request that would open upstream
   * sessions (an `initialize`; a 2026-07-28 request of a principal that does
   * not hold its upstream sessions yet) is answered `503` while the process
   * holds `maxSessions`, `429` while the principal holds its share, both
   * with `Retry-After: 5` and a JSON-RPC error body. Other requests pass.
   *
   * @example
   * ```ts
   * import { createMcpHandler } from "@tether/mcp";
   * import { type Authenticate, createGateway } from "@tether/mcp/gateway";
   * const gateway = await createGateway({ upstreams: [] });
   * const yours: Authenticate = (request) =>
   *   request.headers.get("authorization") === "Bearer s3cret" ? { id: "alice" } : undefined;
   * createMcpHandler({
   *   name: "gw",
   *   version: "1.0.0",
   *   ...gateway.definitions(),
   *   auth: { authenticate: gateway.authenticate(yours) },
   * });
   * ```
   */
  authenticate(yours?: Authenticate): Authenticate;
  /**
   * The check `authenticate` makes, for an `authenticate` of your own:
   * throws an error whose `response` is the 503 or 429; returns otherwise.
   */
  admit(request: Request, principal: Principal): void;
  /**
   * Live upstream sessions, how many were opened so far, the stdio
   * processes run for callers, the listen streams held for subscriptions to
   * 2026-07-28 upstreams' resources, how many upstream messages were dropped
   * or refused (no running call of theirs, or past a call's relay bound),
   * and the upstreams not read yet.
   */
  stats(): {
    upstreamSessions: number;
    upstreamSessionsOpened: number;
    upstreamProcesses: number;
    subscriptionStreams: number;
    relaysDropped: number;
    unavailable: string[];
  };
  /**
   * The pin set of what the upstreams list now (their newest reads, drifted
   * and unpinned entries too; the kinds `pins.kinds` names): write it to a
   * file and pass it back as `pins.set` on the next start.
   *
   * @example
   * ```ts
   * import { writeFile } from "node:fs/promises";
   * import { createGateway } from "@tether/mcp/gateway";
   * const gateway = await createGateway({ upstreams: [] });
   * await writeFile("pins.json", JSON.stringify(await gateway.pinSet(), null, 2));
   * ```
   */
  pinSet(): Promise<PinSet>;
  /** Closes every upstream session (grace, then force) and the discovery sessions. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Sends `notification` to the session `sessionId` of the first target (endpoint) that takes it. */
async function notifyOne(
  targets: readonly GatewayTarget[],
  sessionId: string,
  notification: { method: string; params?: Record<string, unknown> },
): Promise<void> {
  for (const target of targets) {
    if (await target.notify?.(sessionId, notification)) return;
  }
}

/**
 * Connects to each upstream to read what it offers, and returns the
 * gateway. Rejects when two upstreams offer one name; an upstream that
 * cannot be read is reported to `onError`, left out, and tried again with
 * backoff (`retryMs`, doubling to `maxRetryMs`) until it answers.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createGateway, httpUpstream } from "@tether/mcp/gateway";
 * const gateway = await createGateway({
 *   upstreams: [httpUpstream({ name: "files", url: "http://127.0.0.1:9000/mcp" })],
 * });
 * const catalog = gateway.definitions();
 * const handler = createMcpHandler({ name: "gateway", version: "1.0.0", ...catalog });
 * gateway.attach(handler);
 * ```
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const processes = new ProcessPool({
    maxProcesses: options.maxProcesses ?? DEFAULT.maxProcesses,
    maxProcessesPerPrincipal: options.maxProcessesPerPrincipal ?? DEFAULT.maxProcessesPerPrincipal,
    idleCloseMs: options.stdioIdleCloseMs ?? DEFAULT.stdioIdleCloseMs,
    graceMs: options.graceMs ?? DEFAULT.graceMs,
    exempt: GATEWAY_PRINCIPAL,
    now: options.now ?? Date.now,
  });
  let relaysDropped = 0;
  const upstreams = new Map<string, Upstream>();
  for (const upstream of options.upstreams) {
    if (upstreams.has(upstream.name)) {
      throw new TypeError(`Gateway: two upstreams are named "${upstream.name}"`);
    }
    upstreams.set(upstream.name, pooledUpstream(upstream, processes, () => void relaysDropped++));
  }
  const namespace = options.namespace ?? defaultNamespace;
  const maxRelayBytes = options.maxRelayBytes ?? DEFAULT.maxRelayBytes;
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT.callTimeoutMs;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const maxSessions = options.maxSessions ?? DEFAULT.maxSessions;
  const pins = new Pins(options.pins, {
    onEvent: (event) => {
      try {
        options.onEvent?.(event);
      } catch (error) {
        onError(error);
      }
    },
    onError,
  });
  const relayBounds = {
    maxProgress: options.maxRelayedProgress ?? DEFAULT.maxRelayedProgress,
    maxLogs: options.maxRelayedLogs ?? DEFAULT.maxRelayedLogs,
    maxOutstanding: options.maxRelayedRequests ?? DEFAULT.maxRelayedRequests,
  };
  const onDropped = () => void relaysDropped++;
  const sessions = new UpstreamSessions({
    idleProbeMs: options.idleProbeMs ?? DEFAULT.idleProbeMs,
    probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT.probeTimeoutMs,
    graceMs: options.graceMs ?? DEFAULT.graceMs,
    maxSessions,
    maxSessionsPerPrincipal: options.maxSessionsPerPrincipal ?? DEFAULT.maxSessionsPerPrincipal,
    maxAnonymousSessions: options.maxAnonymousSessions ?? Math.max(1, Math.floor(maxSessions / 2)),
    relayBounds,
    onDropped,
    statelessTtlMs: options.statelessTtlMs ?? DEFAULT.statelessTtlMs,
    maxRelayBytes,
    now: options.now ?? Date.now,
    onListChanged: (upstream, kind) => discovery.changed(upstream, kind),
    onResourceUpdated: (sessionId, uri) => {
      const notification = { method: "notifications/resources/updated", params: { uri } };
      void notifyOne(targets, sessionId, notification).catch(onError);
    },
  });
  const targets: GatewayTarget[] = [];

  const retryMs = options.retryMs ?? DEFAULT.retryMs;
  const maxRetryMs = options.maxRetryMs ?? DEFAULT.maxRetryMs;
  // A 2026-07-28 upstream's resource updates come on listen streams of the subscribers' own.
  const subscriptions = new ModernSubscriptions({
    maxStreams: options.maxSubscriptionStreams ?? DEFAULT.maxSubscriptionStreams,
    maxStreamsPerPrincipal: options.maxSubscriptionStreamsPerPrincipal ??
      DEFAULT.maxSubscriptionStreamsPerPrincipal,
    timeoutMs: callTimeoutMs,
    retryMs,
    maxRetryMs,
    onResourceUpdated: (sessionId, uri) => {
      const notification = { method: "notifications/resources/updated", params: { uri } };
      void notifyOne(targets, sessionId, notification).catch(onError);
    },
  });
  // 2026-07-28 upstreams (negotiated by discovery) are called in requests of their own by
  // 2026-07-28 callers; 2025 sessions keep 2025 upstream sessions of their own where served.
  const eras = new UpstreamEras({ principal: GATEWAY_PRINCIPAL, retryMs, maxRetryMs });
  const callsFor = (upstream: Upstream): UpstreamCalls => {
    // An "auto" upstream may serve 2026-07-28 only: it refuses 2025 sessions.
    const mayRefuseSessions = upstream.modern?.protocol === "auto";
    const settings = { sessions, maxRelayBytes, callTimeoutMs, mayRefuseSessions };
    return eras.calls(upstream, upstreamCalls(upstream, settings), {
      maxRelayBytes,
      callTimeoutMs,
      relayBounds,
      onDropped,
      tasks: options.tasks ?? DEFAULT.tasks,
      subscriptions,
    });
  };

  const catalogSettings = (upstream: Upstream) => ({
    namespace,
    calls: callsFor(upstream),
    tasks: options.tasks ?? DEFAULT.tasks,
    modern: eras.isModern(upstream.name),
  });

  // Discovery: one session per upstream, kept for its list_changed notifications.
  const discovery: Discovery = await Discovery.start({
    upstreams,
    open: (upstream, onListChanged) =>
      eras.open(upstream, onListChanged, () =>
        UpstreamConnection.open(upstream, {
          principal: GATEWAY_PRINCIPAL,
          capabilities: {},
          maxRelayBytes,
          probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT.probeTimeoutMs,
          onListChanged,
        })),
    read: async (upstream, session, kinds) =>
      await pins.check(
        upstream.name,
        await readCatalog(upstream.name, session, catalogSettings(upstream), kinds),
      ),
    retryMs,
    maxRetryMs,
    onError,
  }).catch(async (error) => {
    // Two upstreams offer one name: the processes of 2026-07-28 stdio upstreams end too.
    await processes.close(0);
    throw error;
  });

  const caps: CapState = {
    full: (principal) => sessions.full(principal),
    // Only 2025 upstreams hold sessions; a 2026-07-28 upstream's requests hold none.
    holdsStateless: (principal) =>
      sessions.holdsStateless(principal, eras.legacy(upstreams.keys())),
    maxSessions: sessions.maxSessions,
    maxSessionsPerPrincipal: sessions.maxSessionsPerPrincipal,
    maxAnonymousSessions: sessions.maxAnonymousSessions,
  };
  const sweeper = setInterval(
    () => sessions.sweep(),
    Math.max(1_000, (options.statelessTtlMs ?? DEFAULT.statelessTtlMs) / 2),
  );
  unrefTimer(sweeper);

  return {
    definitions(definitionsOptions) {
      const view = definitionsOptions?.view;
      const catalog = discovery.definitions();
      return view === undefined ? catalog : { ...catalog, view: compileView(view, onError) };
    },
    attach(handler) {
      if (!targets.includes(handler)) targets.push(handler);
      discovery.attach(handler);
    },
    authenticate(yours) {
      return guardedAuthenticate(caps, yours);
    },
    admit(request, principal) {
      admit(caps, request, principal);
    },
    stats() {
      return {
        upstreamSessions: sessions.live,
        upstreamSessionsOpened: sessions.opened,
        upstreamProcesses: processes.live,
        subscriptionStreams: subscriptions.live,
        relaysDropped,
        unavailable: discovery.unavailable,
      };
    },
    pinSet() {
      return pins.listed();
    },
    async close(closeOptions = {}) {
      clearInterval(sweeper);
      subscriptions.close();
      const graceMs = closeOptions.graceMs ?? options.graceMs ?? DEFAULT.graceMs;
      await Promise.all([
        sessions.close(graceMs),
        discovery.close(graceMs),
        processes.close(graceMs),
      ]);
    },
  };
}
