/**
 * What each upstream lists and what the gateway serves of it: a fresh read
 * is checked (catalog_check.ts) and, once a handler is attached, swapped
 * into its registries all at once, or not at all. A refused read changes
 * nothing and throws. It does not read upstreams (discovery.ts does).
 * @module
 */

import { refuseCollisions, type UpstreamCatalog } from "./catalog.ts";
import { sameListing } from "./definition_origins.ts";
import { refusal } from "./catalog_check.ts";
import type { GatewayTarget } from "./list_refresher.ts";
import type { ListKind } from "../sessions/upstream_connection.ts";

/** Every list kind. */
export const ALL_KINDS: readonly ListKind[] = ["tools", "prompts", "resources"];

/** The entries of `catalog` in the lists `kinds` (those lists only). */
function only(
  catalog: Partial<UpstreamCatalog>,
  kinds: readonly ListKind[],
): Partial<UpstreamCatalog> {
  const part: Partial<UpstreamCatalog> = {};
  if (kinds.includes("tools")) part.tools = catalog.tools ?? [];
  if (kinds.includes("prompts")) part.prompts = catalog.prompts ?? [];
  if (kinds.includes("resources")) {
    part.resources = catalog.resources ?? [];
    part.resourceTemplates = catalog.resourceTemplates ?? [];
  }
  return part;
}

/** `catalog` with every list (empty where it has none). */
function whole(catalog: Partial<UpstreamCatalog>): UpstreamCatalog {
  return {
    tools: catalog.tools ?? [],
    prompts: catalog.prompts ?? [],
    resources: catalog.resources ?? [],
    resourceTemplates: catalog.resourceTemplates ?? [],
  };
}

/** Every definition `target`'s registries hold (the objects, told apart by identity). */
function heldDefinitions(target: GatewayTarget): Set<object> {
  const { resources, templates } = target.resources.definitions();
  return new Set<object>([
    ...target.tools.list().map((tool) => target.tools.definition(tool.name as string)!),
    ...target.prompts.list().map((prompt) => target.prompts.definition(prompt.name as string)!),
    ...resources,
    ...templates,
  ]);
}

/** The entries of `catalog` that `target` holds (the very definitions, not others of one name). */
function heldBy(target: GatewayTarget, catalog: Partial<UpstreamCatalog>): UpstreamCatalog {
  const held = heldDefinitions(target);
  const keep = <T extends object>(list: readonly T[] | undefined) =>
    (list ?? []).filter((entry) => held.has(entry));
  return {
    tools: keep(catalog.tools),
    prompts: keep(catalog.prompts),
    resources: keep(catalog.resources),
    resourceTemplates: keep(catalog.resourceTemplates),
  };
}

/** The entries of `a` not in `b` (by identity). */
function without<T extends object>(a: readonly T[], b: readonly T[]): T[] {
  const kept = new Set<object>(b);
  return a.filter((entry) => !kept.has(entry));
}

/** Replaces `from` with `to` in `target`: one registry operation per list, removing only what it holds of `from`. */
const steps = [
  (target: GatewayTarget, from: UpstreamCatalog, to: UpstreamCatalog) =>
    target.tools.replace(
      without(from.tools, to.tools).map((tool) => tool.name),
      without(to.tools, from.tools),
    ),
  (target: GatewayTarget, from: UpstreamCatalog, to: UpstreamCatalog) =>
    target.prompts.replace(
      without(from.prompts, to.prompts).map((prompt) => prompt.name),
      without(to.prompts, from.prompts),
    ),
  (target: GatewayTarget, from: UpstreamCatalog, to: UpstreamCatalog) =>
    target.resources.replace(
      [
        ...without(from.resources, to.resources).map((resource) => resource.uri),
        ...without(from.resourceTemplates, to.resourceTemplates).map((t) => t.uriTemplate),
      ],
      without(to.resources, from.resources),
      without(to.resourceTemplates, from.resourceTemplates),
    ),
];

/**
 * Replaces `before` with `after` in `target`; when a list's replacement
 * throws (an upstream definition tether refuses), the lists already
 * replaced are put back, so all change or none.
 */
function swap(target: GatewayTarget, before: UpstreamCatalog, after: UpstreamCatalog): void {
  const from = heldBy(target, before);
  let done = 0;
  try {
    for (; done < steps.length; done++) steps[done](target, from, after);
  } catch (error) {
    for (let step = done - 1; step >= 0; step--) steps[step](target, after, from);
    throw error;
  }
}

