/**
 * `@tether/mcp/types`: the wire vocabulary, for code that reads or builds
 * MCP messages itself (extensions, tests, gateways): the MCP data shapes,
 * the JSON-RPC message shapes, the schema and Standard Schema types, the
 * registries a handler exposes, and the protocol revisions with their era
 * rule. Types and constants only: importing it runs no server code.
 *
 * @example
 * ```ts
 * import { type CallToolResult, LATEST_PROTOCOL_VERSION } from "@tether/mcp/types";
 *
 * const result: CallToolResult = { content: [{ type: "text", text: "hi" }] };
 * console.log(LATEST_PROTOCOL_VERSION, result.content.length); // "2026-07-28" 1
 * ```
 * @module
 */

export type {
  AudioContent,
  CallToolResult,
  ClientCapabilities,
  ContentAnnotations,
  ContentBlock,
  EmbeddedResource,
  GetPromptResult,
  Icon,
  ImageContent,
  Implementation,
  PromptMessage,
  ResourceContents,
  ResourceEntry,
  ResourceLink,
  TextContent,
  ToolAnnotations,
} from "../protocol/types.ts";
export type {
  JsonRpcErrorObject,
  JsonRpcErrorResponse,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  JsonRpcResultResponse,
  RequestId,
} from "../jsonrpc/messages.ts";
export type { ErrorCodeValue } from "../jsonrpc/error_codes.ts";
export type {
  InferPromptArguments,
  SubscriptionHook,
  ToolReturnFor,
} from "../protocol/definitions/definitions.ts";
export type {
  TemplateVariableName,
  TemplateVariables,
} from "../protocol/definitions/template_variables.ts";
export type {
  ElicitContent,
  ElicitParams,
  ElicitResult,
  ElicitSchema,
} from "../protocol/context/elicitation.ts";
export type { ListenTarget, RequestContext } from "../protocol/context/request_context.ts";
export type { RequestTrace, TraceContext } from "../protocol/context/request_trace.ts";
export type { SessionState } from "../protocol/context/session_state.ts";
export type {
  JsonSchema,
  SchemaAccepted,
  SchemaInput,
  SchemaOutput,
  ZodSchemaLike,
} from "../protocol/schema/schema.ts";
export type {
  StandardInput,
  StandardIssue,
  StandardJsonSchemaConverter,
  StandardJsonSchemaOptions,
  StandardOutput,
  StandardResult,
  StandardSchemaProps,
  StandardSchemaV1,
} from "../protocol/schema/standard_schema.ts";
export type { JsonSchemaCheck } from "../protocol/schema/json_schema_validator.ts";
export type { ChangeListener, ToolRegistry } from "../protocol/registries/tools.ts";
export type { ResourceRegistry } from "../protocol/registries/resources.ts";
export type { PromptRegistry } from "../protocol/registries/prompts.ts";
export type {
  EntryKind,
  EntryOverride,
  EntryView,
  ResourceLens,
  ResourceVerdict,
  Verdict,
  ViewOf,
} from "../protocol/definitions/views.ts";
export type { HeaderParameter } from "../protocol/schema/header_parameters.ts";
export type { LoggingLevel } from "../protocol/context/logging.ts";
export type {
  AuditedEntry,
  AuditedMethod,
  AuditOutcome,
  AuditRedaction,
} from "../protocol/dispatch/audit.ts";
export type { UrlElicitation } from "../protocol/context/url_elicitation.ts";
export { DEFAULT_CACHE_HINT } from "../protocol/definitions/cache_hint.ts";
export type { RequestStateRefusalReason } from "../modern/rounds/request_state.ts";
export type { RateDecision, SyncRateLimiter } from "../limits/rate_limit.ts";
export {
  LATEST_LEGACY_PROTOCOL_VERSION,
  SUPPORTED_LEGACY_PROTOCOL_VERSIONS,
} from "../protocol/versions.ts";
export {
  FIRST_MODERN_PROTOCOL_VERSION,
  isModernProtocolVersion,
  LATEST_PROTOCOL_VERSION,
  type ProtocolEra,
  SUPPORTED_MODERN_PROTOCOL_VERSIONS,
} from "../protocol/eras.ts";
export type { Scheduler } from "../runtime.ts";
// The table RefusalStep (the core's) is derived from: every step, by the room that refuses.
export { REFUSAL_STEPS } from "../http/refusal.ts";
