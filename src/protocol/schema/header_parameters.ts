/**
 * Tool input properties routed as headers (SEP-2243): a tool's input schema
 * may mark a property with `x-mcp-header`, and 2026-07-28 clients then send
 * its value as `Mcp-Param-{Name}` too. This module reads and checks those
 * declarations when a tool is defined; comparing the headers of a request
 * with its body is the 2026-07-28 pipeline's job (src/modern/requests/param_headers.ts).
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";

/**
 * A tool input property routed as a header.
 *
 * @example
 * ```ts
 * import type { HeaderParameter } from "@tether/mcp/types";
 * const region: HeaderParameter = { header: "mcp-param-region", path: ["region"], type: "string" };
 * ```
 */
export interface HeaderParameter {
  /** The lower-case header name, `mcp-param-<name>`. */
  header: string;
  /** The property's path through nested `properties`. */
  path: string[];
  /** The property's type: the only three a header may carry. */
  type: "string" | "integer" | "boolean";
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Keywords whose subschemas are not on a `properties` chain: a declaration
 * under one of them makes the tool definition invalid (SEP-2243).
 */
const OFF_CHAIN_KEYWORDS = [
  "items",
  "prefixItems",
  "contains",
  "additionalProperties",
  "unevaluatedProperties",
  "unevaluatedItems",
  "propertyNames",
  "patternProperties",
  "dependentSchemas",
  "anyOf",
  "oneOf",
  "allOf",
  "not",
  "if",
  "then",
  "else",
  "$defs",
  "definitions",
];
/** The keywords among them whose value maps names to subschemas. */
const SCHEMA_MAPS = new Set(["patternProperties", "dependentSchemas", "$defs", "definitions"]);

/**
 * Finds the `x-mcp-header` properties of a tool's input schema and checks
 * each declaration: on a property reached through a chain of `properties`
 * (not under items, anyOf, $defs…), a non-empty header token, unique
 * without regard to case, on a string, integer or boolean property. Throws
 * a TypeError naming the property otherwise. `$ref` is not followed.
 *
 * @example
 * ```ts
 * import { scanHeaderParameters } from "./header_parameters.ts";
 * scanHeaderParameters({ properties: { region: { type: "string", "x-mcp-header": "Region" } } });
 * // [{ header: "mcp-param-region", path: ["region"], type: "string" }]
 * ```
 */
export function scanHeaderParameters(inputSchema: Record<string, unknown>): HeaderParameter[] {
  const found: HeaderParameter[] = [];
  const seen = new Set<string>();
  const walk = (schema: unknown, path: string[], onChain: boolean) => {
    if (!isPlainObject(schema)) return;
    if (Object.hasOwn(schema, "x-mcp-header")) {
      const where = `property ${path.length === 0 ? "(root)" : path.join(".")}`;
      if (!onChain || path.length === 0) {
        throw new TypeError(
          `${where}: x-mcp-header is only allowed on properties reached through "properties"`,
        );
      }
      const name = schema["x-mcp-header"];
      if (typeof name !== "string" || !TOKEN.test(name)) {
        throw new TypeError(`${where}: x-mcp-header must be a non-empty header token`);
      }
      const type = schema.type;
      if (type !== "string" && type !== "integer" && type !== "boolean") {
        throw new TypeError(
          `${where}: x-mcp-header is only allowed on string, integer or boolean properties`,
        );
      }
      const header = `mcp-param-${name.toLowerCase()}`;
      if (seen.has(header)) throw new TypeError(`${where}: x-mcp-header ${name} is declared twice`);
      seen.add(header);
      found.push({ header, path, type });
    }
    const properties = schema.properties;
    if (isPlainObject(properties)) {
      for (const key of Object.keys(properties)) walk(properties[key], [...path, key], onChain);
    }
    for (const keyword of OFF_CHAIN_KEYWORDS) {
      const sub = schema[keyword];
      const branches = Array.isArray(sub)
        ? sub
        : SCHEMA_MAPS.has(keyword) && isPlainObject(sub)
        ? Object.values(sub)
        : [sub];
      for (const branch of branches) walk(branch, [...path, `<${keyword}>`], false);
    }
  };
  walk(inputSchema, [], true);
  return found;
}
