/**
 * How server authors describe tools, resources and resource templates (the
 * prompt definitions live in `prompt_definitions.ts`, re-exported here). The
 * `define*` helpers only return their argument; they exist so TypeScript
 * infers each handler's input (and a tool's return) from its Standard Schema.
 * @module
 */

import type { CacheHint } from "./cache_hint.ts";
import type { Completer } from "./completer.ts";
import type { DeferredResult } from "./deferred_result.ts";
import type { HandlerContext } from "../context/request_context.ts";
import type { JsonSchema, SchemaInput, SchemaOutput } from "../schema/schema.ts";
import type { StandardInput, StandardSchemaV1 } from "../schema/standard_schema.ts";
import type { TemplateVariableName, TemplateVariables } from "./template_variables.ts";
import type {
  CallToolResult,
  ContentAnnotations,
  Icon,
  ResourceContents,
  ResourceEntry,
  ToolAnnotations,
} from "../types.ts";

export { type Completer, ownCompleter } from "./completer.ts";

export {
  type AnyPromptDefinition,
  definePrompt,
  type InferPromptArguments,
  type PromptArgument,
  type PromptDefinition,
  type PromptReturn,
} from "./prompt_definitions.ts";

/**
 * The input type a handler receives for a given schema: the Standard Schema's output type, or a plain object for raw JSON Schema.
 *
 * @example
 * ```ts
 * import type { InferInput } from "@tether/mcp";
 * import * as z from "zod";
 * const input = z.object({ city: z.string() });
 * const sample: InferInput<typeof input> = { city: "Lyon" };
 * ```
 */
export type InferInput<S> = SchemaOutput<S>;

/**
 * What a tool handler may return: a string (one text block) or a full result.
 *
 * @example
 * ```ts
 * import type { ToolReturn } from "@tether/mcp";
 * const plain: ToolReturn = "done";
 * const rich: ToolReturn = { content: [{ type: "text", text: "done" }], isError: false };
 * ```
 */
export type ToolReturn = string | CallToolResult | DeferredResult;

/**
 * What a tool with a Standard Schema `output` returns: a result whose
 * `structuredContent` the schema accepts, an error result, or a deferred one.
 *
 * @example
 * ```ts
 * import type { StructuredToolReturn } from "@tether/mcp";
 * const sum: StructuredToolReturn<{ sum: number }> = { content: [], structuredContent: { sum: 3 } };
 * const failed: StructuredToolReturn<{ sum: number }> = { content: [{ type: "text", text: "overflow" }], isError: true };
 * ```
 */
export type StructuredToolReturn<T> =
  | (Omit<CallToolResult, "structuredContent"> & { structuredContent: T })
  | (CallToolResult & { isError: true })
  | DeferredResult;

/**
 * What a handler returns for output schema `O`: typed by a Standard Schema
 * (the type it accepts), else any {@linkcode ToolReturn} (a raw JSON Schema
 * is checked when the result comes back).
 *
 * @example
 * ```ts
 * import type { ToolReturnFor } from "@tether/mcp/types";
 * import * as z from "zod";
 * const output = z.object({ sum: z.number() });
 * const result: ToolReturnFor<typeof output> = { content: [], structuredContent: { sum: 3 } };
 * ```
 */
export type ToolReturnFor<O> = [O] extends [never] ? ToolReturn
  : O extends StandardSchemaV1 ? StructuredToolReturn<StandardInput<O>>
  : ToolReturn;

/**
 * A tool: its metadata, input schema, and the function that runs it.
 *
 * @example
 * ```ts
 * import { defineTool, type ToolDefinition } from "@tether/mcp";
 * const ping: ToolDefinition = defineTool({ name: "ping", description: "Answers pong", handler: () => "pong" });
 * ```
 */
export interface ToolDefinition<
  I extends SchemaInput = JsonSchema,
  O extends SchemaInput | undefined = undefined,
