/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension): a tool names a
 * `ui://` resource holding an HTML view, and hosts that render apps show it
 * beside the tool's result. {@linkcode defineAppResource} serves the view
 * with the Apps MIME type and its `_meta.ui` (CSP, permissions, domain,
 * border); {@linkcode defineAppTool} links a tool to it with
 * `_meta.ui.resourceUri` (plus the older `ui/resourceUri` key older hosts
 * read). {@linkcode appsExtension} declares the extension in the server's
 * `capabilities.extensions` (the `extensions` option). This module only shapes
 * definitions: it does not bundle HTML, speak the view↔host postMessage
 * protocol, or hide tools from hosts without Apps (see
 * {@linkcode clientSupportsApps}).
 * @module
 */

import type { JsonSchema, SchemaInput } from "../../protocol/schema/schema.ts";
import type {
  ResourceDefinition,
  ResourceReadReturn,
  ToolDefinition,
} from "../../protocol/definitions/definitions.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import type { Extension } from "../../protocol/definitions/extensions.ts";
import type { ClientCapabilities, ResourceContents } from "../../protocol/types.ts";

/**
 * The MIME type of an MCP App's HTML view.
 *
 * @example
 * ```ts
 * import { APP_MIME_TYPE } from "@tether/mcp/apps";
 * const isApp = (mimeType?: string): boolean => mimeType === APP_MIME_TYPE;
 * ```
 */
export const APP_MIME_TYPE = "text/html;profile=mcp-app";

/**
 * The MCP Apps extension's identifier, the key in `capabilities.extensions`.
 *
 * @example
 * ```ts
 * import { APPS_EXTENSION_ID } from "@tether/mcp/apps";
 * const declared = (extensions: Record<string, unknown>): boolean => APPS_EXTENSION_ID in extensions;
 * ```
 */
export const APPS_EXTENSION_ID = "io.modelcontextprotocol/ui";

/** The legacy flat key for a tool's view, still read by older hosts. */
const LEGACY_RESOURCE_URI_KEY = "ui/resourceUri";

/**
 * An app view's `_meta.ui`: the sandbox the host builds for it.
 *
 * @example
 * ```ts
 * import type { AppResourceUi } from "@tether/mcp/apps";
 * const ui: AppResourceUi = { csp: { connectDomains: ["https://api.example.com"] }, prefersBorder: true };
 * ```
 */
export interface AppResourceUi {
  /** Origins the view may reach; none when absent (the host's secure default). */
  csp?: {
    /** `connect-src`: fetch, XHR, WebSocket. */
    connectDomains?: string[];
    /** Images, scripts, styles, fonts, media. */
    resourceDomains?: string[];
    /** `frame-src`: nested iframes. */
    frameDomains?: string[];
    /** `base-uri`. */
    baseUriDomains?: string[];
  };
  /** Browser permissions the view asks for. */
  permissions?: {
    /** Camera access. */
    camera?: Record<string, never>;
    /** Microphone access. */
    microphone?: Record<string, never>;
    /** Geolocation. */
    geolocation?: Record<string, never>;
    /** Clipboard writes. */
    clipboardWrite?: Record<string, never>;
  };
  /** A dedicated sandbox origin; its format is host-specific. */
  domain?: string;
  /** True when the view wants the host's border and background. */
  prefersBorder?: boolean;
  /** Fields of later Apps revisions, passed on as given. */
  [key: string]: unknown;
}

/**
 * What {@linkcode defineAppResource} takes: a `ui://` resource whose MIME
 * type is set for you, with its HTML given as `html` or produced by `read`.
 *
 * @example
 * ```ts
 * import type { AppResourceDefinition } from "@tether/mcp/apps";
 * const view: AppResourceDefinition = { uri: "ui://weather/view.html", name: "weather view", html: "<p>Sunny</p>" };
 * ```
 */
export interface AppResourceDefinition
  extends Omit<ResourceDefinition, "mimeType" | "read" | "uri"> {
  /** A `ui://` URI, e.g. `ui://weather/view.html`. */
  uri: string;
  /** The view's sandbox: sent on the `resources/list` entry and on the content read. */
  ui?: AppResourceUi;
  /** The view's HTML, when it is fixed. */
  html?: string;
  /** Produces the view's HTML (when `html` is not given). */
  read?: (uri: string, ctx: HandlerContext) => string | Promise<string>;
}

function checkUiUri(uri: unknown, owner: string): string {
  if (typeof uri !== "string" || !uri.startsWith("ui://") || uri.length === 5) {
    throw new TypeError(
      `${owner}: an app's URI must start with ui:// (got ${JSON.stringify(uri)})`,
    );
  }
  return uri;
}

/**
 * A `ui://` resource serving an app's HTML view with the Apps MIME type
 * (`text/html;profile=mcp-app`) and its `_meta.ui` on both the listing and
 * the content. Throws at definition time on a URI that is not `ui://…`, or
 * with neither `html` nor `read`.
 *
 * @example
 * ```ts
 * import { defineAppResource } from "@tether/mcp/apps";
 * export const view = defineAppResource({
 *   uri: "ui://weather/view.html",
 *   name: "weather view",
 *   html: "<!doctype html><p id=forecast></p>",
 *   ui: { csp: { connectDomains: ["https://api.weather.example"] } },
 * });
 * ```
 */
