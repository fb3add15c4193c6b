/**
 * What the upstreams offer, listed under the gateway's namespace: every page
 * of each upstream's tools, prompts, resources and resource templates, read
 * over one discovery session per upstream, turned into tether definitions
 * whose handlers call through the caller's own upstream session. Names that
 * collide are refused. It does not call anything itself (gateway.ts does).
 * @module
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type {
  AnyPromptDefinition,
  AnyToolDefinition,
  Completer,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from "../../protocol/definitions/definitions.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import type { DeferredResult } from "../../protocol/definitions/deferred_result.ts";
import type { CallToolResult, GetPromptResult, ResourceContents } from "../../protocol/types.ts";
import { compileUriTemplate } from "../../protocol/registries/uri_template.ts";
import { UPSTREAM_OF } from "../../protocol/dispatch/audit.ts";
import { TASKS_EXTENSION } from "../modern/modern_tasks.ts";
import type { ListKind } from "../sessions/upstream_connection.ts";

/**
 * How an upstream's tool or prompt is named downstream, given the upstream's
 * name and the name it lists. Default: `${upstream}_${name}`.
 *
 * @example
 * ```ts
 * import type { Namespace } from "@tether/mcp/gateway";
 * const dotted: Namespace = (upstream, name) => `${upstream}.${name}`;
 * ```
 */
export type Namespace = (upstream: string, name: string) => string;

/**
 * The default {@linkcode Namespace}: `${upstream}_${name}`.
 *
 * @example
 * ```ts
 * import { defaultNamespace } from "@tether/mcp/gateway";
 * defaultNamespace("files", "read"); // "files_read"
 * ```
 */
export function defaultNamespace(upstream: string, name: string): string {
  return `${upstream}_${name}`;
}

/** Calls into the caller's upstream session (gateway.ts binds them). */
export interface UpstreamCalls {
  /** `taskSupport`: the upstream listing's `execution.taskSupport` (an upstream task when it can be one). */
  callTool(
    name: string,
    args: Record<string, unknown>,
    ctx: HandlerContext,
    taskSupport: unknown,
  ): Promise<CallToolResult | DeferredResult>;
  getPrompt(
    name: string,
    args: Record<string, string>,
    ctx: HandlerContext,
  ): Promise<GetPromptResult>;
  readResource(uri: string, ctx: HandlerContext): Promise<ResourceContents[]>;
  /** Subscribes the caller's upstream session to `uri` (its updates reach the caller's session). */
  subscribe(uri: string, ctx: HandlerContext): Promise<void>;
  /** Ends that subscription. */
  unsubscribe(uri: string, ctx: HandlerContext): Promise<void>;
  /** `completion/complete` of an upstream prompt's argument or template's variable. */
  complete(request: CompletionRequest, ctx: HandlerContext): Promise<string[]>;
}

/** What an upstream is asked to complete (`completion/complete` params, the upstream's names). */
export interface CompletionRequest {
  /** The upstream prompt (its own name) or resource template. */
  ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string };
  /** The argument or variable, and what the user typed so far. */
  argument: { name: string; value: string };
  /** The other arguments already given. */
  context: { arguments: Record<string, string> };
}

/** Completers for `names` that ask the upstream about `ref`. */
function completersFor(
  names: readonly string[],
  ref: CompletionRequest["ref"],
  calls: UpstreamCalls,
): Record<string, Completer> {
  const table: Record<string, Completer> = {};
  for (const name of names) {
    table[name] = (value, context, ctx) =>
      calls.complete({ ref, argument: { name, value }, context }, ctx);
  }
  return table;
}

/**
 * Upstream offers as tether definitions, spread into `createMcpHandler`'s options.
 *
 * @example
 * ```ts
 * import type { UpstreamCatalog } from "@tether/mcp/gateway";
 * const empty: UpstreamCatalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };
 * ```
 */
export interface UpstreamCatalog {
  /** The tools, namespaced; each calls the caller's upstream session. */
  tools: AnyToolDefinition[];
  /** The prompts, namespaced. */
  prompts: AnyPromptDefinition[];
  /** The resources: URIs as the upstream lists them, names namespaced. */
  resources: ResourceDefinition[];
  /** The resource templates: URI templates as listed, names namespaced. */
  resourceTemplates: ResourceTemplateDefinition[];
}

/** The most pages read from one upstream list (a guard against a cursor that never ends). */
const MAX_PAGES = 1_000;

/** Every page of one list. */
async function allPages<T>(
  list: (cursor: string | undefined) => Promise<{ nextCursor?: string; items: T[] }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await list(cursor);
    items.push(...answer.items);
    if (typeof answer.nextCursor !== "string" || answer.nextCursor === "") return items;
    cursor = answer.nextCursor;
  }
  throw new Error(`The upstream listed more than ${MAX_PAGES} pages`);
}

