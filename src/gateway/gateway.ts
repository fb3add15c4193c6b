/**
 * `createGateway`: upstream MCP servers served beside a handler's own tools.
 * It reads each upstream's lists once at startup (refusing collisions),
 * hands out definitions for `createMcpHandler`, and runs every call through
 * the caller's own upstream session (upstream_sessions.ts). Once attached to
 * the handler, an upstream's `list_changed` updates the handler's lists.
 * @module
 */

import type { HandlerContext, Principal } from "../protocol/context.ts";
import type { CallToolResult, GetPromptResult, ResourceContents } from "../protocol/types.ts";
import { unrefTimer } from "../runtime.ts";
import {
  defaultNamespace,
  type Namespace,
  readCatalog,
  refuseCollisions,
  type UpstreamCalls,
  type UpstreamCatalog,
} from "./catalog.ts";
import { admit, type Authenticate, type CapState, guardedAuthenticate } from "./admission.ts";
import { type GatewayTarget, Refresher } from "./list_refresher.ts";
import { callAsUpstreamTask, runsAsUpstreamTask } from "./upstream_task_call.ts";
import { checkRelayed } from "./relay_limits.ts";
import { upstreamFailure } from "./upstream_failure.ts";
import { UpstreamConnection } from "./upstream_connection.ts";
import { GatewayBusyError, UpstreamSessions } from "./upstream_sessions.ts";
import { ProcessPool } from "./process_pool.ts";
import { pooledUpstream } from "./stdio_upstream.ts";
import type { Upstream } from "./upstream.ts";

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

/**
 * Options of {@linkcode createGateway}.
 *
 * @example
 * ```ts
 * import { type GatewayOptions, httpUpstream } from "@tether/mcp/gateway";
 * const options: GatewayOptions = { upstreams: [httpUpstream({ name: "files", url: "http://127.0.0.1:9000/mcp" })] };
 * ```
 */
export interface GatewayOptions {
  /** The upstreams, with distinct names. */
  upstreams: readonly Upstream[];
  /** How upstream tool, prompt, resource and template names are listed. @default {(upstream, name) => `${upstream}_${name}`} */
  namespace?: Namespace;
  /** Idle time after which an upstream session is pinged before reuse, ms. @default {60_000} */
  idleProbeMs?: number;
  /** How long that ping may take before the session is recreated, ms. @default {5_000} */
  probeTimeoutMs?: number;
  /** The grace of an upstream session's close before it is forced, ms. @default {5_000} */
  graceMs?: number;
  /** How long one upstream call may run without progress, ms. @default {300_000} */
  callTimeoutMs?: number;
  /** Live upstream sessions in this process. @default {1_000} */
  maxSessions?: number;
  /** Live upstream sessions of one principal. @default {32} */
  maxSessionsPerPrincipal?: number;
  /**
   * stdio upstream processes run for callers at once, across every stdio
   * upstream (each discovery session's process besides); a call that would
   * start one more fails with a retry hint. @default {64}
   */
  maxProcesses?: number;
  /** stdio upstream processes of one principal at once (anonymous callers together). @default {16} */
  maxProcessesPerPrincipal?: number;
  /**
   * Time a stdio upstream process may sit unused (no call in flight, no
   * resource subscription) before it is ended, ms; the next call opens a
   * new upstream session. `Infinity`: only the session's end ends it. @default {60_000}
   */
  stdioIdleCloseMs?: number;
  /** How long a 2026-07-28 (session-less) principal's upstream session lives unused, ms. @default {300_000} */
  statelessTtlMs?: number;
  /** The largest message relayed either way (results, elicitations, logs), bytes. @default {4_194_304} */
  maxRelayBytes?: number;
  /** Told of failures no caller sees (a list refresh that failed). @default {console.error} */
  onError?: (error: unknown) => void;
  /**
   * Every upstream tool may run as a downstream task (`task: "optional"`;
   * serve the handler with `tasksExtension()` from `@tether/mcp/tasks`):
   * a long upstream call becomes a task the client polls. Independently, a
   * tool the upstream runs as a task is always called as an upstream task.
   * @default {false}
   */
  tasks?: boolean;
  /** The clock. @default {Date.now} */
  now?: () => number;
}

export type { GatewayTarget } from "./list_refresher.ts";

/**
 * A running gateway: definitions to serve, and the upstream sessions behind them.
 *
 * @example
 * ```ts ignore
 * const gateway = await createGateway({ upstreams: [files] });
 * const handler = createMcpHandler({ name: "gw", version: "1.0.0", ...gateway.definitions() });
 * gateway.attach(handler);
 * ```
 */
