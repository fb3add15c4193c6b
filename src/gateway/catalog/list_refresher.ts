/**
 * When to reread an upstream's lists: on its `list_changed`, one reread at
 * a time per upstream, once more if a list changed meanwhile; and what a
 * gateway serves into (`GatewayTarget`). It neither reads upstreams
 * (discovery.ts) nor changes registries (served_catalogs.ts).
 * @module
 */

import type { PromptRegistry } from "../../protocol/registries/prompts.ts";
import type { ResourceRegistry } from "../../protocol/registries/resources.ts";
import type { ToolRegistry } from "../../protocol/registries/tools.ts";
import type { ListKind } from "../sessions/upstream_connection.ts";

/**
 * The registries a gateway keeps up to date: an `McpHandler` has them.
 *
 * @example
 * ```ts ignore (a fragment: `gateway` and `handler` come from createGateway and createMcpHandler)
 * gateway.attach(handler); // handler.tools, handler.resources, handler.prompts
 * ```
 */
export interface GatewayTarget {
  /** The tools (an upstream's changes are removed and added here). */
  readonly tools: ToolRegistry;
  /** The resources and templates. */
  readonly resources: ResourceRegistry;
  /** The prompts. */
  readonly prompts: PromptRegistry;
  /** Sends a notification to one downstream session (a subscribed resource's update). */
  notify?(
    sessionId: string,
    notification: { method: string; params?: Record<string, unknown> },
  ): Promise<boolean>;
}

/** Rereads the lists `kinds` of one upstream and serves what it read (discovery.ts). */
export type Reread = (upstream: string, kinds: readonly ListKind[]) => Promise<void>;

/**
 * Rereads an upstream's lists when it says they changed: one reread at a
 * time per upstream; what changes meanwhile is reread once after it, the
 * lists together.
 */
export class Refresher {
  readonly #onError: (error: unknown) => void;
  #reread: Reread | undefined;
  #pending = new Map<string, Set<ListKind>>();
  #running = new Set<string>();

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  bind(reread: Reread): void {
    this.#reread = reread;
  }

  /** Notes a change of `kinds`; a change during a reread rereads once more after it. */
  changed(upstream: string, kinds: readonly ListKind[]): void {
    const pending = this.#pending.get(upstream) ?? new Set();
    for (const kind of kinds) pending.add(kind);
    this.#pending.set(upstream, pending);
    if (this.#running.has(upstream)) return;
    this.#running.add(upstream);
    void (async () => {
      for (let next = this.#take(upstream); next.length > 0; next = this.#take(upstream)) {
        try {
          await this.#reread?.(upstream, next);
        } catch (error) {
          this.#onError(error);
        }
      }
      this.#running.delete(upstream);
    })();
  }

  #take(upstream: string): ListKind[] {
    const kinds = [...this.#pending.get(upstream) ?? []];
    this.#pending.delete(upstream);
    return kinds;
  }
}
