/**
 * The prompt registry: `prompts/list` entries derived once from each prompt's
 * arguments, and `prompts/get` with argument validation (-32602 on missing or
 * invalid arguments, as the spec asks).
 * @module
 */

import { echoInput } from "../../jsonrpc/echo.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { HandlerContext } from "../context/request_context.ts";
import {
  type AnyPromptDefinition,
  type Completer,
  ownCompleter,
  type PromptArgument,
} from "../definitions/definitions.ts";
import { checkIcons } from "../definitions/icons.ts";
import { type CompiledSchema, compileSchema } from "../schema/schema.ts";
import { cfworkerValidator } from "../schema/json_schema_validator.ts";
import { isStandardSchema } from "../schema/standard_schema.ts";
import type { ChangeListener } from "./tools.ts";
import type { GetPromptResult } from "../types.ts";
import { checkScopes, NO_SCOPES } from "../definitions/scopes.ts";
import { declaresScopes, swapped } from "./registry_swap.ts";

interface CompiledPrompt {
  definition: AnyPromptDefinition;
  arguments: PromptArgument[];
  listing: Record<string, unknown>;
  /** The arguments' Standard Schema, compiled; undefined for a plain list. */
  schema: CompiledSchema | undefined;
}

function compileArguments(definition: AnyPromptDefinition): CompiledSchema | undefined {
  const args = definition.arguments;
  if (args === undefined || Array.isArray(args)) return undefined;
  if (!isStandardSchema(args)) {
    throw new TypeError(
      `Prompt "${definition.name}": arguments must be a Standard Schema (zod, Valibot, ArkType, ...) or a list`,
    );
  }
  return compileSchema(args, {
    io: "input",
    owner: `Prompt "${definition.name}": arguments`,
    besideHint: "argumentsJsonSchema",
    jsonSchema: definition.argumentsJsonSchema,
    validator: cfworkerValidator,
  });
}

function argumentsOf(
  definition: AnyPromptDefinition,
  compiled: CompiledSchema | undefined,
): PromptArgument[] {
  const args = definition.arguments;
  if (args === undefined) return [];
  if (Array.isArray(args)) return args;
  const schema = compiled!.advertised;
  if (schema.type !== "object") {
    throw new TypeError(`Prompt "${definition.name}": arguments schema must be an object`);
  }
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(properties).map(([name, property]) => {
    const argument: PromptArgument = { name, required: required.has(name) };
    if (typeof property.title === "string") argument.title = property.title;
    if (typeof property.description === "string") argument.description = property.description;
    return argument;
  });
}

function compilePrompt(definition: AnyPromptDefinition): CompiledPrompt {
  if (typeof definition.name !== "string" || definition.name === "") {
    throw new TypeError("Prompt needs a name");
  }
  if (typeof definition.handler !== "function") {
    throw new TypeError(`Prompt "${definition.name}" has no handler`);
  }
  checkScopes(definition.scopes, `Prompt "${definition.name}"`);
  const schema = compileArguments(definition);
  const args = argumentsOf(definition, schema);
  const listing: Record<string, unknown> = { name: definition.name };
  if (definition.title !== undefined) listing.title = definition.title;
  if (definition.description !== undefined) listing.description = definition.description;
  if (args.length > 0) listing.arguments = args;
  const icons = checkIcons(definition.icons, `Prompt "${definition.name}"`);
  if (icons !== undefined) listing.icons = icons;
  if (definition._meta !== undefined) listing._meta = definition._meta;
  return { definition, arguments: args, listing, schema };
}

/**
 * The server's prompts.
 *
 * @example
 * ```ts
 * import { createMcpHandler, definePrompt } from "@tether/mcp";
 * import type { PromptRegistry } from "@tether/mcp/types";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", prompts: [] });
 * const prompts: PromptRegistry = handler.prompts;
 * prompts.add(definePrompt({ name: "greet", handler: () => "Say hello." })); // listeners get prompts/list_changed
 * ```
 */
export class PromptRegistry {
  #scoped = false;
  #prompts = new Map<string, CompiledPrompt>();
  #listing: Record<string, unknown>[] | undefined;
  #onChange: ChangeListener | undefined;

  /** Creates a registry; throws on duplicate names or bad argument schemas. */
  constructor(definitions: readonly AnyPromptDefinition[] = []) {
    for (const definition of definitions) this.#add(definition);
  }

