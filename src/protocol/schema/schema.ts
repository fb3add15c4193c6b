/**
 * Input and output schemas: a Standard Schema (zod, Valibot, ArkType, ...)
 * validated by its own library and advertised through its Standard JSON
 * Schema converter (or a JSON Schema given beside it), or a raw JSON Schema
 * advertised verbatim and validated by the server's `JsonSchemaValidator`.
 * Either way numbers must be finite anywhere in the value. Each schema is
 * compiled once; nothing here imports a schema library.
 * @module
 */

import { echoInput } from "../../jsonrpc/echo.ts";
import type { JsonSchemaValidator } from "./json_schema_validator.ts";
import { isPromiseLike } from "../maybe_async.ts";
import {
  isStandardSchema,
  type StandardInput,
  type StandardIssue,
  type StandardOutput,
  type StandardResult,
  type StandardSchemaV1,
} from "./standard_schema.ts";

/**
 * A JSON Schema document as a plain object.
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * import type { JsonSchema } from "@tether/mcp/types";
 * const input: JsonSchema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
 * const weather = defineTool({ name: "weather", input, handler: (args) => `Sunny in ${String(args.city)}` });
 * ```
 */
export type JsonSchema = { [key: string]: unknown };

/**
 * A zod schema producing `Output`: any Standard Schema does. Kept for code
 * written before tether took every Standard Schema.
 *
 * @deprecated Use {@linkcode StandardSchemaV1}.
 * @example
 * ```ts
 * import type { ZodSchemaLike } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schema: ZodSchemaLike<{ city: string }> = z.object({ city: z.string() });
 * ```
 */
export type ZodSchemaLike<Output = unknown> = StandardSchemaV1<unknown, Output>;

/**
 * A schema given by the server author: a Standard Schema, or raw JSON Schema.
 *
 * @example
 * ```ts
 * import type { SchemaInput } from "@tether/mcp/types";
 * import * as z from "zod";
 * const either: SchemaInput[] = [z.object({ n: z.number() }), { type: "object", properties: { n: { type: "number" } } }];
 * ```
 */
export type SchemaInput = StandardSchemaV1 | JsonSchema;

/**
 * The type a schema produces: the Standard Schema's output type, or a plain object for raw JSON Schema.
 *
 * @example
 * ```ts
 * import type { SchemaOutput } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schema = z.object({ n: z.number() });
 * const parsed: SchemaOutput<typeof schema> = { n: 1 };
 * ```
 */
export type SchemaOutput<S> = S extends StandardSchemaV1 ? StandardOutput<S>
  : Record<string, unknown>;

/**
 * The type a schema accepts: the Standard Schema's input type, or anything
 * for raw JSON Schema (checked when the value is produced).
 *
 * @example
 * ```ts
 * import type { SchemaAccepted } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schema = z.object({ n: z.number() });
 * const value: SchemaAccepted<typeof schema> = { n: 1 };
 * ```
 */
export type SchemaAccepted<S> = S extends StandardSchemaV1 ? StandardInput<S> : unknown;

/** The outcome of a {@linkcode CompiledSchema} check. */
export type ValidationResult = { ok: true; value: unknown } | { ok: false; message: string };

/** A schema compiled at startup: what to advertise, and how to check a value. */
export interface CompiledSchema {
  /** The JSON Schema listed to clients. */
  readonly advertised: JsonSchema;
  /** Checks (and for a Standard Schema, may transform) a value; async only when the schema is. */
  validate(value: unknown): ValidationResult | Promise<ValidationResult>;
}

/** How {@linkcode compileSchema} names and compiles a schema. */
export interface CompileOptions {
  /** Which side of the schema to advertise. */
  io: "input" | "output";
  /** Who owns it, for startup errors: `Tool "x": input`. */
  owner: string;
  /** What to pass beside a Standard Schema that has no converter, for the startup error. */
  besideHint: string;
  /** A JSON Schema given beside a Standard Schema, listed instead of converting it. */
  jsonSchema?: JsonSchema;
  /** Compiles raw JSON Schemas. */
  validator: JsonSchemaValidator;
}

/**
 * Compiles `schema` once: converts or takes its JSON Schema and builds its
 * check. Throws a TypeError naming the owner for a Standard Schema with no
 * JSON Schema, and for a raw schema the validator refuses.
 */
