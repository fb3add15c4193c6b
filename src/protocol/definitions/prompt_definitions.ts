/**
 * How server authors describe prompts: the argument list, the handler's
 * return, and `definePrompt`, which only returns its argument so TypeScript
 * infers the handler's arguments from its Standard Schema.
 * @module
 */

import type { HandlerContext } from "../context/request_context.ts";
import type { Completer } from "./completer.ts";
import type { JsonSchema, SchemaOutput } from "../schema/schema.ts";
import type { StandardSchemaV1 } from "../schema/standard_schema.ts";
import type { GetPromptResult, Icon } from "../types.ts";

/**
 * One prompt argument as advertised by `prompts/list`.
 *
 * @example
 * ```ts
 * import { definePrompt, type PromptArgument } from "@tether/mcp";
 * const topic: PromptArgument = { name: "topic", description: "What to write about", required: true };
 * const essay = definePrompt({ name: "essay", arguments: [topic], handler: ({ topic }) => `Write about ${topic}.` });
 * ```
 */
export interface PromptArgument {
  /** The argument's name. */
  name: string;
  /** Human-friendly display name. */
  title?: string;
  /** What the argument means. */
  description?: string;
  /** True when `prompts/get` must supply it. */
  required?: boolean;
}

/**
 * What a prompt handler may return: a string (one user text message) or a full result.
 *
 * @example
 * ```ts
 * import type { PromptReturn } from "@tether/mcp";
 * const simple: PromptReturn = "Summarise the report.";
 * const full: PromptReturn = { messages: [{ role: "user", content: { type: "text", text: "Summarise the report." } }] };
 * ```
 */
export type PromptReturn = string | GetPromptResult;

/**
 * The arguments a prompt handler receives: a Standard Schema's output, else strings.
 *
 * @example
 * ```ts
 * import type { InferPromptArguments } from "@tether/mcp/types";
 * type Plain = InferPromptArguments<undefined>; // Record<string, string>
 * const args: Plain = { topic: "owls" };
 * ```
 */
export type InferPromptArguments<A> = A extends StandardSchemaV1 ? SchemaOutput<A>
  : Record<string, string>;

/**
 * A prompt template.
 *
 * @example
 * ```ts
 * import { definePrompt, type PromptDefinition } from "@tether/mcp";
 * const greet: PromptDefinition = definePrompt({ name: "greet", handler: () => "Say hello." });
 * ```
 */
export interface PromptDefinition<
  A extends StandardSchemaV1 | PromptArgument[] = PromptArgument[],
> {
  /** Unique prompt name. */
  name: string;
  /** Human-friendly display name. */
  title?: string;
  /** What the prompt is for. */
  description?: string;
  /**
   * Arguments: a Standard Schema of an object of strings (validated; listed
   * from its JSON Schema), or a plain list (only `required` is checked).
   */
  arguments?: A;
  /** The JSON Schema the argument list is read from, for a Standard Schema with no converter of its own. */
  argumentsJsonSchema?: JsonSchema;
  /** Completers for arguments, by argument name. */
  complete?: Record<string, Completer>;
  /** Icons a client may show for the prompt. */
  icons?: Icon[];
  /** Extra metadata advertised in `prompts/list`. */
  _meta?: Record<string, unknown>;
  /**
   * OAuth scopes a caller's token must hold to get it; without them the
   * request is answered `403` with a `WWW-Authenticate: Bearer
   * error="insufficient_scope"` challenge naming them, and does not run.
   * Default: none (any caller the handler admits).
   */
  scopes?: readonly string[];
  /** Builds the prompt's messages. */
  handler: (
    args: InferPromptArguments<A>,
    ctx: HandlerContext,
  ) => PromptReturn | Promise<PromptReturn>;
}

/**
 * Any prompt definition, whatever its argument type.
 *
 * @example
 * ```ts
 * import { type AnyPromptDefinition, createMcpHandler, definePrompt } from "@tether/mcp";
 * const prompts: AnyPromptDefinition[] = [definePrompt({ name: "greet", handler: () => "Say hello." })];
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", prompts });
 * ```
 */
// deno-lint-ignore no-explicit-any
export type AnyPromptDefinition = PromptDefinition<any>;

/**
 * Declares a prompt with its argument type inferred from its Standard Schema.
 *
 * @example
 * ```ts
 * import { definePrompt } from "@tether/mcp";
 * import * as z from "zod";
 * export const review = definePrompt({
 *   name: "review",
 *   arguments: z.object({ code: z.string() }),
 *   handler: ({ code }) => `Please review:\n${code}`,
 * });
 * ```
 */
export function definePrompt<A extends StandardSchemaV1 | PromptArgument[] = PromptArgument[]>(
  definition: PromptDefinition<A>,
): PromptDefinition<A> {
  return definition;
}