> {
  /** 1–128 characters of `[A-Za-z0-9_.-]`, unique within the server. */
  name: string;
  /** Human-friendly display name. */
  title?: string;
  /** What the tool does; models read this. */
  description?: string;
  /**
   * Input schema: a Standard Schema of an object (zod, Valibot, ArkType, ...),
   * or a raw JSON Schema kept verbatim and validated by `jsonSchemaValidator`.
   * Defaults to an empty object.
   */
  input?: I;
  /**
   * The JSON Schema listed for a Standard Schema `input`, instead of its own
   * conversion (`~standard.jsonSchema`); needed when the library has none.
   */
  inputJsonSchema?: JsonSchema;
  /**
   * Output schema: a Standard Schema or raw JSON Schema, of any type (an array, a string, ...).
   * Results must then carry `structuredContent` that matches it. Revisions
   * before 2026-07-28 allow only object output: a tool whose schema is not
   * `type: "object"` is listed to them without `outputSchema`, and its
   * results without `structuredContent` (the text content still carries it).
   * A Standard Schema types the handler's `structuredContent`.
   */
  output?: O;
  /** The JSON Schema listed for a Standard Schema `output`, instead of its own conversion. */
  outputJsonSchema?: JsonSchema;
  /** Behaviour hints for clients. */
  annotations?: ToolAnnotations;
  /** Icons a client may show for the tool. */
  icons?: Icon[];
  /** Extra metadata advertised in `tools/list`. */
  _meta?: Record<string, unknown>;
  /**
   * OAuth scopes a caller's token must hold to call it; without them the
   * request is answered `403` with a `WWW-Authenticate: Bearer
   * error="insufficient_scope"` challenge naming them, and does not run.
   * Default: none (any caller the handler admits).
   */
  scopes?: readonly string[];
  /**
   * Whether the tool may run as a task (the tasks extension), advertised as
   * `execution.taskSupport` in the sessionful era. `start: "handler"`: the
   * handler runs as a plain call and becomes a task by returning
   * `runAsTask(...)`; otherwise the whole call runs as one. Default: never a task.
   */
  task?: "optional" | "required" | { support: "optional" | "required"; start?: "call" | "handler" };
  /**
   * Runs the tool. Thrown errors and invalid input become `isError: true`
   * results, so the model sees what went wrong; a thrown
   * `UrlElicitationRequiredError`, or an `McpError` with code `-32021` (a
   * client capability the request did not declare, as a gateway passes an
   * upstream's back), is answered as the protocol says instead.
   */
  handler: (
    input: InferInput<I>,
    ctx: HandlerContext,
  ) => ToolReturnFor<O> | Promise<ToolReturnFor<O>>;
}

/**
 * Any tool definition, whatever its schema type.
 *
 * @example
 * ```ts
 * import { type AnyToolDefinition, createMcpHandler, defineTool } from "@tether/mcp";
 * const tools: AnyToolDefinition[] = [defineTool({ name: "ping", handler: () => "pong" })];
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools });
 * ```
 */
// deno-lint-ignore no-explicit-any
export type AnyToolDefinition = ToolDefinition<any, any>;

/**
 * Declares a tool with its input type (and, with a Standard Schema `output`,
 * its `structuredContent`) inferred from the schemas.
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * import * as z from "zod";
 * export const add = defineTool({
 *   name: "add",
 *   description: "Adds two numbers",
 *   input: z.object({ a: z.number(), b: z.number() }),
 *   output: z.object({ sum: z.number() }),
 *   handler: ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
 * });
 * ```
 */
export function defineTool<
  I extends SchemaInput = JsonSchema,
  O extends SchemaInput | undefined = undefined,
>(
  definition: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return definition;
}

/**
 * What a resource reader may return: text, bytes (sent as a base64 blob), or full contents.
 *
 * @example
 * ```ts
 * import type { ResourceReadReturn } from "@tether/mcp";
 * const text: ResourceReadReturn = "# Changelog";
 * const bytes: ResourceReadReturn = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
 * ```
 */
export type ResourceReadReturn = string | Uint8Array | ResourceContents | ResourceContents[];

/**
 * A resource at a fixed URI.
 *
 * @example
 * ```ts
 * import { defineResource, type ResourceDefinition } from "@tether/mcp";
 * const readme: ResourceDefinition = defineResource({ uri: "docs://readme", name: "readme", mimeType: "text/markdown", read: () => "# Hi" });
 * ```
 */
export interface ResourceDefinition {
  /** The resource's URI. */
  uri: string;
  /** Short name shown in lists. */
  name: string;
  /** Human-friendly display name. */
  title?: string;
  /** What the resource holds. */
  description?: string;
  /** MIME type of the contents. */
  mimeType?: string;
  /** Size in bytes, when known. */
  size?: number;
  /** Audience, priority and last-modified hints. */
  annotations?: ContentAnnotations;
  /** Icons a client may show for the resource. */
  icons?: Icon[];
  /** Extra metadata advertised in `resources/list`. */
  _meta?: Record<string, unknown>;
  /** How long 2026-07-28 clients may reuse what `read` returns. Default `{ ttlMs: 0, cacheScope: "private" }`. */
  cache?: CacheHint;
  /**
   * OAuth scopes a caller's token must hold to read it; without them the
   * request is answered `403` with a `WWW-Authenticate: Bearer
   * error="insufficient_scope"` challenge naming them, and does not run.
   * Default: none (any caller the handler admits).
   */
  scopes?: readonly string[];
  /** Reads the contents. */
  read: (uri: string, ctx: HandlerContext) => ResourceReadReturn | Promise<ResourceReadReturn>;
  /**
   * Told once tether recorded a session's subscription to `uri`, or when a
   * 2026-07-28 listen names it (`ctx.listen` is that stream); a rejection
   * undoes it (the listen's acknowledgement leaves it out). Default: none.
   */
  subscribe?: SubscriptionHook;
  /** Told once tether removed a session's subscription to `uri`, or its listen stream ended. Default: none. */
  unsubscribe?: SubscriptionHook;
}