/** What each list read was, as the upstream listed it (JSON), by the definitions array made of it. */
const listings = new WeakMap<readonly object[], string>();

/** The entry as the upstream listed it, by the definition made of it (pins.ts digests it). */
const listedEntries = new WeakMap<object, Record<string, unknown>>();

/** `list`, remembered as made from `raw`, entry by entry (see {@linkcode sameListing}). */
function madeFrom<T extends object>(list: T[], raw: readonly object[]): T[] {
  listings.set(list, JSON.stringify(raw));
  list.forEach((definition, index) =>
    listedEntries.set(definition, raw[index] as Record<string, unknown>)
  );
  return list;
}

/** The entry `definition` was made of, as its upstream listed it (its own name, not namespaced). */
export function listedEntry(definition: object): Record<string, unknown> | undefined {
  return listedEntries.get(definition);
}

/** `list`, a part of `source`, counted as read from `source`'s listing (a filter of it that depends on nothing else). */
export function sameListingAs<T extends object>(list: T[], source: readonly object[]): T[] {
  const listing = listings.get(source);
  if (listing !== undefined) listings.set(list, listing);
  return list;
}

/** True when `a` and `b` were read from identical upstream listings (a reread that changed nothing). */
export function sameListing(
  a: readonly object[] | undefined,
  b: readonly object[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  const listing = listings.get(a);
  return listing !== undefined && listing === listings.get(b);
}

/**
 * Where a served definition came from: its upstream and the name it lists
 * there (a resource's and a template's also its URI or URI template).
 */
export interface EntryOrigin {
  /** The upstream's name. */
  upstream: string;
  /** The entry's name as the upstream lists it. */
  name: string;
  /** A resource's URI, a template's URI template. */
  uri?: string;
}

/** The origin of each definition made here (views.ts decides by it). */
const origins = new WeakMap<object, EntryOrigin>();

/** Where `definition` came from; undefined for one the gateway did not make. */
export function originOf(definition: object): EntryOrigin | undefined {
  return origins.get(definition);
}

/** `definition`, remembered as made from `origin`. */
function from<T extends object>(definition: T, origin: EntryOrigin): T {
  origins.set(definition, origin);
  return definition;
}

/** Copies the optional listing fields tether definitions take. */
function listed(entry: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of keys) if (entry[key] !== undefined) copy[key] = entry[key];
  return copy;
}

/** How a catalog's definitions are made. */
export interface CatalogSettings {
  /** Downstream names. */
  namespace: Namespace;
  /** The calls the definitions make. */
  calls: UpstreamCalls;
  /** Downstream task support: see `GatewayOptions.tasks`. */
  tasks: boolean | "mirror";
  /** True when the upstream is spoken to in 2026-07-28 (where it directs task creation). */
  modern?: boolean;
}

/**
 * A tool's downstream `task`: `true` makes every tool optional, `"mirror"`
 * keeps the upstream's. An upstream serving the 2026-07-28 tasks extension
 * (`directed`) decides per call whether a call becomes a task: its tools may
 * all become one once the upstream answers (`start: "handler"`).
 */
function downstreamTask(
  tasks: boolean | "mirror",
  upstream: unknown,
  directed: boolean,
): Pick<AnyToolDefinition, "task"> {
  if (tasks === true) return { task: "optional" };
  if (tasks === "mirror" && directed) return { task: { support: "optional", start: "handler" } };
  if (tasks === "mirror" && (upstream === "optional" || upstream === "required")) {
    return { task: upstream };
  }
  return {};
}

/**
 * Reads the lists `kinds` of one upstream through `client` (a discovery
 * session) and turns them into definitions named by `settings.namespace`.
 */
