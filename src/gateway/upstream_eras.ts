/**
 * Which revision the gateway speaks to each upstream, as its discovery
 * found, and for each call as its caller's era asks: a 2026-07-28 upstream
 * (modern_discovery.ts) is read and called in independent requests
 * (modern_calls.ts), any other through 2025 sessions (upstream_calls.ts).
 * With `protocol: "auto"`, a 2025 session in front of an upstream that
 * serves both eras calls it through a 2025 upstream session of its own, so
 * what the upstream keeps per session stays apart per downstream session;
 * an upstream that refuses 2025 sessions is called in 2026-07-28 by every
 * caller from then on. The choice is made when discovery opens the upstream
 * (at startup, or when an unavailable one comes back) and kept.
 * @module
 */

import type { HandlerContext, Principal } from "../protocol/context/request_context.ts";
import { eraOf } from "../protocol/definitions/extensions.ts";
import type { UpstreamCalls } from "./catalog/catalog.ts";
import type { DiscoverySession } from "./catalog/discovery.ts";
import { modernCalls, type ModernCallSettings } from "./modern/modern_calls.ts";
import { ModernSession, negotiate } from "./modern/modern_discovery.ts";
import type { ListKind, UpstreamConnection } from "./sessions/upstream_connection.ts";
import { NoLegacySessions, SESSION_LISTING } from "./sessions/upstream_calls.ts";
import { isPlainObject } from "../jsonrpc/messages.ts";
import { runAsTask, taskWorkOf } from "../extensions/tasks/run_as_task.ts";
import type { CallToolResult } from "../protocol/types.ts";
import type { ModernEndpoint } from "./modern/modern_endpoint.ts";
import { TASKS_EXTENSION } from "./modern/modern_tasks.ts";
import { upstreamFailure } from "./upstream_failure.ts";
import type { Upstream } from "./upstream.ts";

/** What opening a discovery session needs besides the upstream. */
export interface EraSettings {
  /** Who discovery reads as. */
  principal: Principal;
  /** The first wait before a broken listen stream is opened again, ms. */
  retryMs: number;
  /** The longest such wait, ms. */
  maxRetryMs: number;
}

/**
 * The revision of each upstream.
 *
 * @example
 * ```ts ignore (internal: built by createGateway, which owns its settings)
 * const eras = new UpstreamEras({ principal: GATEWAY_PRINCIPAL, retryMs: 1_000, maxRetryMs: 60_000 });
 * ```
 */
export class UpstreamEras {
  readonly #settings: EraSettings;
  readonly #modern = new Set<string>();
  /** `"auto"` upstreams spoken to in 2026-07-28 that refused a 2025 session: every caller uses 2026. */
  readonly #modernOnly = new Set<string>();
  /** 2026-07-28 upstreams that declared the tasks extension (they decide which calls become tasks). */
  readonly #directsTasks = new Set<string>();

  /** Eras found with `settings`. */
  constructor(settings: EraSettings) {
    this.#settings = settings;
  }

  /** True when `upstream` is spoken to in 2026-07-28. */
  isModern(upstream: string): boolean {
    return this.#modern.has(upstream);
  }

