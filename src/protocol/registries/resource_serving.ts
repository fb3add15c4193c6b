/**
 * Serving one URI: what serves it (the fixed resource with that exact URI,
 * else the first template that matches) as a view lets the caller see it
 * (hidden is absent, denied is refused), `resources/read` on it (-32002 when
 * nothing does) and its subscribe hooks around the session's subscription.
 * It holds and registers no definitions and lists nothing (resources.ts does).
 * @module
 */

import { echoInput } from "../../jsonrpc/echo.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { HandlerContext, RequestContext } from "../context/request_context.ts";
import type { ResourceDefinition, ResourceTemplateDefinition } from "../definitions/definitions.ts";
import { deniedError, type ResourceVerdict } from "../definitions/views.ts";
import type { ResourceContents } from "../types.ts";
import type { CompiledTemplate } from "./compiled_resource.ts";
import { toResourceContents } from "./resource_listing.ts";

/** A fixed resource's or a template's definition. */
type Served = ResourceDefinition | ResourceTemplateDefinition;

/** What serves a URI for a caller under `verdict` (see {@linkcode servingFor}), looked up when asked. */
export type ServingLookup = (verdict?: ResourceVerdict) => Served | undefined;

/** The session's side of a subscription. */
type Subscriptions = Pick<RequestContext, "subscribe" | "unsubscribe">;

function notFound(uri: string): McpError {
  return new McpError(ErrorCode.ResourceNotFound, "Resource not found", { uri: echoInput(uri) });
}

/**
 * `definition` when the caller sees it (allowed); undefined when hidden or
 * absent; throws when denied. Without `verdict`, `definition` as it is.
 *
 * @example
 * ```ts ignore (internal: needs a view's verdict)
 * const template = seenBy(definition, "resourceTemplate", uri, verdict);
 * ```
 */
export function seenBy<T extends Served>(
  definition: T | undefined,
  kind: "resource" | "resourceTemplate",
  uri: string,
  verdict: ResourceVerdict | undefined,
): T | undefined {
  if (definition === undefined || verdict === undefined) return definition;
  const seen = verdict(kind, definition);
  if (seen === "deny") throw deniedError("Resource", uri);
  return seen === "hide" ? undefined : definition;
}

/**
 * What serves `uri` for the caller: the fixed resource, else the first
 * matching template it sees; undefined when none does.
 *
 * @example
 * ```ts ignore (internal: needs the registry's entries)
 * const serving = servingFor(resources, templates, uri, verdict);
 * ```
 */
export function servingFor(
  resources: ReadonlyMap<string, ResourceDefinition>,
  templates: readonly CompiledTemplate[],
  uri: string,
  verdict?: ResourceVerdict,
): Served | undefined {
  const fixed = seenBy(resources.get(uri), "resource", uri, verdict);
  if (fixed !== undefined) return fixed;
  for (const { definition, matcher } of templates) {
    if (matcher.match(uri) === undefined) continue;
    const seen = seenBy(definition, "resourceTemplate", uri, verdict);
    if (seen !== undefined) return seen;
  }
  return undefined;
}

/**
 * Reads a URI: an exact resource first, then the first matching template
 * (a template whose reader returns undefined ends the search). With
 * `verdict`, what the caller may not see is passed over as absent, and what
 * it may not use is refused.
 *
 * @example
 * ```ts ignore (internal: needs the registry's entries and a request's context)
 * const contents = await readResource(resources, templates, uri, ctx, verdict);
 * ```
 */
export async function readResource(
  resources: ReadonlyMap<string, ResourceDefinition>,
  templates: readonly CompiledTemplate[],
  uri: string,
  ctx: HandlerContext,
  verdict: ResourceVerdict | undefined,
): Promise<ResourceContents[]> {
  const fixed = seenBy(resources.get(uri), "resource", uri, verdict);
  if (fixed !== undefined) {
    return toResourceContents(uri, fixed.mimeType, await fixed.read(uri, ctx));
  }
  for (const { definition, matcher } of templates) {
    const variables = matcher.match(uri);
    if (variables === undefined) continue;
    if (seenBy(definition, "resourceTemplate", uri, verdict) === undefined) continue;
    const value = await definition.read(uri, variables, ctx);
    if (value === undefined) break;
    return toResourceContents(uri, definition.mimeType, value);
  }
  throw notFound(uri);
}

/**
 * Records `ctx`'s session's subscription to `uri`, then tells the
 * `subscribe` hook of what `serving` finds; the hook's rejection undoes the
 * subscription. With `verdict`, a URI the caller does not see is not found.
 *
 * @example
 * ```ts ignore (internal: needs the session's subscriptions and a lookup)
 * await subscribeResource(uri, ctx, handlerContext, verdict, (v) => lookup(uri, v));
 * ```
 */
export async function subscribeResource(
  uri: string,
  ctx: Subscriptions,
  handlerContext: () => HandlerContext,
  verdict: ResourceVerdict | undefined,
  serving: ServingLookup,
): Promise<void> {
  const served = verdict === undefined ? undefined : serving(verdict);
  if (verdict !== undefined && served === undefined) throw notFound(uri);
  await ctx.subscribe(uri);
  const hook = (served ?? serving() ?? {}).subscribe;
  if (hook === undefined) return;
  try {
    await hook(uri, handlerContext());
  } catch (error) {
    await ctx.unsubscribe(uri).catch(() => {});
    throw error;
  }
}

/**
 * Removes that subscription, then tells the `unsubscribe` hook of what
 * `serving` finds.
 *
 * @example
 * ```ts ignore (internal: needs the session's subscriptions and a lookup)
 * await unsubscribeResource(uri, ctx, handlerContext, verdict, (v) => lookup(uri, v));
 * ```
 */
export async function unsubscribeResource(
  uri: string,
  ctx: Subscriptions,
  handlerContext: () => HandlerContext,
  verdict: ResourceVerdict | undefined,
  serving: ServingLookup,
): Promise<void> {
  await ctx.unsubscribe(uri);
  // Hidden or denied now: the session's record goes, the hook is not told.
  let served;
  try {
    served = serving(verdict);
  } catch {
    return;
  }
  await served?.unsubscribe?.(uri, handlerContext());
}
