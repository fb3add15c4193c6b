/**
 * The resource registry: fixed resources by URI and templates by RFC 6570
 * pattern, added, replaced and removed at runtime; `resources/list`,
 * `resources/templates/list`, the lookups the dispatcher asks (scopes, cache
 * hints, completers). Checking a definition is compiled_resource.ts's job;
 * reading a URI and its subscribe hooks, resource_serving.ts's.
 * @module
 */

import type { HandlerContext, RequestContext } from "../context/request_context.ts";
import {
  type Completer,
  ownCompleter,
  type ResourceDefinition,
  type ResourceTemplateDefinition,
} from "../definitions/definitions.ts";
import type { ChangeListener } from "./tools.ts";
import type { ResourceContents } from "../types.ts";
import type { CacheHint } from "../definitions/cache_hint.ts";
import { checkIcons } from "../definitions/icons.ts";
import { missingScopes, NO_SCOPES } from "../definitions/scopes.ts";
import { declaresScopes, swapped } from "./registry_swap.ts";
import type { ResourceLens, ResourceVerdict } from "../definitions/views.ts";
import { NONE, pick, RESOURCE_KEYS } from "./resource_listing.ts";
import {
  checkResource,
  checkTemplate,
  type CompiledTemplate,
  compileTemplate,
} from "./compiled_resource.ts";
import {
  readResource,
  seenBy,
  servingFor,
  type ServingLookup,
  subscribeResource,
  unsubscribeResource,
} from "./resource_serving.ts";

export { toResourceContents } from "./resource_listing.ts";

/**
 * The server's resources and resource templates.
 *
 * @example
 * ```ts
 * import { createMcpHandler, defineResource } from "@tether/mcp";
 * import type { ResourceRegistry } from "@tether/mcp/types";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", resources: [] });
 * const resources: ResourceRegistry = handler.resources;
 * resources.add(defineResource({ uri: "docs://news", name: "news", read: () => "nothing yet" }));
 * ```
 */
export class ResourceRegistry {
  #scoped = false;
  #resources = new Map<string, ResourceDefinition>();
  #templates: CompiledTemplate[] = [];
  #resourceListing: Record<string, unknown>[] | undefined;
  #templateListing: Record<string, unknown>[] | undefined;
  #onChange: ChangeListener | undefined;

  /** Creates a registry; throws on duplicate URIs or malformed templates. */
  constructor(
    resources: readonly ResourceDefinition[] = [],
    templates: readonly ResourceTemplateDefinition[] = [],
  ) {
    for (const resource of resources) this.#addResource(resource);
    for (const template of templates) this.#addTemplate(template);
  }

  /** Registers the listener told about runtime changes. */
  onChange(listener: ChangeListener): void {
    this.#onChange = listener;
  }

