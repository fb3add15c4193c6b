/**
 * What a gateway catalog is: the upstreams' offers as tether definitions
 * under the gateway's namespace (the {@linkcode Namespace}), the calls
 * their handlers make into the caller's own upstream session, and the
 * refusal of names two upstreams share. It neither reads upstreams
 * (read_catalog.ts does) nor calls anything (gateway.ts binds the calls).
 * @module
 */

import type {
  AnyPromptDefinition,
  AnyToolDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from "../../protocol/definitions/definitions.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import type { DeferredResult } from "../../protocol/definitions/deferred_result.ts";
import type { CallToolResult, GetPromptResult, ResourceContents } from "../../protocol/types.ts";

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

/**
 * Calls into the caller's upstream session (gateway.ts binds them).
 *
 * @example
 * ```ts ignore (internal: upstream_eras.ts binds them to the caller's upstream session)
 * const result = await calls.callTool("read", { path: "README.md" }, ctx, undefined);
 * ```
 */
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

/**
 * What an upstream is asked to complete (`completion/complete` params, the upstream's names).
 *
 * @example
 * ```ts ignore (internal: read_catalog.ts's completers build it for UpstreamCalls.complete)
 * const request: CompletionRequest = {
 *   ref: { type: "ref/prompt", name: "plan" },
 *   argument: { name: "goal", value: "wr" },
 *   context: { arguments: {} },
 * };
 * ```
 */
export interface CompletionRequest {
  /** The upstream prompt (its own name) or resource template. */
  ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string };
  /** The argument or variable, and what the user typed so far. */
  argument: { name: string; value: string };
  /** The other arguments already given. */
  context: { arguments: Record<string, string> };
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

/**
 * The key a definition is known by in its list (tool and prompt names, resource URIs).
 *
 * @example
 * ```ts ignore (internal: catalog_check.ts and refuseCollisions compare catalogs by it)
 * keysOf({ tools: [readTool] }); // ["tool files_read"]
 * ```
 */
export function keysOf(catalog: Partial<UpstreamCatalog>): string[] {
  return [
    ...(catalog.tools ?? []).map((tool) => `tool ${tool.name}`),
    ...(catalog.prompts ?? []).map((prompt) => `prompt ${prompt.name}`),
    ...(catalog.resources ?? []).map((resource) => `resource ${resource.uri}`),
    ...(catalog.resourceTemplates ?? []).map((template) => `resource ${template.uriTemplate}`),
  ];
}

/**
 * Throws naming the first key two upstreams share.
 *
 * @example
 * ```ts ignore (internal: served_catalogs.ts checks every read by it)
 * refuseCollisions(new Map([["files", files], ["notes", notes]])); // throws on a shared key
 * ```
 */
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