export async function readCatalog(
  upstream: string,
  client: Client,
  settings: CatalogSettings,
  kinds: readonly ListKind[] = ["tools", "prompts", "resources"],
): Promise<Partial<UpstreamCatalog>> {
  const { namespace, calls } = settings;
  const capabilities = client.getServerCapabilities() ?? {};
  const completes = capabilities.completions !== undefined;
  const subscribes = capabilities.resources?.subscribe === true;
  const extensions = (capabilities as { extensions?: unknown }).extensions;
  const directsTasks = settings.modern === true && isPlainObject(extensions) &&
    isPlainObject(extensions[TASKS_EXTENSION]);
  const subscription = subscribes
    ? {
      subscribe: (uri: string, ctx: HandlerContext) => calls.subscribe(uri, ctx),
      unsubscribe: (uri: string, ctx: HandlerContext) => calls.unsubscribe(uri, ctx),
    }
    : {};
  const catalog: Partial<UpstreamCatalog> = {};
  // Every definition names its upstream for the audit record (src/protocol/dispatch/audit.ts).
  const marked = { [UPSTREAM_OF]: upstream };
  if (kinds.includes("tools")) {
    const tools = capabilities.tools === undefined ? [] : await allPages(async (cursor) => {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      return { nextCursor: page.nextCursor, items: page.tools };
    });
    catalog.tools = madeFrom(
      tools.map((tool) =>
        from({
          ...listed(tool, ["title", "description", "annotations", "icons", "_meta"]),
          name: namespace(upstream, tool.name),
          ...marked,
          input: tool.inputSchema,
          ...(tool.outputSchema === undefined ? {} : { output: tool.outputSchema }),
          ...downstreamTask(settings.tasks, tool.execution?.taskSupport, directsTasks),
          handler: (args: Record<string, unknown>, ctx: HandlerContext) =>
            calls.callTool(tool.name, args, ctx, tool.execution?.taskSupport),
        } as AnyToolDefinition, { upstream, name: tool.name })
      ),
      tools,
    );
  }
  if (kinds.includes("prompts")) {
    const prompts = capabilities.prompts === undefined ? [] : await allPages(async (cursor) => {
      const page = await client.listPrompts(cursor === undefined ? {} : { cursor });
      return { nextCursor: page.nextCursor, items: page.prompts };
    });
    catalog.prompts = madeFrom(
      prompts.map((prompt) =>
        from({
          ...listed(prompt, ["title", "description", "arguments", "icons", "_meta"]),
          name: namespace(upstream, prompt.name),
          ...marked,
          ...(completes && prompt.arguments !== undefined
            ? {
              complete: completersFor(
                prompt.arguments.map((argument) => argument.name),
                { type: "ref/prompt", name: prompt.name },
                calls,
              ),
            }
            : {}),
          handler: (args: Record<string, string>, ctx: HandlerContext) =>
            calls.getPrompt(prompt.name, args, ctx),
        } as AnyPromptDefinition, { upstream, name: prompt.name })
      ),
      prompts,
    );
  }
  if (kinds.includes("resources")) {
    const has = capabilities.resources !== undefined;
    const resources = !has ? [] : await allPages(async (cursor) => {
      const page = await client.listResources(cursor === undefined ? {} : { cursor });
      return { nextCursor: page.nextCursor, items: page.resources };
    });
    const templates = !has ? [] : await allPages(async (cursor) => {
      const page = await client.listResourceTemplates(cursor === undefined ? {} : { cursor });
      return { nextCursor: page.nextCursor, items: page.resourceTemplates };
    });
    const fields = ["title", "description", "mimeType", "annotations", "icons", "_meta"];
    catalog.resources = madeFrom(
      resources.map((resource) =>
        from({
          ...listed(resource, [...fields, "size"]),
          uri: resource.uri,
          name: namespace(upstream, resource.name),
          ...marked,
          ...subscription,
          read: (uri: string, ctx: HandlerContext) => calls.readResource(uri, ctx),
        } as ResourceDefinition, { upstream, name: resource.name, uri: resource.uri })
      ),
      resources,
    );
    catalog.resourceTemplates = madeFrom(
      templates.map((template) =>
        from({
          ...listed(template, fields),
          uriTemplate: template.uriTemplate,
          name: namespace(upstream, template.name),
          ...marked,
          ...subscription,
          ...(completes
            ? {
              complete: completersFor(
                compileUriTemplate(template.uriTemplate).variables,
                { type: "ref/resource", uri: template.uriTemplate },
                calls,
              ),
            }
            : {}),
          read: (uri: string, _variables: unknown, ctx: HandlerContext) =>
            calls.readResource(uri, ctx),
        } as ResourceTemplateDefinition, {
          upstream,
          name: template.name,
          uri: template.uriTemplate,
        })
      ),
      templates,
    );
  }
  return catalog;
}

/** The key a definition is known by in its list (tool and prompt names, resource URIs). */
export function keysOf(catalog: Partial<UpstreamCatalog>): string[] {
  return [
    ...(catalog.tools ?? []).map((tool) => `tool ${tool.name}`),
    ...(catalog.prompts ?? []).map((prompt) => `prompt ${prompt.name}`),
    ...(catalog.resources ?? []).map((resource) => `resource ${resource.uri}`),
    ...(catalog.resourceTemplates ?? []).map((template) => `resource ${template.uriTemplate}`),
  ];
}

/** Throws naming the first key two upstreams share. */
export function refuseCollisions(catalogs: ReadonlyMap<string, Partial<UpstreamCatalog>>): void {
  const owners = new Map<string, string>();
  for (const [upstream, catalog] of catalogs) {
    for (const key of keysOf(catalog)) {
      const owner = owners.get(key);
      if (owner !== undefined) {
        throw new TypeError(
          `Gateway: upstreams "${owner}" and "${upstream}" both offer ${key}; choose another namespace`,
        );
      }
      owners.set(key, upstream);
    }
  }
}
