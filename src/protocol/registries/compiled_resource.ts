/**
 * One resource or resource template definition checked at registration, and
 * a template compiled to its URI matcher and its `resources/templates/list`
 * entry. It throws a TypeError naming the definition; it holds and looks up
 * nothing (resources.ts does).
 * @module
 */

import type { ResourceDefinition, ResourceTemplateDefinition } from "../definitions/definitions.ts";
import { checkCacheHint } from "../definitions/cache_hint.ts";
import { checkIcons } from "../definitions/icons.ts";
import { checkScopes } from "../definitions/scopes.ts";
import { pick, TEMPLATE_KEYS } from "./resource_listing.ts";
import { compileUriTemplate, type UriTemplate } from "./uri_template.ts";

/** A resource template checked and compiled once, with its listing entry. */
export interface CompiledTemplate {
  definition: ResourceTemplateDefinition;
  /** Matches a URI against the template, giving its variables. */
  matcher: UriTemplate;
  /** The `resources/templates/list` entry. */
  listing: Record<string, unknown>;
}

/**
 * Checks a fixed resource before it joins `registered`: a uri, a read
 * function, a uri not taken, its cache hint and its scopes. Its icons are
 * checked by the registry, after it recorded the scopes.
 *
 * @example
 * ```ts ignore (internal: the resource registry's add path)
 * checkResource(definition, resources);
 * ```
 */
export function checkResource(
  definition: ResourceDefinition,
  registered: ReadonlyMap<string, ResourceDefinition>,
): void {
  if (typeof definition.uri !== "string" || definition.uri === "") {
    throw new TypeError("Resource needs a uri");
  }
  if (typeof definition.read !== "function") {
    throw new TypeError(`Resource ${definition.uri} has no read function`);
  }
  if (registered.has(definition.uri)) {
    throw new TypeError(`Duplicate resource uri: ${definition.uri}`);
  }
  if (definition.cache !== undefined) {
    checkCacheHint(definition.cache, `Resource ${definition.uri}`);
  }
  checkScopes(definition.scopes, `Resource ${definition.uri}`);
}

/**
 * Checks a resource template before it joins `registered`: a read
 * function, a template text not taken, its cache hint and its scopes.
 * {@linkcode compileTemplate} checks the rest.
 *
 * @example
 * ```ts ignore (internal: the resource registry's add path)
 * checkTemplate(definition, templates);
 * ```
 */
export function checkTemplate(
  definition: ResourceTemplateDefinition,
  registered: readonly CompiledTemplate[],
): void {
  if (typeof definition.read !== "function") {
    throw new TypeError(`Resource template ${definition.uriTemplate} has no read function`);
  }
  if (registered.some((t) => t.definition.uriTemplate === definition.uriTemplate)) {
    throw new TypeError(`Duplicate resource template: ${definition.uriTemplate}`);
  }
  if (definition.cache !== undefined) {
    checkCacheHint(definition.cache, `Resource template ${definition.uriTemplate}`);
  }
  checkScopes(definition.scopes, `Resource template ${definition.uriTemplate}`);
}

/**
 * Checks a template's icons and compiles its RFC 6570 pattern; throws on a
 * malformed one.
 *
 * @example
 * ```ts ignore (internal: the resource registry's add path)
 * templates.push(compileTemplate(definition));
 * ```
 */
export function compileTemplate(definition: ResourceTemplateDefinition): CompiledTemplate {
  checkIcons(definition.icons, `Resource template ${definition.uriTemplate}`);
  const matcher = compileUriTemplate(definition.uriTemplate);
  return { definition, matcher, listing: pick(definition, TEMPLATE_KEYS) };
}