export function defineAppResource(definition: AppResourceDefinition): ResourceDefinition {
  const { ui, html, read, ...rest } = definition;
  const uri = checkUiUri(definition.uri, "defineAppResource");
  if (html === undefined && typeof read !== "function") {
    throw new TypeError(`App resource ${uri} needs html or a read function`);
  }
  if (html !== undefined && typeof html !== "string") {
    throw new TypeError(`App resource ${uri}: html must be a string`);
  }
  const meta = ui === undefined ? rest._meta : { ...rest._meta, ui };
  return {
    ...rest,
    uri,
    mimeType: APP_MIME_TYPE,
    ...(meta === undefined ? {} : { _meta: meta }),
    read: async (readUri, ctx): Promise<ResourceReadReturn> => {
      const text = html ?? await read!(readUri, ctx);
      const content: ResourceContents = { uri: readUri, mimeType: APP_MIME_TYPE, text };
      if (ui !== undefined) content._meta = { ui };
      return content;
    },
  };
}

/**
 * An app tool's `_meta.ui`: which view shows its results, and who may call it.
 *
 * @example
 * ```ts
 * import type { AppToolUi } from "@tether/mcp/apps";
 * const ui: AppToolUi = { resourceUri: "ui://shop/cart.html", visibility: ["app"] };
 * ```
 */
export interface AppToolUi {
  /** The `ui://` resource of the view. */
  resourceUri: string;
  /** Who sees and calls the tool: the model, the view (`"app"`), or both (the default). */
  visibility?: ("model" | "app")[];
  /** Fields of later Apps revisions, passed on as given. */
  [key: string]: unknown;
}

/**
 * What {@linkcode defineAppTool} takes: a tool plus its view.
 *
 * @example
 * ```ts
 * import type { AppToolDefinition } from "@tether/mcp/apps";
 * const tool: AppToolDefinition = { name: "cart", ui: { resourceUri: "ui://shop/cart.html" }, handler: () => "2 items" };
 * ```
 */
export interface AppToolDefinition<
  I extends SchemaInput = JsonSchema,
  O extends SchemaInput | undefined = undefined,
> extends ToolDefinition<I, O> {
  /** The view that renders the tool's results. */
  ui: AppToolUi;
}

/**
 * A tool linked to an app view: `_meta.ui` (and the older flat
 * `ui/resourceUri` key, as ext-apps' `registerAppTool` also writes) names
 * the `ui://` resource. Its results reach the view too, so a tool usually
 * returns `structuredContent` for it. Throws on a `resourceUri` that is not
 * `ui://…`.
 *
 * @example
 * ```ts
 * import { defineAppTool } from "@tether/mcp/apps";
 * import * as z from "zod";
 * export const forecast = defineAppTool({
 *   name: "forecast",
 *   input: z.object({ city: z.string() }),
 *   ui: { resourceUri: "ui://weather/view.html" },
 *   handler: ({ city }) => ({ content: [{ type: "text", text: `Sunny in ${city}` }], structuredContent: { city, sky: "sunny" } }),
 * });
 * ```
 */
export function defineAppTool<
  I extends SchemaInput = JsonSchema,
  O extends SchemaInput | undefined = undefined,
>(
  definition: AppToolDefinition<I, O>,
): ToolDefinition<I, O> {
  const { ui, ...tool } = definition;
  if (typeof ui !== "object" || ui === null) {
    throw new TypeError(`App tool "${definition.name}" needs ui.resourceUri`);
  }
  const resourceUri = checkUiUri(ui.resourceUri, `App tool "${definition.name}"`);
  return {
    ...tool,
    _meta: { ...tool._meta, ui: { ...ui }, [LEGACY_RESOURCE_URI_KEY]: resourceUri },
  };
}

/**
 * The Apps extension, for the `extensions` option: it advertises
 * `capabilities.extensions["io.modelcontextprotocol/ui"]` with the view MIME
 * types this server serves, in both eras. It adds no methods: hosts read
 * the tools' `_meta.ui` and the `ui://` resources.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { appsExtension } from "@tether/mcp/apps";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], extensions: [appsExtension()] });
 * ```
 */
export function appsExtension(): Extension {
  return { id: APPS_EXTENSION_ID, settings: { mimeTypes: [APP_MIME_TYPE] } };
}

/**
 * True when the client declared the Apps extension with the Apps MIME type
 * (`capabilities.extensions["io.modelcontextprotocol/ui"].mimeTypes`), at
 * `initialize` or on this request: a tool can then answer with a view
 * rather than text only.
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * import { clientSupportsApps } from "@tether/mcp/apps";
 * export const chart = defineTool({
 *   name: "chart",
 *   handler: (_input, ctx) => clientSupportsApps(ctx.clientCapabilities) ? "see the chart" : "1, 2, 3",
 * });
 * ```
 */
export function clientSupportsApps(capabilities: ClientCapabilities): boolean {
  const extensions = capabilities.extensions;
  if (typeof extensions !== "object" || extensions === null) return false;
  const apps = (extensions as Record<string, unknown>)[APPS_EXTENSION_ID];
  const mimeTypes = (apps as { mimeTypes?: unknown } | null | undefined)?.mimeTypes;
  return Array.isArray(mimeTypes) && mimeTypes.includes(APP_MIME_TYPE);
}