  /** Registers the listener told about runtime changes. */
  onChange(listener: ChangeListener): void {
    this.#onChange = listener;
  }

  #add(definition: AnyPromptDefinition, into: Map<string, CompiledPrompt> = this.#prompts): void {
    const compiled = compilePrompt(definition);
    if (into.has(definition.name)) {
      throw new TypeError(`Duplicate prompt name: ${definition.name}`);
    }
    into.set(definition.name, compiled);
    if (into === this.#prompts) this.#scoped ||= declaresScopes(definition);
    this.#listing = undefined;
  }

  /** Adds a prompt at runtime. */
  add(definition: AnyPromptDefinition): void {
    this.#add(definition);
    this.#onChange?.();
  }

  /**
   * Removes the prompts `remove` names and adds `add`, as one change: every
   * definition is checked first, so a throw leaves the registry as it was;
   * listeners hear of it once.
   *
   * @example
   * ```ts
   * import { createMcpHandler, definePrompt } from "@tether/mcp";
   * const handler = createMcpHandler({ name: "app", version: "1.0.0", prompts: [] });
   * handler.prompts.replace([], [definePrompt({ name: "greet", handler: () => "Say hello." })]);
   * ```
   */
  replace(remove: Iterable<string>, add: readonly AnyPromptDefinition[]): void {
    const next = swapped(this.#prompts, remove, (into) => add.forEach((d) => this.#add(d, into)));
    if (next === undefined) return;
    this.#prompts = next;
    this.#scoped ||= add.some(declaresScopes);
    this.#listing = undefined;
    this.#onChange?.();
  }

  /** A prompt's definition; undefined for an unknown name. */
  definition(name: string): AnyPromptDefinition | undefined {
    return this.#prompts.get(name)?.definition;
  }

  /** Removes a prompt at runtime; true when it existed. */
  remove(name: string): boolean {
    const removed = this.#prompts.delete(name);
    if (removed) {
      this.#listing = undefined;
      this.#onChange?.();
    }
    return removed;
  }

  /** True once a definition that declares scopes was added: until then no call needs checking. */
  get scoped(): boolean {
    return this.#scoped;
  }

  /** The scopes getting a prompt needs (none for an unknown prompt: its get fails anyway). */
  scopes(name: unknown): readonly string[] {
    return (typeof name === "string" ? this.#prompts.get(name)?.definition.scopes : undefined) ??
      NO_SCOPES;
  }

  /** True when a prompt of this name is defined (now). */
  has(name: string): boolean {
    return this.#prompts.has(name);
  }

  /** The `prompts/list` entries. */
  list(): readonly Record<string, unknown>[] {
    return this.#listing ??= [...this.#prompts.values()].map((p) => p.listing);
  }

  /** Runs `prompts/get`. */
  async get(params: Record<string, unknown>, ctx: HandlerContext): Promise<GetPromptResult> {
    const prompt = this.#lookup(params.name);
    const given = params.arguments ?? {};
    if (!isPlainObject(given)) {
      throw new McpError(ErrorCode.InvalidParams, "prompts/get arguments must be an object");
    }
    const definition = prompt.definition;
    let args: unknown = given;
    if (prompt.schema !== undefined) {
      const checked = await prompt.schema.validate(given);
      if (!checked.ok) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `Invalid arguments for prompt ${prompt.definition.name}: ${checked.message}`,
        );
      }
      args = checked.value;
    } else {
      for (const argument of prompt.arguments) {
        if (
          argument.required && typeof (given as Record<string, unknown>)[argument.name] !== "string"
        ) {
          throw new McpError(
            ErrorCode.InvalidParams,
            `Missing required argument: ${argument.name}`,
          );
        }
      }
    }
    const output = await definition.handler(args, ctx);
    if (typeof output === "string") {
      return { messages: [{ role: "user", content: { type: "text", text: output } }] };
    }
    return output;
  }

  /** The completer for a prompt argument; throws -32602 for an unknown prompt. */
  completer(name: unknown, argument: string): Completer | undefined {
    return ownCompleter(this.#lookup(name).definition.complete, argument);
  }

  #lookup(name: unknown): CompiledPrompt {
    if (typeof name !== "string") {
      throw new McpError(ErrorCode.InvalidParams, "A string prompt name is required");
    }
    const prompt = this.#prompts.get(name);
    if (prompt === undefined) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${echoInput(name)}`);
    }
    return prompt;
  }
}
