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
export {
  parsePinSet,
  type PinEvent,
  type PinOptions,
  type PinSet,
  type UpstreamPins,
} from "./catalog/pins.ts";
export { canonicalJson, pinDigest, type PinKind } from "./catalog/pin_digest.ts";
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
export type {
  EntryKind,
  EntryOverride,
  EntryView,
  Verdict,
  ViewOf,
} from "../protocol/definitions/views.ts";
export {
  httpUpstream,
  type HttpUpstreamOptions,
  type OpenedTransport,
  type Upstream,
  type UpstreamCredentials,
  type UpstreamTransport,
} from "./upstream.ts";
export type { ModernEndpoint, UpstreamProtocol } from "./modern/modern_endpoint.ts";
export { canSpawn, stdioUpstream, type StdioUpstreamOptions } from "./stdio/stdio_upstream.ts";
// The core types the gateway's signatures name (definitions, registries, ctx), so this entry
// point documents them too; they are the same types as @tether/mcp's.
export type * from "../protocol/definitions/definitions.ts";
export type * from "../protocol/definitions/deferred_result.ts";
export type * from "../protocol/context/request_context.ts";
export type * from "../protocol/types.ts";
export type * from "../protocol/definitions/cache_hint.ts";
export type * from "../protocol/definitions/template_variables.ts";
export type * from "../protocol/schema/header_parameters.ts";
export type * from "../protocol/schema/schema.ts";
export type * from "../protocol/schema/standard_schema.ts";
export type * from "../protocol/schema/json_schema_validator.ts";
export type * from "../protocol/context/logging.ts";
export type * from "../jsonrpc/messages.ts";
export type { ChangeListener, ToolRegistry } from "../protocol/registries/tools.ts";
export type { ResourceRegistry } from "../protocol/registries/resources.ts";
export type { PromptRegistry } from "../protocol/registries/prompts.ts";
export { staticHeaders } from "./credentials/static_headers.ts";
export {
  clientCredentials,
  type ClientCredentialsOptions,
} from "./credentials/client_credentials.ts";
export { tokenExchange, type TokenExchangeOptions } from "./credentials/token_exchange.ts";
export type { TokenClient } from "./credentials/token_endpoint.ts";