export interface Gateway {
  /** The upstreams' tools, prompts, resources and templates, namespaced, for `createMcpHandler`. */
  definitions(): UpstreamCatalog;
  /** Keeps `target`'s lists in step with the upstreams' `list_changed` from now on. */
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
   * ```ts ignore
   * createMcpHandler({ name: "gw", version: "1.0.0", ...gateway.definitions(), authenticate: gateway.authenticate(yours) });
   * ```
   */
  authenticate(yours?: Authenticate): Authenticate;
  /**
   * The check `authenticate` makes, for an `authenticate` of your own:
   * throws an error whose `response` is the 503 or 429; returns otherwise.
   */
  admit(request: Request, principal: Principal): void;
  /** Live upstream sessions, how many were opened so far, and the stdio processes run for callers. */
  stats(): { upstreamSessions: number; upstreamSessionsOpened: number; upstreamProcesses: number };
  /** Closes every upstream session (grace, then force) and the discovery sessions. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Connects to each upstream once to read what it offers, and returns the
 * gateway. Rejects when an upstream cannot be read or two offer one name.
 *
 * @example
 * ```ts ignore
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
    maxProcesses: options.maxProcesses ?? 64,
    maxProcessesPerPrincipal: options.maxProcessesPerPrincipal ?? 16,
    idleCloseMs: options.stdioIdleCloseMs ?? 60_000,
    graceMs: options.graceMs ?? 5_000,
    exempt: GATEWAY_PRINCIPAL,
    now: options.now ?? Date.now,
  });
  const upstreams = new Map<string, Upstream>();
  for (const upstream of options.upstreams) {
    if (upstreams.has(upstream.name)) {
      throw new TypeError(`Gateway: two upstreams are named "${upstream.name}"`);
    }
    upstreams.set(upstream.name, pooledUpstream(upstream, processes));
  }
  const namespace = options.namespace ?? defaultNamespace;
  const maxRelayBytes = options.maxRelayBytes ?? 4 * 1024 * 1024;
  const callTimeoutMs = options.callTimeoutMs ?? 300_000;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const refresher = new Refresher(onError);
  const sessions = new UpstreamSessions({
    idleProbeMs: options.idleProbeMs ?? 60_000,
    probeTimeoutMs: options.probeTimeoutMs ?? 5_000,
    graceMs: options.graceMs ?? 5_000,
    maxSessions: options.maxSessions ?? 1_000,
    maxSessionsPerPrincipal: options.maxSessionsPerPrincipal ?? 32,
    statelessTtlMs: options.statelessTtlMs ?? 300_000,
    maxRelayBytes,
    now: options.now ?? Date.now,
    onListChanged: (upstream, kind) => refresher.changed(upstream, kind),
    onResourceUpdated: (sessionId, uri) => {
      const notification = { method: "notifications/resources/updated", params: { uri } };
      void target?.notify?.(sessionId, notification).catch(onError);
    },
  });
  let target: GatewayTarget | undefined;

  const callsFor = (upstream: Upstream): UpstreamCalls => {
    const through = async <T>(ctx: HandlerContext, call: (c: UpstreamConnection) => Promise<T>) => {
      let held;
      try {
        held = await sessions.connection(upstream, ctx);
      } catch (error) {
        if (error instanceof GatewayBusyError) throw error;
        throw upstreamFailure(upstream.name, error);
      }
      const { slot, connection } = held;
      try {
        const answer = await connection.track(ctx, () => call(connection));
        checkRelayed(answer, maxRelayBytes, "answer");
        return answer;
      } catch (error) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        throw upstreamFailure(upstream.name, error);
      } finally {
        slot.touch();
      }
    };
    const requestOptions = (ctx: HandlerContext) => ({
      signal: ctx.signal,
      timeout: callTimeoutMs,
      resetTimeoutOnProgress: true,
      onprogress: (progress: { progress: number; total?: number; message?: string }) => {
        ctx.progress(progress.progress, progress.total, progress.message?.slice(0, 4_096))
          .catch(() => {});
      },
    });
    return {
      callTool: (name, args, ctx, taskSupport) =>
        through(ctx, async (c) => {
          const params = { name, arguments: args };
          if (runsAsUpstreamTask(c.client, taskSupport)) {
            return await callAsUpstreamTask(c.client, params, requestOptions(ctx));
          }
          return await c.client.callTool(params, undefined, requestOptions(ctx)) as CallToolResult;
        }),
      getPrompt: (name, args, ctx) =>
        through(
          ctx,
          async (c) =>
            await c.client.getPrompt(
              { name, arguments: args },
              requestOptions(ctx),
            ) as GetPromptResult,
        ),
      readResource: (uri, ctx) =>
        through(
          ctx,
          async (c) =>
            (await c.client.readResource({ uri }, requestOptions(ctx)))
              .contents as ResourceContents[],
        ),
      subscribe: (uri, ctx) =>
        through(ctx, async (c) => {
          // (Only sessions subscribe: the 2026-07-28 revision has no resources/subscribe.)
          await c.client.subscribeResource({ uri }, requestOptions(ctx));
          c.subscriptions?.add(uri);
        }),
      unsubscribe: (uri, ctx) =>
        through(ctx, async (c) => {
          c.subscriptions?.delete(uri);
          await c.client.unsubscribeResource({ uri }, requestOptions(ctx));
        }),
      complete: (request, ctx) =>
        through(ctx, async (c) => {
          const answer = await c.client.complete(request, requestOptions(ctx));
          // At most 100 values, as the spec bounds a completion.
          return answer.completion.values.slice(0, 100);
        }),
    };
  };

  const catalogSettings = (upstream: Upstream) => ({
    namespace,
    calls: callsFor(upstream),
    tasks: options.tasks ?? false,
  });

  // Discovery: one session per upstream, kept for its list_changed notifications.
  const discovery = new Map<string, UpstreamConnection>();
  const catalogs = new Map<string, Partial<UpstreamCatalog>>();
  let closed = false;
  const openDiscovery = async (upstream: Upstream) => {
    const connection = await UpstreamConnection.open(upstream, {
      principal: GATEWAY_PRINCIPAL,
      capabilities: {},
      maxRelayBytes,
      probeTimeoutMs: options.probeTimeoutMs ?? 5_000,
      onListChanged: (kind) => refresher.changed(upstream.name, kind),
    });
    if (closed) await connection.close(0);
    discovery.set(upstream.name, connection);
    return connection;
  };
  try {
    for (const upstream of upstreams.values()) {
      const connection = await openDiscovery(upstream);
      catalogs.set(
        upstream.name,
        await readCatalog(upstream.name, connection.client, catalogSettings(upstream)),
      );
    }
    refuseCollisions(catalogs);
  } catch (error) {
    await Promise.all([...discovery.values()].map((connection) => connection.close(0)));
    throw error;
  }
  refresher.bind(async (upstreamName, kind) => {
    const upstream = upstreams.get(upstreamName)!;
    let connection = discovery.get(upstreamName);
    if (closed) return;
    // A discovery session that died (the upstream restarted) is opened again to reread.
    if (connection === undefined || connection.dead) connection = await openDiscovery(upstream);
    const fresh = await readCatalog(upstreamName, connection.client, catalogSettings(upstream), [
      kind,
    ]);
    const previous = catalogs.get(upstreamName) ?? {};
    const next = { ...previous, ...fresh };
    const trial = new Map(catalogs).set(upstreamName, next);
    refuseCollisions(trial);
    catalogs.set(upstreamName, next);
    return { previous, next };
  });

  const caps: CapState = {
    full: (owner) => sessions.full(owner),
    holdsStateless: (owner) => sessions.holdsStateless(owner, upstreams.keys()),
    maxSessions: sessions.maxSessions,
    maxSessionsPerPrincipal: sessions.maxSessionsPerPrincipal,
  };
  const sweeper = setInterval(
    () => sessions.sweep(),
    Math.max(1_000, (options.statelessTtlMs ?? 300_000) / 2),
  );
  unrefTimer(sweeper);

  return {
    definitions() {
      const all: UpstreamCatalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };
      for (const catalog of catalogs.values()) {
        all.tools.push(...(catalog.tools ?? []));
        all.prompts.push(...(catalog.prompts ?? []));
        all.resources.push(...(catalog.resources ?? []));
        all.resourceTemplates.push(...(catalog.resourceTemplates ?? []));
      }
      return all;
    },
    attach(handler) {
      target = handler;
      refresher.attach(handler);
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
      };
    },
    async close(closeOptions = {}) {
      closed = true;
      clearInterval(sweeper);
      processes.close();
      const graceMs = closeOptions.graceMs ?? options.graceMs ?? 5_000;
      await Promise.all([
        sessions.close(graceMs),
        ...[...discovery.values()].map((connection) => connection.close(graceMs)),
      ]);
    },
  };
}
