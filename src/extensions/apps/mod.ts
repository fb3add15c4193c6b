/**
 * `@tether/mcp/apps`: MCP Apps (the `io.modelcontextprotocol/ui`
 * extension) for tether. A tool names a `ui://` resource holding an HTML
 * view; hosts that render apps show it beside the tool's result. Kept
 * apart from `@tether/mcp` like the other extensions: nothing in the core
 * imports it. It shapes definitions only (no bundled HTML, no view↔host
 * protocol).
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { appsExtension, defineAppResource, defineAppTool } from "@tether/mcp/apps";
 *
 * const VIEW = "ui://weather/forecast.html";
 * const handler = createMcpHandler({
 *   name: "weather",
 *   version: "1.0.0",
 *   extensions: [appsExtension()],
 *   resources: [defineAppResource({ uri: VIEW, name: "Forecast view", html: "<main></main>" })],
 *   tools: [defineAppTool({ name: "forecast", ui: { resourceUri: VIEW }, handler: () => "sunny" })],
 * });
 * ```
 * @module
 */

export {
  APP_MIME_TYPE,
  type AppResourceDefinition,
  type AppResourceUi,
  APPS_EXTENSION_ID,
  appsExtension,
  type AppToolDefinition,
  type AppToolUi,
  clientSupportsApps,
  defineAppResource,
  defineAppTool,
} from "./apps.ts";
