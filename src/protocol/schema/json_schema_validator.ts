/**
 * Raw JSON Schema validation: the pluggable validator seam and its default,
 * `@cfworker/json-schema` (draft 2020-12, no code generation, so it runs on
 * workerd). Each schema is compiled once; keywords the default cannot honour
 * (`$dynamicRef`, `$dynamicAnchor`, `$vocabulary`, unknown formats,
 * unresolvable `$ref`s, invalid patterns) are refused at compile time.
 * @module
 */

import { Validator } from "@cfworker/json-schema";
import { echoInput } from "../../jsonrpc/echo.ts";

/**
 * Checks one value against a compiled schema: undefined when it passes, else
 * a short message saying where and what is wrong.
 *
 * @example
 * ```ts
 * import type { JsonSchemaCheck } from "@tether/mcp/types";
 * const positive: JsonSchemaCheck = (value) => typeof value === "number" && value > 0 ? undefined : "input: not positive";
 * ```
 */
export type JsonSchemaCheck = (value: unknown) => string | undefined;

/**
 * Compiles a raw JSON Schema (draft 2020-12) into a check, once, at startup.
 * Throws for a schema it cannot enforce in full: the server then refuses to
 * start rather than accept what the schema forbids.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type JsonSchemaValidator } from "@tether/mcp";
 * // A validator that only knows `{ type: "object" }` and refuses anything else.
 * const jsonSchemaValidator: JsonSchemaValidator = (schema) => {
 *   if (Object.keys(schema).some((key) => key !== "type" && key !== "properties")) {
 *     throw new TypeError("only type and properties are supported");
 *   }
 *   return (value) => typeof value === "object" && value !== null ? undefined : "input: not an object";
 * };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], jsonSchemaValidator });
 * ```
 */
export type JsonSchemaValidator = (schema: Record<string, unknown>) => JsonSchemaCheck;

/** Keywords of draft 2020-12 that @cfworker/json-schema does not implement. */
const UNSUPPORTED_KEYWORDS = ["$dynamicRef", "$dynamicAnchor", "$vocabulary"];

/** The `format` values @cfworker/json-schema asserts; it passes any other silently. */
const KNOWN_FORMATS = new Set([
  "date",
  "time",
  "date-time",
  "duration",
  "uri",
  "uri-reference",
  "uri-template",
  "url",
  "email",
  "hostname",
  "ipv4",
  "ipv6",
  "regex",
  "uuid",
  "json-pointer",
  "json-pointer-uri-fragment",
  "relative-json-pointer",
]);

/** Keywords whose value is one subschema. */
const SUBSCHEMA = [
  "not",
  "if",
  "then",
  "else",
  "items",
  "additionalItems",
  "additionalProperties",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contains",
  "propertyNames",
];
/** Keywords whose value is a list of subschemas. */
const SUBSCHEMA_LIST = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/** Keywords whose value maps names to subschemas. */
const SUBSCHEMA_MAP = [
  "properties",
  "patternProperties",
  "$defs",
  "definitions",
  "dependentSchemas",
  "dependencies",
];

/**
 * The default {@linkcode JsonSchemaValidator}: `@cfworker/json-schema` in
 * draft 2020-12 mode, after a startup scan that refuses what it cannot honour.
 *
 * @example
 * ```ts
 * import { cfworkerValidator } from "./json_schema_validator.ts";
 * const check = cfworkerValidator({ type: "integer", minimum: 1 });
 * check(-5); // "input: ..."
 * ```
 */
export function cfworkerValidator(schema: Record<string, unknown>): JsonSchemaCheck {
  // The validator writes non-enumerable bookkeeping into the schema: give it its own copy.
  const copy = structuredClone(schema);
  scan(copy, "#");
  const validator = new Validator(copy, "2020-12", true);
  // `lookup` (every schema the validator can reach, by URI) is private in its types only.
  checkReferences(copy, (validator as unknown as { lookup: Record<string, unknown> }).lookup, "#");
  return (value) => {
    let result: ReturnType<Validator["validate"]>;
    try {
      result = validator.validate(value);
    } catch (error) {
      // Fail closed: a validator that throws has not passed the value.
      return `input: could not be validated (${error instanceof Error ? error.message : error})`;
    }
    return result.valid ? undefined : describe(result.errors);
  };
}

/** One error of @cfworker/json-schema: where in the value, which keyword, what. */
interface OutputUnit {
  instanceLocation: string;
  keyword: string;
  error: string;
}

/**
 * The validator's errors (outermost first) as one line in tether's words,
 * client-chosen names bounded by echoInput: an unexpected or missing
 * property by name, a failed combinator as itself rather than its last
 * branch, else the innermost error.
 */