/**
 * Declares a fixed resource.
 *
 * @example
 * ```ts
 * import { defineResource } from "@tether/mcp";
 * export const readme = defineResource({
 *   uri: "docs://readme", name: "readme", mimeType: "text/markdown",
 *   read: () => "# Hello",
 * });
 * ```
 */
export function defineResource(definition: ResourceDefinition): ResourceDefinition {
  return definition;
}

/** A resource's hook on a session's `resources/subscribe` or `unsubscribe` (a gateway relays it upstream). */
export type SubscriptionHook = (uri: string, ctx: HandlerContext) => void | Promise<void>;

/**
 * A family of resources described by an RFC 6570 URI template. `T`, the
 * template's string literal type, types the variables `read` gets
 * ({@linkcode TemplateVariables}) and the names `complete` may have.
 *
 * @example
 * ```ts
 * import { defineResourceTemplate, type ResourceTemplateDefinition } from "@tether/mcp";
 * const users: ResourceTemplateDefinition = defineResourceTemplate({
 *   uriTemplate: "users://{id}/profile",
 *   name: "user",
 *   read: (_uri, { id }) => JSON.stringify({ id }),
 * });
 * ```
 */
export interface ResourceTemplateDefinition<T extends string = string> {
  /** The URI template, e.g. `files://{path}`. */
  uriTemplate: T;
  /** Short name shown in lists. */
  name: string;
  /** Human-friendly display name. */
  title?: string;
  /** What the resources hold. */
  description?: string;
  /** MIME type of the contents. */
  mimeType?: string;
  /** Audience, priority and last-modified hints. */
  annotations?: ContentAnnotations;
  /** Icons a client may show for the template's resources. */
  icons?: Icon[];
  /** Extra metadata advertised in `resources/templates/list`. */
  _meta?: Record<string, unknown>;
  /** Concrete resources of this template to include in `resources/list`. */
  list?: (ctx: HandlerContext) => ResourceEntry[] | Promise<ResourceEntry[]>;
  /** Completers for template variables, by variable name. */
  complete?: string extends T ? Record<string, Completer>
    : { [K in TemplateVariableName<T>]?: Completer };
  /** How long 2026-07-28 clients may reuse what `read` returns. Default `{ ttlMs: 0, cacheScope: "private" }`. */
  cache?: CacheHint;
  /**
   * OAuth scopes a caller's token must hold to read a matching URI; without them the
   * request is answered `403` with a `WWW-Authenticate: Bearer
   * error="insufficient_scope"` challenge naming them, and does not run.
   * Default: none (any caller the handler admits).
   */
  scopes?: readonly string[];
  /**
   * Reads a matching URI; returning undefined answers "resource not found".
   * (A method, so a typed template is still a `ResourceTemplateDefinition`.)
   */
  read(
    uri: string,
    variables: TemplateVariables<T>,
    ctx: HandlerContext,
  ): ResourceReadReturn | undefined | Promise<ResourceReadReturn | undefined>;
  /**
   * Told once tether recorded a session's subscription to `uri`, or when a
   * 2026-07-28 listen names it (`ctx.listen` is that stream); a rejection
   * undoes it (the listen's acknowledgement leaves it out). Default: none.
   */
  subscribe?: SubscriptionHook;
  /** Told once tether removed a session's subscription to `uri`, or its listen stream ended. Default: none. */
  unsubscribe?: SubscriptionHook;
}

/**
 * Declares a resource template, its variables typed from `uriTemplate`.
 *
 * @example
 * ```ts
 * import { defineResourceTemplate } from "@tether/mcp";
 * export const user = defineResourceTemplate({
 *   uriTemplate: "users://{id}", name: "user", mimeType: "application/json",
 *   read: (_uri, { id }) => JSON.stringify({ id }),
 * });
 * ```
 */
export function defineResourceTemplate<const T extends string>(
  definition: ResourceTemplateDefinition<T>,
): ResourceTemplateDefinition<T> {
  return definition;
}