export function compileSchema(schema: SchemaInput, options: CompileOptions): CompiledSchema {
  if (isStandardSchema(schema)) {
    const advertised = options.jsonSchema ?? convert(schema, options);
    const props = schema["~standard"];
    return {
      advertised,
      validate: (value) => {
        // Some libraries pass Infinity as a number (Valibot does): JSON has no such value.
        const problem = nonFiniteNumberIn(value, "input");
        if (problem !== undefined) return { ok: false, message: problem };
        let result: ReturnType<typeof props.validate>;
        try {
          result = props.validate(value);
        } catch (error) {
          return thrownBySchema(error);
        }
        return isPromiseLike(result)
          ? Promise.resolve(result).then(fromStandard, thrownBySchema)
          : fromStandard(result);
      },
    };
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new TypeError(
      `${options.owner} schema must be a JSON Schema object or a Standard Schema (zod, Valibot, ArkType, ...)`,
    );
  }
  let check: (value: unknown) => string | undefined;
  try {
    check = options.validator(schema);
  } catch (error) {
    throw new TypeError(
      `${options.owner} schema refused: ${error instanceof Error ? error.message : error}`,
    );
  }
  return {
    advertised: schema,
    validate: (value) => {
      const problem = nonFiniteNumberIn(value, "input") ?? check(value);
      return problem === undefined ? { ok: true, value } : { ok: false, message: problem };
    },
  };
}

/**
 * A Standard Schema's JSON Schema, from its own converter (zod keeps the
 * options tether always used: types JSON cannot describe become `{}`). The
 * `$schema` key is dropped: 2020-12 is MCP's default dialect, and some client
 * validators reject the key.
 */
function convert(schema: StandardSchemaV1, options: CompileOptions): JsonSchema {
  const props = schema["~standard"];
  const converter = props.jsonSchema;
  if (typeof converter?.[options.io] !== "function") {
    throw new TypeError(
      `${options.owner} schema (${
        JSON.stringify(props.vendor)
      }) cannot describe itself as JSON Schema ` +
        `(it has no ~standard.jsonSchema converter); pass ${options.besideHint} beside it` +
        (props.vendor === "valibot"
          ? `, or wrap it with toStandardJsonSchema() from @valibot/to-json-schema`
          : ""),
    );
  }
  let converted: JsonSchema;
  try {
    converted = converter[options.io]({
      target: "draft-2020-12",
      libraryOptions: props.vendor === "zod" ? { unrepresentable: "any" } : undefined,
    });
  } catch (error) {
    throw new TypeError(
      `${options.owner} schema (${
        JSON.stringify(props.vendor)
      }) could not be converted to JSON Schema ` +
        `(${error instanceof Error ? error.message : error}); pass ${options.besideHint} beside it`,
    );
  }
  if (typeof converted !== "object" || converted === null || Array.isArray(converted)) {
    throw new TypeError(`${options.owner} schema: the JSON Schema converter returned no object`);
  }
  const { $schema: _, ...rest } = converted;
  return rest;
}

/** Fail closed: a schema that throws has not passed the value. */
function thrownBySchema(error: unknown): ValidationResult {
  return {
    ok: false,
    message: `could not be validated (${error instanceof Error ? error.message : String(error)})`,
  };
}

function fromStandard(result: StandardResult<unknown>): ValidationResult {
  if (result.issues === undefined) return { ok: true, value: result.value };
  return { ok: false, message: describeIssues(result.issues) };
}

/** The most issues a message lists: a value with thousands of wrong items gets a bounded answer. */
const MAX_ISSUES = 10;

/**
 * Issues as lines, shallowest first: `✖ message` and `  → at path` (zod's
 * pretty format), each bounded by echoInput (a library may quote the value).
 */
export function describeIssues(issues: ReadonlyArray<StandardIssue>): string {
  const lines: string[] = [];
  const sorted = [...issues].sort((a, b) => (a.path?.length ?? 0) - (b.path?.length ?? 0));
  for (const issue of sorted.slice(0, MAX_ISSUES)) {
    lines.push(`✖ ${echoInput(String(issue.message))}`);
    if (issue.path !== undefined && issue.path.length > 0) {
      lines.push(`  → at ${echoInput(dotPath(issue.path))}`);
    }
  }
  if (sorted.length > MAX_ISSUES) lines.push(`✖ and ${sorted.length - MAX_ISSUES} more`);
  return lines.length === 0 ? "✖ invalid" : lines.join("\n");
}

function dotPath(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string {
  let text = "";
  for (const segment of path) {
    const key = typeof segment === "object" && segment !== null ? segment.key : segment;
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "symbol") text += `[${JSON.stringify(String(key))}]`;
    else if (/[^\w$]/.test(key)) text += `[${JSON.stringify(echoInput(key))}]`;
    else text += text === "" ? echoInput(key) : `.${echoInput(key)}`;
  }
  return text;
}

/**
 * Where `value` holds a number JSON cannot carry (`1e400` parses to Infinity;
 * NaN from a tool): JSON has no such value, and JSON.stringify would send it
 * as `null`, against the very schema that passed it. Every place is looked
 * at, not only those the schema names.
 */
function nonFiniteNumberIn(value: unknown, where: string): string | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) ? undefined : `${where}: not a finite number`;
  }
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = nonFiniteNumberIn(value[i], `${where}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const child = (value as Record<string, unknown>)[key];
    if (typeof child !== "object" && typeof child !== "number") continue;
    const problem = nonFiniteNumberIn(child, where === "input" ? key : `${where}.${key}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
