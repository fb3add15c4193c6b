/**
 * The Standard Schema v1 interface (standardschema.dev) that zod, Valibot and
 * ArkType implement, and its Standard JSON Schema converter, declared here
 * so the core needs no package for them. Types and one guard only.
 * @module
 */

/**
 * A schema of any library that implements Standard Schema v1 (`~standard`).
 *
 * @example
 * ```ts
 * import type { StandardSchemaV1 } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schema: StandardSchemaV1<{ city: string }> = z.object({ city: z.string() });
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly "~standard": StandardSchemaProps<Input, Output>;
}

/**
 * The `~standard` properties of a Standard Schema, with the optional Standard
 * JSON Schema converter (`jsonSchema`) that zod 4.2+, ArkType 2.1.28+ and
 * `@valibot/to-json-schema`'s `toStandardJsonSchema` provide.
 *
 * @example
 * ```ts
 * import type { StandardSchemaProps } from "@tether/mcp/types";
 * const props: StandardSchemaProps<string> = {
 *   version: 1,
 *   vendor: "mine",
 *   validate: (value) => typeof value === "string" ? { value } : { issues: [{ message: "not a string" }] },
 * };
 * ```
 */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  /** The version of the standard: 1. */
  readonly version: 1;
  /** The library's name (`"zod"`, `"valibot"`, `"arktype"`, ...). */
  readonly vendor: string;
  /** Validates a value: its (possibly transformed) value, or issues. */
  readonly validate: (
    value: unknown,
  ) => StandardResult<Output> | Promise<StandardResult<Output>>;
  /** The inferred types (present in types only). */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  /** Standard JSON Schema: converts the schema to JSON Schema, when the library can. */
  readonly jsonSchema?: StandardJsonSchemaConverter | undefined;
}

/**
 * What a Standard Schema's `validate` returns: the value, or issues.
 *
 * @example
 * ```ts
 * import type { StandardResult } from "@tether/mcp/types";
 * const bad: StandardResult<number> = { issues: [{ message: "too small", path: ["n"] }] };
 * ```
 */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

/**
 * One validation issue: a message and where in the value it is.
 *
 * @example
 * ```ts
 * import type { StandardIssue } from "@tether/mcp/types";
 * const issue: StandardIssue = { message: "Expected a string", path: ["user", { key: "name" }] };
 * ```
 */
export interface StandardIssue {
  /** What is wrong. */
  readonly message: string;
  /** The path to the offending value. */
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/**
 * The Standard JSON Schema converter (`~standard.jsonSchema`).
 *
 * @example
 * ```ts
 * import type { StandardJsonSchemaConverter } from "@tether/mcp/types";
 * const converter: StandardJsonSchemaConverter = {
 *   input: () => ({ type: "string" }),
 *   output: () => ({ type: "string" }),
 * };
 * ```
 */
export interface StandardJsonSchemaConverter {
  /** The JSON Schema of what the schema accepts. May throw. */
  readonly input: (options: StandardJsonSchemaOptions) => Record<string, unknown>;
  /** The JSON Schema of what the schema produces. May throw. */
  readonly output: (options: StandardJsonSchemaOptions) => Record<string, unknown>;
}

/**
 * Options of a Standard JSON Schema conversion.
 *
 * @example
 * ```ts
 * import type { StandardJsonSchemaOptions } from "@tether/mcp/types";
 * const options: StandardJsonSchemaOptions = { target: "draft-2020-12" };
 * ```
 */
export interface StandardJsonSchemaOptions {
  /** The JSON Schema dialect wanted. */
  readonly target: "draft-2020-12" | "draft-07" | "openapi-3.0" | (string & Record<never, never>);
  /** Library-specific options. */
  readonly libraryOptions?: Record<string, unknown> | undefined;
}

/**
 * The type a Standard Schema produces once validated.
 *
 * @example
 * ```ts
 * import type { StandardOutput } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schema = z.object({ n: z.coerce.number() });
 * const parsed: StandardOutput<typeof schema> = { n: 1 };
 * ```
 */
export type StandardOutput<S extends StandardSchemaV1> = NonNullable<
  S["~standard"]["types"]
>["output"];

/**
 * The type a Standard Schema accepts.
 *
 * @example
 * ```ts
 * import type { StandardInput } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schema = z.object({ n: z.coerce.number() });
 * const given: StandardInput<typeof schema> = { n: "1" };
 * ```
 */
export type StandardInput<S extends StandardSchemaV1> = NonNullable<
  S["~standard"]["types"]
>["input"];

/** True when `schema` implements Standard Schema v1 (a `~standard` with version 1 and `validate`). */
export function isStandardSchema(schema: unknown): schema is StandardSchemaV1 {
  if ((typeof schema !== "object" && typeof schema !== "function") || schema === null) {
    return false;
  }
  const props = (schema as { "~standard"?: unknown })["~standard"];
  return typeof props === "object" && props !== null &&
    (props as { version?: unknown }).version === 1 &&
    typeof (props as { validate?: unknown }).validate === "function";
}
