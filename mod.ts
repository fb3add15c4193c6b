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
 * @module
 */

export {
  type CloseOptions,
  createMcpHandler,
  type HandlerStats,
  type McpHandler,
} from "./src/handler.ts";
export type { McpEvent, McpEventListener, SessionEndReason } from "./src/events.ts";
export type { RefusalStep } from "./src/http/refusal.ts";
export type {
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
  type InferPromptArguments,
  type PromptArgument,
  type PromptDefinition,
  type PromptReturn,
  type ResourceDefinition,
  type ResourceReadReturn,
  type ResourceTemplateDefinition,
  type StructuredToolReturn,
  type ToolDefinition,
  type ToolReturn,
  type ToolReturnFor,
} from "./src/protocol/definitions.ts";
export type { TemplateVariableName, TemplateVariables } from "./src/protocol/template_variables.ts";
export {
  ANONYMOUS_PRINCIPAL,
  type ElicitContent,
  type ElicitParams,
  type ElicitResult,
  type ElicitSchema,
  type HandlerContext,
  isAnonymous,
  type OutboundRequestOptions,
  ownerKeyOf,
  type Principal,
  type RequestContext,
  type RequestTrace,
  type SessionState,
  type TraceContext,
} from "./src/protocol/context.ts";
export type * from "./src/protocol/types.ts";
export type {
  JsonSchema,
  SchemaAccepted,
  SchemaInput,
  SchemaOutput,
  ZodSchemaLike,
} from "./src/protocol/schema.ts";
export type {
  StandardInput,
  StandardIssue,
  StandardJsonSchemaConverter,
  StandardJsonSchemaOptions,
  StandardOutput,
  StandardResult,
  StandardSchemaProps,
  StandardSchemaV1,
} from "./src/protocol/standard_schema.ts";
export type { JsonSchemaCheck, JsonSchemaValidator } from "./src/protocol/json_schema_validator.ts";
export type { ChangeListener } from "./src/protocol/tools.ts";
export type { ToolRegistry } from "./src/protocol/tools.ts";
export type { ResourceRegistry } from "./src/protocol/resources.ts";
export type { PromptRegistry } from "./src/protocol/prompts.ts";
export { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "./src/protocol/versions.ts";
export {
  type EraOptions,
  FIRST_MODERN_PROTOCOL_VERSION,
  isModernProtocolVersion,
  type ProtocolEra,
  SUPPORTED_LEGACY_PROTOCOL_VERSIONS,
  SUPPORTED_MODERN_PROTOCOL_VERSIONS,
} from "./src/protocol/eras.ts";
export { type CacheHint, type CacheHints, DEFAULT_CACHE_HINT } from "./src/protocol/cache_hint.ts";
export type { RequestStateOptions, RequestStateRefusalReason } from "./src/modern/request_state.ts";
export type { HeaderParameter } from "./src/protocol/header_parameters.ts";
export { ErrorCode, type ErrorCodeValue, McpError } from "./src/jsonrpc/error_codes.ts";
export {
  supportsUrlElicitation,
  type UrlElicitation,
  UrlElicitationRequiredError,
} from "./src/protocol/url_elicitation.ts";
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
} from "./src/protocol/apps.ts";
export type {
  JsonRpcErrorObject,
  JsonRpcErrorResponse,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  JsonRpcResultResponse,
  RequestId,
} from "./src/jsonrpc/messages.ts";
export {
  AuthenticationError,
  type AuthenticationErrorOptions,
} from "./src/http/authentication_error.ts";
export { InvalidTokenError } from "./src/http/invalid_token_error.ts";
export { IssuerUnavailableError } from "./src/http/issuer_unavailable_error.ts";
export type { RateDecision, RateLimiter, SyncRateLimiter } from "./src/http/rate_limit.ts";
export type { CorsOptions } from "./src/http/cors.ts";
export { tokenBucket, type TokenBucketOptions } from "./src/http/token_bucket.ts";
export {
  MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimitStore,
  type RateQuota,
  type RateTake,
} from "./src/http/rate_limit_store.ts";
export type { RateLimitsOptions, ToolRateLimits } from "./src/http/rate_limits_options.ts";
export { attachedPrincipal, attachPrincipal } from "./src/principal_attachment.ts";
export { MemorySessionStore } from "./src/legacy/sessions/memory_session_store.ts";
export type { LoggingLevel } from "./src/protocol/logging.ts";
export type {
  ExpiredSession,
  SessionChanges,
  SessionRecord,
  SessionStore,
  SessionUse,
} from "./src/legacy/sessions/session_store.ts";
export { generateSessionId } from "./src/legacy/sessions/session_id.ts";
export {
  type AppendOptions,
  type EventLog,
  MemoryEventLog,
  type MemoryEventLogOptions,
  type Replay,
  type StoredEvent,
  type StreamInfo,
  type WaitOptions,
} from "./src/legacy/event_log.ts";
export { defaultEventLogBudget } from "./src/legacy/memory_budget.ts";
export { type SseMessage, stringifySseMessage } from "./src/http/sse.ts";
export {
  type BusListener,
  type BusMessage,
  BusMessageTooLargeError,
  type BusNotification,
  MemoryBus,
  type MessageBus,
} from "./src/bus/message_bus.ts";
export { StorageUnavailableError } from "./src/storage_unavailable.ts";
export {
  type DeferredResult,
  deferResult,
  type Extension,
  type ExtensionHost,
  type ExtensionMethod,
  type ExtensionNotificationContext,
  isDeferredResult,
  missingExtension,
  negotiated,
  type ToolCall,
} from "./src/protocol/extensions.ts";
