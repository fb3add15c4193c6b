/**
 * tether: the Model Context Protocol over Streamable HTTP from one
 * web-standard function. `createMcpHandler(options)` returns
 * `(Request) => Promise<Response>` for `Deno.serve`, `Bun.serve` and Node
 * (`@tether/mcp/node`), with server-issued sessions (TTLs, cap, owner
 * binding), SSE streaming with progress, cancellation, server→client
 * requests and resumable streams.
 *
 * MCP revisions served, on one endpoint: 2025-03-26, 2025-06-18 and
 * 2025-11-25 (sessionful) and 2026-07-28 (stateless).
 *
 * Runtimes: Deno 2.x, Bun 1.x, Node 22.18 or later and 24 (tested on Deno
 * 2.9.5, Bun 1.4.4, Node 22.23 and 24.21). On Bun, serve the handler with
 * `Bun.serve({ hostname: "127.0.0.1", port: 8787, idleTimeout: 0, fetch: handler })`:
 * `idleTimeout: 0` keeps idle SSE streams open between heartbeats.
 *
 * @example The smallest server, on Deno
 * ```ts
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import * as z from "zod";
 *
 * const handler = createMcpHandler({
 *   name: "hello",
 *   version: "1.0.0",
 *   tools: [defineTool({
 *     name: "greet",
 *     description: "Greets someone",
 *     input: z.object({ name: z.string() }),
 *     handler: ({ name }) => `Hello, ${name}!`,
 *   })],
 * });
 * Deno.serve({ hostname: "127.0.0.1", port: 8787 }, handler);
 * ```
 *
 * @example On Node (22.18 or later), through `@tether/mcp/node`
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { serve } from "@tether/mcp/node";
 *
 * const handler = createMcpHandler({ name: "hello", version: "1.0.0", tools: [] });
 * const server = serve(handler, { hostname: "127.0.0.1", port: 8787 });
 * console.log(`MCP on ${await server.url}/mcp`);
 * ```
 * This entry point holds the core API: the handler, the `define*` helpers,
 * the context and error types and the option types. The wire vocabulary
 * (MCP and JSON-RPC shapes, protocol revisions) is `@tether/mcp/types`; the
 * storage seams with their memory implementations are `@tether/mcp/storage`;
 * the surface for writing an extension is `@tether/mcp/extensions`.
 *
 * @module
 */

export {
  type CloseOptions,
  createMcpHandler,
  type HandlerStats,
  type McpHandler,
} from "./src/handler.ts";
export type { McpEvent, McpEventListener, SessionEndReason } from "./src/observe/events.ts";
export type { AuditRecord } from "./src/protocol/dispatch/audit.ts";
export { redactProperties } from "./src/observe/audit/canonical_json.ts";
export type { RefusalStep } from "./src/http/refusal.ts";
export type {
  AuditOptions,
  AuthOptions,
  HttpOptions,
  LimitOptions,
  McpHandlerOptions,
  ObserveOptions,
  ResponseMode,
  SecurityOptions,
  SessionOptions,
  StatelessOptions,
  StreamOptions,
} from "./src/config/options.ts";
export type {
  AccessTokenVerifier,
  DpopOptions,
  OAuthOptions,
  TokenPrincipal,
} from "./src/config/oauth_options.ts";
export {
  type AnyPromptDefinition,
  type AnyToolDefinition,
  type Completer,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  type InferInput,
  type PromptArgument,
  type PromptDefinition,
  type PromptReturn,
  type ResourceDefinition,
  type ResourceReadReturn,
  type ResourceTemplateDefinition,
  type StructuredToolReturn,
  type ToolDefinition,
  type ToolReturn,
} from "./src/protocol/definitions/definitions.ts";
export {
  ANONYMOUS_PRINCIPAL,
  type HandlerContext,
  isAnonymous,
  type OutboundRequestOptions,
  type Principal,
} from "./src/protocol/context/request_context.ts";
export type { JsonSchemaValidator } from "./src/protocol/schema/json_schema_validator.ts";
export type { EraOptions } from "./src/protocol/eras.ts";
export type { CacheHint, CacheHints } from "./src/protocol/definitions/cache_hint.ts";
export type { RequestStateOptions } from "./src/modern/rounds/request_state.ts";
export { ErrorCode, McpError } from "./src/jsonrpc/error_codes.ts";
export {
  supportsUrlElicitation,
  UrlElicitationRequiredError,
} from "./src/protocol/context/url_elicitation.ts";
export {
  AuthenticationError,
  type AuthenticationErrorOptions,
} from "./src/auth/authentication_error.ts";
export { InvalidTokenError } from "./src/auth/invalid_token_error.ts";
export { IssuerUnavailableError } from "./src/auth/issuer_unavailable_error.ts";
export { attachedPrincipal, attachPrincipal } from "./src/auth/principal_attachment.ts";
export type { RateLimiter } from "./src/limits/rate_limit.ts";
export type { CorsOptions } from "./src/http/cors.ts";
export { tokenBucket, type TokenBucketOptions } from "./src/limits/token_bucket.ts";
export type { RateLimitsOptions, ToolRateLimits } from "./src/limits/rate_limits_options.ts";
export { StorageUnavailableError } from "./src/storage_unavailable.ts";
