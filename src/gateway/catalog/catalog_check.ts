/**
 * Whether an upstream's entries may be served: checked, before anything
 * changes, against every other upstream's served entries and the handler's
 * own (the registries' entries no upstream serves). It decides; it changes
 * nothing (served_catalogs.ts applies what it allows).
 * @module
 */

import type { UpstreamCatalog } from "./catalog.ts";
import { keysOf } from "./catalog.ts";
import type { GatewayTarget } from "./list_refresher.ts";

/**
 * The URI scheme a resource URI or URI template starts with, lowercased;
 * undefined when it starts with anything else (a template's expression).
 *
 * @example
 * ```ts
 * import { schemeOf } from "./catalog_check.ts";
 * schemeOf("File:///etc/hosts"); // "file"
 * schemeOf("{+uri}"); // undefined
 * ```
 */
export function schemeOf(uri: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1].toLowerCase();
}

/** Every definition object an upstream serves (told apart from the handler's own by identity). */
function servedDefinitions(
  served: ReadonlyMap<string, Partial<UpstreamCatalog>>,
): Set<object> {
  const owned = new Set<object>();
  for (const catalog of served.values()) {
    for (const list of Object.values(catalog)) for (const entry of list ?? []) owned.add(entry);
  }
  return owned;
}

/** The schemes of the handler's own resources and templates; `*` when one of its templates starts with an expression. */
function ownSchemes(target: GatewayTarget, owned: Set<object>): Set<string> {
  const schemes = new Set<string>();
  const { resources, templates } = target.resources.definitions();
  for (const resource of resources) {
    if (!owned.has(resource)) schemes.add(schemeOf(resource.uri) ?? "*");
  }
  for (const template of templates) {
    if (!owned.has(template)) schemes.add(schemeOf(template.uriTemplate) ?? "*");
  }
  return schemes;
}

/** The resource rule: an upstream's URIs are in schemes of their own, none the handler's. */
function resourceRefusal(
  offered: Partial<UpstreamCatalog>,
  target: GatewayTarget | undefined,
  owned: Set<object>,
): string | undefined {
  const uris = [
    ...(offered.resources ?? []).map((resource) => resource.uri),
    ...(offered.resourceTemplates ?? []).map((template) => template.uriTemplate),
  ];
  if (uris.length === 0) return undefined;
  const own = target === undefined ? new Set<string>() : ownSchemes(target, owned);
  for (const uri of uris) {
    const scheme = schemeOf(uri);
    if (scheme === undefined) return `resource ${uri}, which does not start with a URI scheme`;
    if (own.has(scheme) || own.has("*")) {
      return `resource ${uri}, in the URI scheme "${scheme}" of the handler's own resources`;
    }
  }
  return undefined;
}

/**
 * Why `upstream` may not serve `offered` (its entries of the lists being
 * changed), or undefined when it may: a name or URI another upstream
 * serves, one of the handler's own (a tool, prompt, resource or template
 * in `target` that no upstream serves), one listed twice, or a resource in
 * a URI scheme the handler's own resources use.
 */
export function refusal(
  upstream: string,
  offered: Partial<UpstreamCatalog>,
  served: ReadonlyMap<string, Partial<UpstreamCatalog>>,
  target: GatewayTarget | undefined,
): string | undefined {
  const owners = new Map<string, string>();
  for (const [name, catalog] of served) {
    if (name !== upstream) { for (const key of keysOf(catalog)) owners.set(key, name); }
  }
  const seen = new Set<string>();
  for (const key of keysOf(offered)) {
    const owner = owners.get(key);
    if (owner !== undefined) return `${key}, which upstream "${owner}" offers`;
    if (seen.has(key)) return `${key} twice`;
    seen.add(key);
  }
  const owned = servedDefinitions(served);
  if (target !== undefined) {
    for (const tool of offered.tools ?? []) {
      const held = target.tools.definition(tool.name);
      if (held !== undefined && !owned.has(held)) {
        return `tool ${tool.name}, a tool of the handler's own`;
      }
    }
    for (const prompt of offered.prompts ?? []) {
      const held = target.prompts.definition(prompt.name);
      if (held !== undefined && !owned.has(held)) {
        return `prompt ${prompt.name}, a prompt of the handler's own`;
      }
    }
  }
  return resourceRefusal(offered, target, owned);
}
