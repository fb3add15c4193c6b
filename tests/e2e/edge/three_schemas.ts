/**
 * The same server written three times, with zod v4, Valibot and ArkType:
 * the same tools, names, descriptions, constraints and answers, so what a
 * client sees must not tell the libraries apart (tests/e2e/edge/three_schemas_test.ts
 * compares them on Node, Deno, Bun and workerd). Not a test file itself.
 * @module
 */

import * as z from "zod";
import * as v from "valibot";
import { toStandardJsonSchema } from "@valibot/to-json-schema";
import { type } from "arktype";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";

/** The schema libraries, in the order the servers are compared. */
export const LIBRARIES = ["zod", "valibot", "arktype"] as const;

/** One of {@linkcode LIBRARIES}. */
export type Library = typeof LIBRARIES[number];

const ADD = "Adds a positive integer to a number.";
const GREET = "Greets someone, loudly if asked.";

/** What both tools answer, whichever library checked the input. */
function greeting(name: string, loud: boolean | undefined): string {
  return loud === true ? `HELLO, ${name.toUpperCase()}!` : `Hello, ${name}!`;
}

/** The zod server. */
function zodTools() {
  return [
    defineTool({
      name: "add",
      description: ADD,
      input: z.object({ a: z.number().int().min(1), b: z.number() }),
      output: z.object({ sum: z.number() }),
      handler: ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
    }),
    defineTool({
      name: "greet",
      description: GREET,
      input: z.object({ name: z.string().min(1).max(40), loud: z.boolean().optional() }),
      handler: ({ name, loud }) => greeting(name, loud),
    }),
  ];
}

/** The Valibot server (its JSON Schema from @valibot/to-json-schema). */
function valibotTools() {
  return [
    defineTool({
      name: "add",
      description: ADD,
      input: toStandardJsonSchema(
        v.object({
          a: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER)),
          b: v.number(),
        }),
      ),
      output: toStandardJsonSchema(v.strictObject({ sum: v.number() })),
      handler: ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
    }),
    defineTool({
      name: "greet",
      description: GREET,
      input: toStandardJsonSchema(
        v.object({
          name: v.pipe(v.string(), v.minLength(1), v.maxLength(40)),
          loud: v.optional(v.boolean()),
        }),
      ),
      handler: ({ name, loud }) => greeting(name, loud),
    }),
  ];
}

/** The ArkType server. */
function arktypeTools() {
  return [
    defineTool({
      name: "add",
      description: ADD,
      input: type({ a: "1 <= number.integer <= 9007199254740991", b: "number" }),
      output: type({ "+": "reject", sum: "number" }),
      handler: ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
    }),
    defineTool({
      name: "greet",
      description: GREET,
      input: type({ name: "1 <= string <= 40", "loud?": "boolean" }),
      handler: ({ name, loud }) => greeting(name, loud),
    }),
  ];
}

/**
 * The server written with `library`, served at `path`.
 *
 * @example
 * ```ts
 * const handler = createThreeSchemasServer("valibot");
 * ```
 */
export function createThreeSchemasServer(library: Library, path = "/mcp"): McpHandler {
  const tools = library === "zod"
    ? zodTools()
    : library === "valibot"
    ? valibotTools()
    : arktypeTools();
  return createMcpHandler({ name: "three-schemas", version: "1.0.0", http: { path }, tools });
}
