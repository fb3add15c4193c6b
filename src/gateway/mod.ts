/**
 * `@tether/mcp/gateway`: upstream MCP servers (Streamable HTTP or stdio
 * subprocesses) served behind one tether endpoint, each downstream session
 * with its own upstream sessions. See docs/gateway.md.
 *
 * @example
 * ```ts ignore
 * import { createMcpHandler } from "@tether/mcp";
 * import { createGateway, httpUpstream } from "@tether/mcp/gateway";
 * const gateway = await createGateway({
 *   upstreams: [httpUpstream({ name: "files", url: "http://127.0.0.1:9000/mcp" })],
 * });
 * const handler = createMcpHandler({ name: "gateway", version: "1.0.0", ...gateway.definitions() });
 * gateway.attach(handler);
 * ```
 * @module
 */

export {
  createGateway,
  type Gateway,
  GATEWAY_PRINCIPAL,
  type GatewayOptions,
  type GatewayTarget,
} from "./gateway.ts";
export { defaultNamespace, type Namespace, type UpstreamCatalog } from "./catalog.ts";
export { GatewayBusyError } from "./upstream_sessions.ts";
export {
  httpUpstream,
  type HttpUpstreamOptions,
  type OpenedTransport,
  type Upstream,
  type UpstreamCredentials,
} from "./upstream.ts";
export { canSpawn, stdioUpstream, type StdioUpstreamOptions } from "./stdio_upstream.ts";
