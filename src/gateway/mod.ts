/**
 * `@tether/mcp/gateway`: upstream MCP servers (Streamable HTTP or stdio
 * subprocesses) served behind one tether endpoint, each downstream session
 * with its own upstream sessions. See docs/gateway.md.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createGateway, httpUpstream } from "@tether/mcp/gateway";
 * const gateway = await createGateway({
 *   upstreams: [httpUpstream({ name: "files", url: "http://127.0.0.1:9000/mcp" })],
 * });
 * const handler = createMcpHandler({
 *   name: "gateway",
 *   version: "1.0.0",
 *   ...gateway.definitions(),
 *   auth: { authenticate: gateway.authenticate() }, // the caps answered 429/503 at the door
 * });
 * gateway.attach(handler);
 * ```
 * @module
 */

export {
  createGateway,
  type Gateway,
  GATEWAY_PRINCIPAL,
  type GatewayEvent,
  type GatewayOptions,
  type GatewayTarget,
} from "./gateway.ts";
export { type PinEvent, type PinOptions } from "./catalog/pins.ts";
export { parsePinSet, type PinSet, type UpstreamPins } from "./catalog/pin_set.ts";
export { pinDigest, type PinKind } from "./catalog/pin_digest.ts";
export { type Authenticate, GatewayRefusal } from "./admission.ts";
export { defaultNamespace, type Namespace, type UpstreamCatalog } from "./catalog/catalog.ts";
export { GatewayBusyError } from "./sessions/upstream_sessions.ts";
export type {
  GatewayView,
  UpstreamFilter,
  ViewEntry,
  ViewPolicy,
  ViewRules,
} from "./catalog/views.ts";
export {
  httpUpstream,
  type HttpUpstreamOptions,
  type OpenedTransport,
  type Upstream,
  type UpstreamCredentials,
  type UpstreamTransport,
} from "./upstream.ts";
export type { ModernEndpoint, UpstreamProtocol } from "./modern/modern_endpoint.ts";
export { stdioUpstream, type StdioUpstreamOptions } from "./stdio/stdio_upstream.ts";
export { staticHeaders } from "./credentials/static_headers.ts";
export {
  clientCredentials,
  type ClientCredentialsOptions,
} from "./credentials/client_credentials.ts";
export { tokenExchange, type TokenExchangeOptions } from "./credentials/token_exchange.ts";
export type { TokenClient } from "./credentials/token_endpoint.ts";
