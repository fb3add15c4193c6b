/**
 * Input and output schemas: a zod schema (converted once at startup with
 * `z.toJSONSchema`) or a raw JSON Schema object kept verbatim. Validation uses
 * zod for zod schemas; raw schemas get a small structural check (type,
 * required, properties, items, enum, const, additionalProperties; numbers
 * must be finite anywhere in the value) and other keywords (`$ref`, formats,
 * combinators) are not enforced.
 * @module
 */

import * as z from "zod";
import { echoInput } from "../jsonrpc/echo.ts";

/**
 * A JSON Schema document as a plain object.
 *
 * @example
 * ```ts
 * import { defineTool, type JsonSchema } from "@tether/mcp";
 * const input: JsonSchema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
 * const weather = defineTool({ name: "weather", input, handler: (args) => `Sunny in ${String(args.city)}` });
 * ```
 */
export type JsonSchema = { [key: string]: unknown };

/**
 * The part of a zod (v4) schema tether relies on. Any zod schema fits; the
 * structural type keeps zod's own types out of tether's public API.
 *
 * @example
 * ```ts
 * import type { ZodSchemaLike } from "@tether/mcp";
 * import * as z from "zod";
 * const schema: ZodSchemaLike<{ city: string }> = z.object({ city: z.string() });
 * ```
 */
export interface ZodSchemaLike<Output = unknown> {
  /** Zod's internals; `output` carries the parsed type. */
  readonly _zod: { readonly output: Output };
  /** Validates and transforms a value. */
  safeParse(value: unknown): { success: true; data: Output } | { success: false; error: unknown };
}

/**
 * A schema given by the server author: zod, or raw JSON Schema.
 *
 * @example
 * ```ts
 * import type { SchemaInput } from "@tether/mcp";
 * import * as z from "zod";
 * const either: SchemaInput[] = [z.object({ n: z.number() }), { type: "object", properties: { n: { type: "number" } } }];
 * ```
 */
export type SchemaInput = ZodSchemaLike | JsonSchema;

/**
 * The type a schema produces: zod's output type, or a plain object for raw JSON Schema.
 *
 * @example
 * ```ts
 * import type { SchemaOutput } from "@tether/mcp";
 * import * as z from "zod";
 * const schema = z.object({ n: z.number() });
 * const parsed: SchemaOutput<typeof schema> = { n: 1 };
 * ```
 */
export type SchemaOutput<S> = S extends { readonly _zod: { readonly output: infer O } } ? O
  : Record<string, unknown>;

/** The outcome of {@linkcode validateWithSchema}. */
export type ValidationResult = { ok: true; value: unknown } | { ok: false; message: string };

/** True when `schema` is a zod (v4) schema rather than a raw JSON Schema. */
export function isZodSchema(schema: unknown): schema is ZodSchemaLike {
  return typeof schema === "object" && schema !== null && "_zod" in schema &&
    typeof (schema as { safeParse?: unknown }).safeParse === "function";
}

/**
 * The JSON Schema to advertise for `schema`. Zod schemas are converted (the
 * `$schema` key is dropped: 2020-12 is MCP's default dialect, and some client
 * validators reject the key); raw schemas are returned as given.
 */
export function advertisedSchema(schema: SchemaInput, io: "input" | "output"): JsonSchema {
  if (!isZodSchema(schema)) return schema;
  const converted = z.toJSONSchema(schema as unknown as z.ZodType, {
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  delete converted.$schema;
  return converted;
}

/** Validates `value`; zod schemas may transform it, raw schemas return it unchanged. */
export function validateWithSchema(schema: SchemaInput, value: unknown): ValidationResult {
  if (isZodSchema(schema)) {
    const result = schema.safeParse(value);
    return result.success
      ? { ok: true, value: result.data }
      : { ok: false, message: z.prettifyError(result.error as z.ZodError) };
  }
  const problem = nonFiniteNumberIn(value, "input") ?? checkJsonSchema(schema, value, "");
  return problem === undefined ? { ok: true, value } : { ok: false, message: problem };
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

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(expected: unknown, actual: string): boolean {
  const types = Array.isArray(expected) ? expected : [expected];
  return types.some((t) => t === actual || (t === "number" && actual === "integer"));
}

function checkJsonSchema(schema: unknown, value: unknown, path: string): string | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  const s = schema as JsonSchema;
  const where = path === "" ? "input" : path;
  if (s.type !== undefined && !matchesType(s.type, typeOf(value))) {
    return `${where}: expected ${JSON.stringify(s.type)}, got ${typeOf(value)}`;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    return `${where}: not one of the allowed values`;
  }
  if (Object.hasOwn(s, "const") && JSON.stringify(s.const) !== JSON.stringify(value)) {
    return `${where}: must equal ${JSON.stringify(s.const)}`;
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    if (Array.isArray(s.required)) {
      for (const key of s.required) {
        if (typeof key === "string" && !Object.hasOwn(object, key)) {
          return `${where}: missing required property "${key}"`;
        }
      }
    }
    const properties = (typeof s.properties === "object" && s.properties !== null)
      ? s.properties as JsonSchema
      : {};
    // Own properties only: `in` would find toString, constructor and __proto__ on Object.prototype.
    for (const [key, child] of Object.entries(object)) {
      if (Object.hasOwn(properties, key)) {
        const problem = checkJsonSchema(
          properties[key],
          child,
          path === "" ? key : `${path}.${key}`,
        );
        if (problem !== undefined) return problem;
      } else if (s.additionalProperties === false) {
        return `${where}: unexpected property ${JSON.stringify(echoInput(key))}`;
      }
    }
  }
  if (Array.isArray(value) && typeof s.items === "object") {
    for (let i = 0; i < value.length; i++) {
      const problem = checkJsonSchema(s.items, value[i], `${where}[${i}]`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}