  /** The upstreams of `names` spoken to in 2025 sessions. */
  legacy(names: Iterable<string>): string[] {
    return [...names].filter((name) => !this.#modern.has(name));
  }

  /**
   * Opens `upstream`'s discovery side: a 2026-07-28 session when it serves
   * that revision (negotiated now), else `openLegacy`'s 2025 session.
   */
  async open(
    upstream: Upstream,
    onListChanged: (kind: ListKind) => void,
    openLegacy: () => Promise<UpstreamConnection>,
  ): Promise<DiscoverySession> {
    const endpoint = upstream.modern;
    const { principal, retryMs, maxRetryMs } = this.#settings;
    const capabilities = endpoint === undefined ? undefined : await negotiate(endpoint, principal);
    // Read anew: an upstream that comes back may serve 2025 sessions (or tasks) now.
    this.#modernOnly.delete(upstream.name);
    this.#directsTasks.delete(upstream.name);
    if (endpoint === undefined || capabilities === undefined) {
      this.#modern.delete(upstream.name);
      return await openLegacy();
    }
    this.#modern.add(upstream.name);
    const extensions = capabilities.extensions;
    if (isPlainObject(extensions) && isPlainObject(extensions[TASKS_EXTENSION])) {
      this.#directsTasks.add(upstream.name);
    }
    return new ModernSession(endpoint, capabilities, {
      principal,
      onListChanged,
      retryMs,
      maxRetryMs,
    });
  }

  /**
   * `upstream`'s calls: `legacy`'s (2025 sessions), or, once discovery spoke
   * 2026-07-28 to it, its 2026-07-28 calls for a 2026-07-28 caller, for
   * every caller when it was forced (`protocol: "2026-07-28"`), and for a
   * 2025 session only when the upstream refused 2025 sessions.
   */
  calls(upstream: Upstream, legacy: UpstreamCalls, settings: ModernCallSettings): UpstreamCalls {
    const endpoint = upstream.modern;
    if (endpoint === undefined) return legacy;
    const name = upstream.name;
    const modern = modernCalls(name, endpoint, settings);
    const run = async <T>(ctx: HandlerContext, call: (calls: UpstreamCalls) => Promise<T>) => {
      if (!this.#modern.has(name)) return await this.#legacy(name, () => call(legacy));
      if (!this.#legacyCaller(name, endpoint, ctx)) return await call(modern);
      try {
        return await call(legacy);
      } catch (error) {
        if (!(error instanceof NoLegacySessions)) throw error;
        // Refused before anything ran upstream: the call goes in 2026-07-28, as every later one.
        this.#modernOnly.add(name);
        return await call(modern);
      }
    };
    // A 2025 session's call of a tool listed in 2026-07-28: the session's listing says whether
    // it runs as an upstream task; with `tasks: "mirror"` its downstream definition lets the
    // call become a task (`start: "handler"`), so it becomes one when the caller asks.
    const callTool = (
      tool: string,
      args: Record<string, unknown>,
      ctx: HandlerContext,
      taskSupport: unknown,
    ) =>
      run(
        ctx,
        (calls) =>
          calls === legacy && this.#modern.has(name)
            ? legacy.callTool(tool, args, ctx, SESSION_LISTING)
            : calls.callTool(tool, args, ctx, taskSupport),
      );
    return {
      callTool: (tool, args, ctx, taskSupport) => {
        if (!this.#legacyCaller(name, endpoint, ctx)) return callTool(tool, args, ctx, taskSupport);
        if (settings.tasks !== "mirror" || !this.#directsTasks.has(name)) {
          return callTool(tool, args, ctx, taskSupport);
        }
        return Promise.resolve(runAsTask(async (taskCtx) => {
          const answer = await callTool(tool, args, taskCtx, taskSupport);
          // Refused as 2026-07-28-only, the call went in 2026-07-28: its task runs here.
          const work = taskWorkOf(answer);
          return work === undefined ? answer as CallToolResult : await work(taskCtx);
        }));
      },
      getPrompt: (prompt, args, ctx) => run(ctx, (calls) => calls.getPrompt(prompt, args, ctx)),
      readResource: (uri, ctx) => run(ctx, (calls) => calls.readResource(uri, ctx)),
      subscribe: (uri, ctx) => run(ctx, (calls) => calls.subscribe(uri, ctx)),
      unsubscribe: (uri, ctx) => run(ctx, (calls) => calls.unsubscribe(uri, ctx)),
      complete: (request, ctx) => run(ctx, (calls) => calls.complete(request, ctx)),
    };
  }

  /** True when `ctx`'s call of 2026-07-28 upstream `name` goes through a 2025 session. */
  #legacyCaller(name: string, endpoint: ModernEndpoint, ctx: HandlerContext): boolean {
    return this.#modern.has(name) && endpoint.protocol === "auto" &&
      !this.#modernOnly.has(name) && eraOf(ctx.protocolVersion) !== "modern";
  }

  /** A 2025 upstream's call: a refused session is its failure (it has no 2026-07-28 side). */
  async #legacy<T>(name: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof NoLegacySessions) throw upstreamFailure(name, error.cause);
      throw error;
    }
  }
}
