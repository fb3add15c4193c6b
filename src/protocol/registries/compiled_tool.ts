/**
 * One tool definition checked and compiled at registration: its name, scopes,
 * task support and schemas, and the `tools/list` entries for each era. It
 * throws on a bad definition; running a call is tool_invocation.ts's job.
 * @module
 */

import type { AnyToolDefinition } from "../definitions/definitions.ts";
import { checkIcons } from "../definitions/icons.ts";
import { type CompiledSchema, compileSchema, type JsonSchema } from "../schema/schema.ts";
import type { JsonSchemaValidator } from "../schema/json_schema_validator.ts";
import { type HeaderParameter, scanHeaderParameters } from "../schema/header_parameters.ts";
import { checkScopes } from "../definitions/scopes.ts";

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const EMPTY_OBJECT_SCHEMA: JsonSchema = Object.freeze({
  type: "object",
  properties: {},
}) as JsonSchema;

/** A tool definition checked and compiled once, with its listings. */
export interface CompiledTool {
  definition: AnyToolDefinition;
  /** The `tools/list` entry for 2026-07-28. */
  listing: Record<string, unknown>;
  /**
   * The entry for the revisions before it: with `execution` when the tool
   * may run as a task, and without `outputSchema` when that is not an
   * object schema (they allow no other).
   */
  legacyListing: Record<string, unknown>;
  /** False when the output schema is not an object schema: older revisions get no `structuredContent`. */
  objectOutput: boolean;
  /** Input properties routed as `Mcp-Param-*` headers (2026-07-28), checked at registration. */
  headerParameters: readonly HeaderParameter[];
  /** The input schema, compiled; undefined when the tool declares none. */
  input: CompiledSchema | undefined;
  /** The output schema, compiled; undefined when the tool declares none. */
  output: CompiledSchema | undefined;
}

/** Checks `definition` and compiles its schemas; throws a TypeError naming the tool when it is invalid. */
export function compileTool(
  definition: AnyToolDefinition,
  validator: JsonSchemaValidator,
): CompiledTool {
  if (typeof definition.name !== "string" || !TOOL_NAME.test(definition.name)) {
    throw new TypeError(
      `Invalid tool name ${JSON.stringify(definition.name)}: use 1-128 of [A-Za-z0-9_.-]`,
    );
  }
  if (typeof definition.handler !== "function") {
    throw new TypeError(`Tool "${definition.name}" has no handler function`);
  }
  checkScopes(definition.scopes, `Tool "${definition.name}"`);
  const input = definition.input === undefined ? undefined : compileSchema(definition.input, {
    io: "input",
    owner: `Tool "${definition.name}": input`,
    besideHint: "inputJsonSchema",
    jsonSchema: definition.inputJsonSchema,
    validator,
  });
  const inputSchema = input?.advertised ?? EMPTY_OBJECT_SCHEMA;
  if (inputSchema.type !== "object") {
    throw new TypeError(
      `Tool "${definition.name}": input schema must describe an object (type "object")`,
    );
  }
  const listing: Record<string, unknown> = { name: definition.name };
  if (definition.title !== undefined) listing.title = definition.title;
  if (definition.description !== undefined) listing.description = definition.description;
  listing.inputSchema = inputSchema;
  let objectOutput = true;
  const output = definition.output === undefined ? undefined : compileSchema(definition.output, {
    io: "output",
    owner: `Tool "${definition.name}": output`,
    besideHint: "outputJsonSchema",
    jsonSchema: definition.outputJsonSchema,
    validator,
  });
  if (output !== undefined) {
    const outputSchema = output.advertised;
    if (typeof outputSchema !== "object" || outputSchema === null || Array.isArray(outputSchema)) {
      throw new TypeError(`Tool "${definition.name}": output schema must be a JSON Schema object`);
    }
    objectOutput = outputSchema.type === "object";
    listing.outputSchema = outputSchema;
  }
  if (definition.annotations !== undefined) listing.annotations = definition.annotations;
  const icons = checkIcons(definition.icons, `Tool "${definition.name}"`);
  if (icons !== undefined) listing.icons = icons;
  if (definition._meta !== undefined) listing._meta = definition._meta;
  let legacyListing = listing;
  const taskSupport = taskSupportOf(definition);
  if (taskSupport !== undefined) {
    // 2026-07-28 deleted `execution`: only the older revisions see it.
    legacyListing = { ...listing, execution: { taskSupport } };
  }
  if (!objectOutput) {
    if (legacyListing === listing) legacyListing = { ...listing };
    delete legacyListing.outputSchema;
  }
  let headerParameters: readonly HeaderParameter[];
  try {
    headerParameters = scanHeaderParameters(inputSchema);
  } catch (error) {
    throw new TypeError(
      `Tool "${definition.name}": ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { definition, listing, legacyListing, objectOutput, headerParameters, input, output };
}

/** A tool's declared task support (`task`), checked. */
function taskSupportOf(definition: AnyToolDefinition): "optional" | "required" | undefined {
  const task = definition.task;
  if (task === undefined) return undefined;
  const support = typeof task === "string" ? task : task?.support;
  if (support !== "optional" && support !== "required") {
    throw new TypeError(
      `Tool "${definition.name}": task must be "optional" or "required" (or { support, start })`,
    );
  }
  return support;
}