function describe(errors: readonly OutputUnit[]): string {
  for (let i = 0; i < errors.length; i++) {
    const { keyword, instanceLocation, error } = errors[i];
    const next = errors[i + 1];
    if (
      (keyword === "additionalProperties" || keyword === "unevaluatedProperties") &&
      next?.keyword === "false"
    ) {
      const key = pointerSegments(next.instanceLocation).at(-1) ?? "";
      return `${where(instanceLocation)}: unexpected property ${JSON.stringify(echoInput(key))}`;
    }
    if (keyword === "required") {
      const key = /required property "(.*)"\.$/s.exec(error)?.[1] ?? "";
      return `${where(instanceLocation)}: missing required property ${
        JSON.stringify(echoInput(key))
      }`;
    }
    if (keyword === "anyOf" || keyword === "oneOf" || keyword === "not") {
      return `${where(instanceLocation)}: ${echoInput(error)}`;
    }
  }
  const last = errors.at(-1);
  return `${where(last?.instanceLocation ?? "#")}: ${echoInput(last?.error ?? "invalid")}`;
}

/** `#/a/b~1c` as `["a", "b/c"]`. */
function pointerSegments(location: string): string[] {
  if (location === "#" || location === "") return [];
  return location.slice(2).split("/").map((part) => {
    let decoded = part;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      // Kept as sent: the message only names the place.
    }
    return decoded.replaceAll("~1", "/").replaceAll("~0", "~");
  });
}

/** `#/a/0` as `a.0` (`input` for the root), each name bounded, for messages. */
function where(location: string): string {
  const segments = pointerSegments(location);
  return segments.length === 0 ? "input" : echoInput(segments.map(echoInput).join("."));
}

/** Refuses, by throwing, the keywords and values the default validator would ignore. */
function scan(schema: unknown, at: string): void {
  if (typeof schema === "boolean") return;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new TypeError(`${at}: a schema must be an object or a boolean`);
  }
  const s = schema as Record<string, unknown>;
  for (const keyword of UNSUPPORTED_KEYWORDS) {
    if (Object.hasOwn(s, keyword)) {
      throw new TypeError(
        `${at}: the keyword "${keyword}" is not supported by the JSON Schema validator ` +
          `(@cfworker/json-schema); remove it or pass your own jsonSchemaValidator`,
      );
    }
  }
  if (Object.hasOwn(s, "format") && !KNOWN_FORMATS.has(s.format as string)) {
    throw new TypeError(
      `${at}: format ${JSON.stringify(s.format)} is not checked by the JSON Schema validator ` +
        `(@cfworker/json-schema); use one of ${[...KNOWN_FORMATS].join(", ")}, ` +
        `or a pattern, or pass your own jsonSchemaValidator`,
    );
  }
  if (Object.hasOwn(s, "pattern")) checkPattern(s.pattern, `${at}/pattern`);
  for (const keyword of SUBSCHEMA) {
    const child = s[keyword];
    if (Object.hasOwn(s, keyword) && !Array.isArray(child)) scan(child, `${at}/${keyword}`);
  }
  for (const keyword of SUBSCHEMA_LIST) {
    const list = s[keyword];
    if (Array.isArray(list)) list.forEach((child, i) => scan(child, `${at}/${keyword}/${i}`));
  }
  for (const keyword of SUBSCHEMA_MAP) {
    const map = s[keyword];
    if (!Object.hasOwn(s, keyword)) continue;
    if (typeof map !== "object" || map === null || Array.isArray(map)) {
      throw new TypeError(`${at}/${keyword}: must be an object`);
    }
    for (const [name, child] of Object.entries(map)) {
      if (keyword === "patternProperties") checkPattern(name, `${at}/${keyword}`);
      // draft-07 `dependencies` may list property names instead of a schema.
      if (keyword === "dependencies" && Array.isArray(child)) continue;
      scan(child, `${at}/${keyword}/${name}`);
    }
  }
}

function checkPattern(pattern: unknown, at: string): void {
  try {
    new RegExp(pattern as string, "u");
  } catch {
    throw new TypeError(`${at}: ${JSON.stringify(pattern)} is not a valid regular expression`);
  }
}

/** Refuses a `$ref` the validator could not resolve (it would throw at call time). */
function checkReferences(schema: unknown, lookup: Record<string, unknown>, at: string): void {
  if (typeof schema !== "object" || schema === null) return;
  if (Array.isArray(schema)) {
    schema.forEach((child, i) => checkReferences(child, lookup, `${at}/${i}`));
    return;
  }
  const s = schema as Record<string, unknown> & { __absolute_ref__?: string };
  if (typeof s.$ref === "string") {
    const uri = s.__absolute_ref__ ?? s.$ref;
    if (lookup[uri] === undefined) {
      throw new TypeError(
        `${at}: $ref ${
          JSON.stringify(s.$ref)
        } does not resolve within the schema (external references are not fetched)`,
      );
    }
  }
  for (const [key, child] of Object.entries(s)) {
    if (key !== "enum" && key !== "const" && key !== "default" && key !== "examples") {
      checkReferences(child, lookup, `${at}/${key}`);
    }
  }
}