/** What the upstreams list, and what of it is served (in the attached handler, once attached). */
export class ServedCatalogs {
  /** Each upstream's newest lists, as read (served or refused). */
  #listed = new Map<string, Partial<UpstreamCatalog>>();
  /** What each upstream serves: the definitions in the handler (or `definitions()` before attach). */
  #served = new Map<string, Partial<UpstreamCatalog>>();
  #target: GatewayTarget | undefined;

  /** The first reads (upstreams in order); two upstreams offering one name throw. */
  start(read: ReadonlyMap<string, Partial<UpstreamCatalog>>): void {
    refuseCollisions(read);
    for (const [upstream, catalog] of read) {
      this.#listed.set(upstream, catalog);
      this.#served.set(upstream, catalog);
    }
  }

  /** A copy, to serve the same lists into another target (attach it next). */
  fork(): ServedCatalogs {
    const copy = new ServedCatalogs();
    copy.#listed = new Map(this.#listed);
    copy.#served = new Map(this.#served);
    return copy;
  }

  /** True once `upstream`'s lists were read. */
  has(upstream: string): boolean {
    return this.#listed.has(upstream);
  }

  /** Everything served, upstreams in order. */
  definitions(): UpstreamCatalog {
    const all: UpstreamCatalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };
    for (const catalog of this.#served.values()) {
      all.tools.push(...(catalog.tools ?? []));
      all.prompts.push(...(catalog.prompts ?? []));
      all.resources.push(...(catalog.resources ?? []));
      all.resourceTemplates.push(...(catalog.resourceTemplates ?? []));
    }
    return all;
  }

  /**
   * A fresh read of `upstream`'s lists `kinds`: served when the check
   * allows it; otherwise throws, and what is served stays as it was.
   */
  update(upstream: string, fresh: Partial<UpstreamCatalog>, read: readonly ListKind[]): void {
    const served = this.#served.get(upstream) ?? {};
    // A list read as it was served stays as it is: no swap, no list_changed.
    const same = (list: keyof UpstreamCatalog) => sameListing(served[list], fresh[list]);
    const kinds = read.filter((kind) =>
      kind === "resources" ? !same("resources") || !same("resourceTemplates") : !same(kind)
    );
    this.#listed.set(upstream, { ...this.#listed.get(upstream), ...only(fresh, read) });
    if (kinds.length === 0) return;
    const reason = this.#serve(upstream, kinds, served);
    if (reason !== undefined) {
      throw new TypeError(
        `Gateway: upstream "${upstream}" offers ${reason}; its ${
          kinds.join(", ")
        } stay as they were`,
      );
    }
  }

  /**
   * From now on serves into `target`'s registries. Each upstream's entries
   * `target` already holds (spread into `createMcpHandler`) count as served;
   * its newest lists are served through the same check, and an upstream
   * refused is withdrawn from `target` whole. Returns the refusals.
   */
  attach(target: GatewayTarget): Error[] {
    this.#target = target;
    const refusals: Error[] = [];
    for (const upstream of this.#listed.keys()) {
      const held = heldBy(target, this.#served.get(upstream) ?? {});
      this.#served.set(upstream, held);
      let reason: string | undefined;
      try {
        reason = this.#serve(upstream, ALL_KINDS, held);
      } catch (error) {
        reason = `an entry tether refuses (${(error as Error).message})`;
      }
      if (reason === undefined) continue;
      swap(target, held, whole({}));
      this.#served.set(upstream, {});
      refusals.push(
        new TypeError(
          `Gateway: upstream "${upstream}" offers ${reason}; none of its entries are served until a reread passes`,
        ),
      );
    }
    return refusals;
  }

  /** Serves `upstream`'s listed `kinds` in place of `served`'s; the refusal, with nothing changed. */
  #serve(
    upstream: string,
    kinds: readonly ListKind[],
    served: Partial<UpstreamCatalog>,
  ): string | undefined {
    const offered = only(this.#listed.get(upstream) ?? {}, kinds);
    const reason = refusal(upstream, offered, this.#served, this.#target);
    if (reason !== undefined) return reason;
    if (this.#target !== undefined) {
      swap(this.#target, whole(only(served, kinds)), whole(offered));
    }
    this.#served.set(upstream, { ...served, ...offered });
    return undefined;
  }
}
