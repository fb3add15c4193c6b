/**
 * Which revision the gateway speaks to each upstream, as its discovery
 * found: a 2026-07-28 upstream (modern_discovery.ts) is read and called in
 * independent requests (modern_calls.ts), any other through 2025 sessions
 * (upstream_calls.ts). The choice is made when discovery opens the
 * upstream (at startup, or when an unavailable one comes back) and kept.
 * @module
 */

// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Principal } from "../protocol/context/request_context.ts";
import type { UpstreamCalls } from "./catalog/catalog.ts";
import type { DiscoverySession } from "./catalog/discovery.ts";
import { modernCalls, type ModernCallSettings } from "./modern/modern_calls.ts";
import { ModernSession, negotiate } from "./modern/modern_discovery.ts";
import type { ListKind, UpstreamConnection } from "./sessions/upstream_connection.ts";
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
    if (endpoint === undefined || capabilities === undefined) {
      this.#modern.delete(upstream.name);
      return await openLegacy();
    }
    this.#modern.add(upstream.name);
    return new ModernSession(endpoint, capabilities, {
      principal,
      onListChanged,
      retryMs,
      maxRetryMs,
    });
  }

  /** What readCatalog reads `session`'s lists through (both shapes answer as the SDK client does). */
  lister(session: DiscoverySession): Client {
    return session instanceof ModernSession
      ? session as unknown as Client
      : (session as UpstreamConnection).client;
  }

  /** `upstream`'s calls: `legacy`'s, or a 2026-07-28 upstream's own (decided per call). */
  calls(upstream: Upstream, legacy: UpstreamCalls, settings: ModernCallSettings): UpstreamCalls {
    if (upstream.modern === undefined) return legacy;
    const modern = modernCalls(upstream.name, upstream.modern, settings);
    const pick = () => this.#modern.has(upstream.name) ? modern : legacy;
    return {
      callTool: (...args) => pick().callTool(...args),
      getPrompt: (...args) => pick().getPrompt(...args),
      readResource: (...args) => pick().readResource(...args),
      subscribe: (...args) => pick().subscribe(...args),
      unsubscribe: (...args) => pick().unsubscribe(...args),
      complete: (...args) => pick().complete(...args),
    };
  }
}
