/**
 * The HTTP headers a 2026-07-28 request carries (SEP-2243), derived from
 * the stdio message itself, so the handler's checks pass for what the body
 * says: `MCP-Protocol-Version` from the `_meta` claim, `Mcp-Method`,
 * `Mcp-Name`, and `Mcp-Param-*` for the called tool's routed arguments.
 * It reads the message and the tool registry; it checks nothing itself.
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { HeaderParameter } from "../../protocol/schema/header_parameters.ts";
import { headerValue } from "../../protocol/header_value.ts";

/** The `_meta` key whose presence makes a request a 2026-07-28 one. */
export const VERSION_CLAIM = "io.modelcontextprotocol/protocolVersion";

/** The param each named method's `Mcp-Name` carries. */
const NAMED_BY: ReadonlyMap<string, string> = new Map([
  ["tools/call", "name"],
  ["prompts/get", "name"],
  ["resources/read", "uri"],
  ["tasks/get", "taskId"],
  ["tasks/update", "taskId"],
  ["tasks/cancel", "taskId"],
]);

/**
 * The version a message's `_meta` claims (any string; the handler judges
 * it), as JSON text when the claim is not a string (never a conversion
 * that could throw: the handler refuses it, `-32602`), or undefined when
 * it makes no claim.
 *
 * @example
 * ```ts
 * import { claimedVersion } from "./modern_headers.ts";
 * claimedVersion({ _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } }); // "2026-07-28"
 * claimedVersion({ _meta: { "io.modelcontextprotocol/protocolVersion": { toString: 1 } } }); // '{"toString":1}'
 * ```
 */
export function claimedVersion(params: unknown): string | undefined {
  if (!isPlainObject(params) || !isPlainObject(params._meta)) return undefined;
  if (!Object.hasOwn(params._meta, VERSION_CLAIM)) return undefined;
  const claim = params._meta[VERSION_CLAIM];
  return typeof claim === "string" ? claim : JSON.stringify(claim);
}

/**
 * The headers of a 2026-07-28 message posted in process; `parameters` gives
 * a tool's routed arguments (`handler.tools.headerParameters`).
 *
 * @example
 * ```ts
 * import { modernHeaders } from "./modern_headers.ts";
 * const headers = modernHeaders("2026-07-28", "tools/call", { name: "add" }, () => undefined);
 * headers["mcp-name"]; // "add"
 * ```
 */
export function modernHeaders(
  version: string,
  method: string,
  params: unknown,
  parameters: (tool: string) => readonly HeaderParameter[] | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    "mcp-protocol-version": headerValue(version),
    "mcp-method": headerValue(method),
  };
  if (!isPlainObject(params)) return headers;
  const nameKey = NAMED_BY.get(method);
  if (nameKey !== undefined && typeof params[nameKey] === "string") {
    headers["mcp-name"] = headerValue(params[nameKey] as string);
  }
  if (method === "tools/call" && typeof params.name === "string") {
    const args = params.arguments;
    for (const parameter of parameters(params.name) ?? []) {
      const value = valueAt(args, parameter.path);
      if (value === undefined || value === null) continue;
      headers[parameter.header] = headerValue(
        typeof value === "string" ? value : JSON.stringify(value),
      );
    }
  }
  return headers;
}

function valueAt(args: unknown, path: readonly string[]): unknown {
  let value = args;
  for (const key of path) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}