  #addResource(
    definition: ResourceDefinition,
    into: Map<string, ResourceDefinition> = this.#resources,
  ): void {
    checkResource(definition, into);
    if (into === this.#resources) this.#scoped ||= declaresScopes(definition);
    checkIcons(definition.icons, `Resource ${definition.uri}`);
    into.set(definition.uri, definition);
    this.#resourceListing = undefined;
  }

  #addTemplate(
    definition: ResourceTemplateDefinition,
    into: CompiledTemplate[] = this.#templates,
  ): void {
    checkTemplate(definition, into);
    if (into === this.#templates) this.#scoped ||= declaresScopes(definition);
    into.push(compileTemplate(definition));
    this.#templateListing = undefined;
  }

  /** Adds a fixed resource at runtime. */
  add(definition: ResourceDefinition): void {
    this.#addResource(definition);
    this.#onChange?.();
  }

  /** Adds a template at runtime. */
  addTemplate(definition: ResourceTemplateDefinition): void {
    this.#addTemplate(definition);
    this.#onChange?.();
  }

  /**
   * Removes the fixed resources and templates `remove` names (URIs and
   * template texts) and adds `resources` and `templates`, as one change:
   * every definition is checked first, so a throw leaves the registry as it
   * was; listeners hear of it once.
   *
   * @example
   * ```ts
   * import { createMcpHandler, defineResource } from "@tether/mcp";
   * const handler = createMcpHandler({ name: "app", version: "1.0.0", resources: [] });
   * handler.resources.replace([], [defineResource({ uri: "docs://a", name: "a", read: () => "a" })]);
   * handler.resources.replace(["docs://a"], []);
   * ```
   */
  replace(
    remove: Iterable<string>,
    resources: readonly ResourceDefinition[],
    templates: readonly ResourceTemplateDefinition[] = [],
  ): void {
    const gone = new Set(remove);
    const nextTemplates = this.#templates.filter((t) => !gone.has(t.definition.uriTemplate));
    const same = nextTemplates.length === this.#templates.length && templates.length === 0;
    const fixed = swapped(this.#resources, gone, (into) => {
      for (const resource of resources) this.#addResource(resource, into);
      for (const template of templates) this.#addTemplate(template, nextTemplates);
    });
    if (fixed === undefined && same) return;
    this.#resources = fixed ?? this.#resources;
    this.#templates = nextTemplates;
    this.#scoped ||= [...resources, ...templates].some(declaresScopes);
    this.#resourceListing = undefined;
    this.#templateListing = undefined;
    this.#onChange?.();
  }

  /** Every fixed resource's and template's definition, in definition order. */
  definitions(): { resources: ResourceDefinition[]; templates: ResourceTemplateDefinition[] } {
    return {
      resources: [...this.#resources.values()],
      templates: this.#templates.map((t) => t.definition),
    };
  }

  /** Removes a fixed resource (by URI) or a template (by its template text). */
  remove(uriOrTemplate: string): boolean {
    let removed = this.#resources.delete(uriOrTemplate);
    const before = this.#templates.length;
    this.#templates = this.#templates.filter((t) => t.definition.uriTemplate !== uriOrTemplate);
    removed ||= this.#templates.length !== before;
    if (removed) {
      this.#resourceListing = undefined;
      this.#templateListing = undefined;
      this.#onChange?.();
    }
    return removed;
  }

  /**
   * Fixed resources plus whatever templates' `list` functions return. A
   * template whose `scopes` the caller lacks is not asked: what it lists is
   * the data reading needs those scopes for (the fixed entries and the
   * templates themselves are still listed, so a client learns what to ask for).
   */
  async list(
    ctx: HandlerContext,
    lens?: ResourceLens,
  ): Promise<readonly Record<string, unknown>[]> {
    this.#resourceListing ??= [...this.#resources.values()].map((r) => pick(r, RESOURCE_KEYS));
    let fixed = this.#resourceListing;
    if (lens !== undefined) {
      const definitions = [...this.#resources.values()];
      fixed = fixed.flatMap<Record<string, unknown>>((listing, at) =>
        lens("resource", definitions[at], listing) ?? NONE
      );
    }
    const dynamic: Record<string, unknown>[] = [];
    for (const { definition, listing } of this.#templates) {
      // What a template lists is seen as the template is (not listed when it is not).
      if (lens !== undefined && lens("resourceTemplate", definition, listing) === undefined) {
        continue;
      }
      if (definition.list !== undefined) {
        const scopes = definition.scopes ?? NO_SCOPES;
        if (missingScopes(scopes, ctx.principal).length > 0) continue;
        dynamic.push(...(await definition.list(ctx)).map((entry) => ({ ...entry })));
      }
    }
    return dynamic.length === 0 ? fixed : [...fixed, ...dynamic];
  }

  /** The `resources/templates/list` entries (as `lens` shows them). */
  listTemplates(lens?: ResourceLens): readonly Record<string, unknown>[] {
    const listing = this.#templateListing ??= this.#templates.map((t) => t.listing);
    if (lens === undefined) return listing;
    return this.#templates.flatMap<Record<string, unknown>>((t) =>
      lens("resourceTemplate", t.definition, t.listing) ?? NONE
    );
  }

  /**
   * Reads a URI: an exact resource first, then the first matching template.
   * With `verdict`, what the caller may not see is passed over as absent,
   * and what it may not use is refused.
   */
  read(uri: string, ctx: HandlerContext, verdict?: ResourceVerdict): Promise<ResourceContents[]> {
    return readResource(this.#resources, this.#templates, uri, ctx, verdict);
  }

  /** The cache hint of what reading `uri` returns: its resource's, or its first matching template's. */
  cacheHint(uri: string): CacheHint | undefined {
    return this.servedBy(uri)?.cache;
  }

  /** True once a definition that declares scopes was added: until then no call needs checking. */
  get scoped(): boolean {
    return this.#scoped;
  }

  /** The scopes reading `uri` needs: its resource's, or its first matching template's (none when nothing matches). */
  scopes(uri: unknown): readonly string[] {
    return (typeof uri === "string" ? this.servedBy(uri)?.scopes : undefined) ?? NO_SCOPES;
  }

  /**
   * The scopes completing a variable of `uriTemplate` needs (a completion
   * ref names the template itself, not a URI it matches): the template's,
   * or the fixed resource's of that URI; none when neither is known.
   */
  completionScopes(uriTemplate: unknown): readonly string[] {
    if (typeof uriTemplate !== "string") return NO_SCOPES;
    const template = this.#templates.find((t) => t.definition.uriTemplate === uriTemplate);
    if (template !== undefined) return template.definition.scopes ?? NO_SCOPES;
    return this.#resources.get(uriTemplate)?.scopes ?? NO_SCOPES;
  }

  /**
   * What serves `uri`, as a name of the server's own: the fixed resource's
   * URI, else the first matching template's `uriTemplate`; undefined when
   * nothing does (telemetry names a read by it, never by a client's URI).
   */
  definedName(uri: string): string | undefined {
    const served = this.servedBy(uri);
    return served === undefined ? undefined : "uri" in served ? served.uri : served.uriTemplate;
  }

  /** The definition that serves `uri`: its fixed resource, else its first matching template. */
  servedBy(uri: string): ResourceDefinition | ResourceTemplateDefinition | undefined {
    return this.#resources.get(uri) ??
      this.#templates.find((t) => t.matcher.match(uri) !== undefined)?.definition;
  }

  /** True when a fixed resource has this URI or a template matches it (that the caller sees, with `verdict`; one it may not use is refused). */
  has(uri: string, verdict?: ResourceVerdict): boolean {
    if (verdict === undefined) {
      return this.#resources.has(uri) ||
        this.#templates.some((t) => t.matcher.match(uri) !== undefined);
    }
    return servingFor(this.#resources, this.#templates, uri, verdict) !== undefined;
  }

  /**
   * Records `ctx`'s session's subscription to `uri`, then tells the
   * `subscribe` hook of what serves it (its resource's, or its first
   * matching template's); the hook's rejection undoes the subscription.
   */
  subscribe(
    uri: string,
    ctx: Pick<RequestContext, "subscribe" | "unsubscribe">,
    handlerContext: () => HandlerContext,
    verdict?: ResourceVerdict,
  ): Promise<void> {
    return subscribeResource(uri, ctx, handlerContext, verdict, this.#serving(uri));
  }

  /** Removes that subscription, then tells the `unsubscribe` hook. */
  unsubscribe(
    uri: string,
    ctx: Pick<RequestContext, "subscribe" | "unsubscribe">,
    handlerContext: () => HandlerContext,
    verdict?: ResourceVerdict,
  ): Promise<void> {
    return unsubscribeResource(uri, ctx, handlerContext, verdict, this.#serving(uri));
  }

  /** What serves `uri` for a caller, looked up when asked (after an await, in the entries then). */
  #serving(uri: string): ServingLookup {
    return (verdict) => servingFor(this.#resources, this.#templates, uri, verdict);
  }

  /**
   * The completer for a template variable; undefined when the template or
   * completer is unknown. With `verdict`, a hidden one is unknown and a
   * denied one refused.
   */
  completer(
    uri: string,
    variable: string,
    verdict?: ResourceVerdict,
  ): { known: boolean; completer?: Completer } {
    const template = this.#templates.find((t) => t.definition.uriTemplate === uri);
    if (seenBy(template?.definition, "resourceTemplate", uri, verdict) !== undefined) {
      return { known: true, completer: ownCompleter(template!.definition.complete, variable) };
    }
    return { known: seenBy(this.#resources.get(uri), "resource", uri, verdict) !== undefined };
  }
}
