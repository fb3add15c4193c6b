/**
 * Keeps an attached handler's lists in step with the upstreams: when an
 * upstream says a list changed, the gateway rereads it (one reread at a time
 * per list, once more if it changed meanwhile) and swaps that upstream's
 * entries in the handler's registries. It does not read upstreams itself.
 * @module
 */

import type { UpstreamCatalog } from "./catalog.ts";
import type { PromptRegistry } from "../protocol/prompts.ts";
import type { ResourceRegistry } from "../protocol/resources.ts";
import type { ToolRegistry } from "../protocol/tools.ts";
import type { ListKind } from "./upstream_connection.ts";

/**
 * The registries a gateway keeps up to date: an `McpHandler` has them.
 *
 * @example
 * ```ts ignore
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

/** Rereads one upstream list: the entries before and after, or undefined when nothing is to apply. */
export type Reread = (
  upstream: string,
  kind: ListKind,
) => Promise<{ previous: Partial<UpstreamCatalog>; next: Partial<UpstreamCatalog> } | undefined>;

/** Rereads an upstream's list when it says it changed, one reread at a time per list. */
export class Refresher {
  readonly #onError: (error: unknown) => void;
  #reread: Reread | undefined;
  #target: GatewayTarget | undefined;
  #running = new Map<string, Promise<void>>();
  #again = new Set<string>();

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  bind(reread: Reread): void {
    this.#reread = reread;
  }

  attach(target: GatewayTarget): void {
    this.#target = target;
  }

  /** Notes a change; a change during a reread rereads once more after it. */
  changed(upstream: string, kind: ListKind): void {
    const key = `${upstream}\n${kind}`;
    if (this.#running.has(key)) {
      this.#again.add(key);
      return;
    }
    const run = (async () => {
      do {
        this.#again.delete(key);
        try {
          const change = await this.#reread?.(upstream, kind);
          if (change !== undefined) this.#apply(change.previous, change.next);
        } catch (error) {
          this.#onError(error);
        }
      } while (this.#again.has(key));
      this.#running.delete(key);
    })();
    this.#running.set(key, run);
  }

  #apply(previous: Partial<UpstreamCatalog>, next: Partial<UpstreamCatalog>): void {
    const target = this.#target;
    if (target === undefined) return;
    if (next.tools !== previous.tools) {
      for (const tool of previous.tools ?? []) target.tools.remove(tool.name);
      for (const tool of next.tools ?? []) target.tools.add(tool);
    }
    if (next.prompts !== previous.prompts) {
      for (const prompt of previous.prompts ?? []) target.prompts.remove(prompt.name);
      for (const prompt of next.prompts ?? []) target.prompts.add(prompt);
    }
    if (next.resources !== previous.resources) {
      for (const resource of previous.resources ?? []) target.resources.remove(resource.uri);
      for (const template of previous.resourceTemplates ?? []) {
        target.resources.remove(template.uriTemplate);
      }
      for (const resource of next.resources ?? []) target.resources.add(resource);
      for (const template of next.resourceTemplates ?? []) target.resources.addTemplate(template);
    }
  }
}
