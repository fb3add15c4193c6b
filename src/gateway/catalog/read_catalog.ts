/**
 * Reads one upstream's lists into tether definitions: every page of its
 * tools, prompts, resources and resource templates, read over a discovery
 * session, each entry named by the gateway's namespace, given handlers that
 * call through the caller's own upstream session (completers and task
 * support as the upstream declares them) and remembered with its origin
 * (definition_origins.ts). It does not refuse collisions or serve anything
 * (served_catalogs.ts does), and calls nothing itself (gateway.ts binds the calls).
 * @module
 */

import type {
  AnyPromptDefinition,
  AnyToolDefinition,
  Completer,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from "../../protocol/definitions/definitions.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import type { ServerCapabilities } from "../modern/modern_discovery.ts";
import { compileUriTemplate } from "../../protocol/registries/uri_template.ts";
import { UPSTREAM_OF } from "../../protocol/dispatch/audit.ts";
import { TASKS_EXTENSION } from "../modern/modern_tasks.ts";
import type { ListKind } from "../sessions/upstream_connection.ts";
import type { CompletionRequest, Namespace, UpstreamCalls, UpstreamCatalog } from "./catalog.ts";
import { madeFrom, madeOf } from "./definition_origins.ts";

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

/** The most pages read from one upstream list (a guard against a cursor that never ends). */
const MAX_PAGES = 1_000;

/**
 * What a catalog is read through: a discovery session of either era (a
 * 2025 upstream session, or the 2026-07-28 requests of modern_discovery.ts).
 *
 * @example
 * ```ts
 * import type { ListSource } from "./read_catalog.ts";
 * const empty: ListSource = {
 *   serverCapabilities: { tools: {} },
 *   page: () => Promise.resolve({ tools: [] }),
 * };
 * ```
 */
export interface ListSource {
  /** What the upstream declared. */
  readonly serverCapabilities: Record<string, unknown> | undefined;
  /** One page of list `method` from `cursor`. */
  page(method: string, cursor: string | undefined): Promise<Record<string, unknown>>;
}

/** A listed entry: an object with a name (and, per list, the field it is served by). */
type Listed = Record<string, unknown> & { name: string };
type ListedTool = Listed & {
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  execution?: { taskSupport?: unknown };
};
type ListedPrompt = Listed & { arguments?: { name: string }[] };
type ListedResource = Listed & { uri: string };
type ListedTemplate = Listed & { uriTemplate: string };

/** The field each list's entries must have besides `name`, and of which type. */
const REQUIRED: Record<string, [string, "object" | "string"]> = {
  tools: ["inputSchema", "object"],
  resources: ["uri", "string"],
  resourceTemplates: ["uriTemplate", "string"],
};

/** True when `entry` is a well-formed entry of list `key`. */
function wellFormed(entry: unknown, key: string): boolean {
  if (!isPlainObject(entry) || typeof entry.name !== "string") return false;
  const required = REQUIRED[key];
  if (required !== undefined) {
    const value = entry[required[0]];
    if (required[1] === "string" ? typeof value !== "string" : !isPlainObject(value)) return false;
  }
  if (key === "prompts" && entry.arguments !== undefined) {
    const args = entry.arguments;
    if (
      !Array.isArray(args) ||
      !args.every((arg) => isPlainObject(arg) && typeof arg.name === "string")
    ) {
      return false;
    }
  }
  return true;
}

/** Every page of list `method`, its entries under `key`; a malformed page fails the whole list. */
async function allPages<T>(source: ListSource, method: string, key: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await source.page(method, cursor);
    const entries = answer[key];
    if (!Array.isArray(entries) || !entries.every((entry) => wellFormed(entry, key))) {
      throw new Error(`The upstream answered ${method} with a malformed list`);
    }
    items.push(...entries as T[]);
    const next = answer.nextCursor;
    if (typeof next !== "string" || next === "") return items;
    cursor = next;
  }
  throw new Error(`The upstream listed more than ${MAX_PAGES} pages`);
}

/** Copies the optional listing fields tether definitions take. */
function listed(entry: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of keys) if (entry[key] !== undefined) copy[key] = entry[key];
  return copy;
}

/**
 * How a catalog's definitions are made.
 *
 * @example
 * ```ts ignore (internal: gateway.ts builds it from GatewayOptions and binds the calls)
 * const settings: CatalogSettings = { namespace: defaultNamespace, calls, tasks: "mirror" };
 * ```
 */
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
 * Reads the lists `kinds` of one upstream through `source` (a discovery
 * session) and turns them into definitions named by `settings.namespace`.
 *
 * @example
 * ```ts ignore (internal: needs a connected discovery session)
 * const { tools } = await readCatalog("files", session, settings, ["tools"]);
 * ```
 */
export async function readCatalog(
  upstream: string,
  source: ListSource,
  settings: CatalogSettings,
  kinds: readonly ListKind[] = ["tools", "prompts", "resources"],
): Promise<Partial<UpstreamCatalog>> {
  const { namespace, calls } = settings;
  const capabilities = (source.serverCapabilities ?? {}) as ServerCapabilities;
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
    const tools = capabilities.tools === undefined
      ? []
      : await allPages<ListedTool>(source, "tools/list", "tools");
    catalog.tools = madeFrom(
      tools.map((tool) =>
        madeOf({
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
    const prompts = capabilities.prompts === undefined
      ? []
      : await allPages<ListedPrompt>(source, "prompts/list", "prompts");
    catalog.prompts = madeFrom(
      prompts.map((prompt) =>
        madeOf({
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
    const resources = !has
      ? []
      : await allPages<ListedResource>(source, "resources/list", "resources");
    const templates = !has
      ? []
      : await allPages<ListedTemplate>(source, "resources/templates/list", "resourceTemplates");
    const fields = ["title", "description", "mimeType", "annotations", "icons", "_meta"];
    catalog.resources = madeFrom(
      resources.map((resource) =>
        madeOf({
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
        madeOf({
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
