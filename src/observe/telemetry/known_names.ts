/**
 * The names telemetry may repeat: the MCP methods and client notifications,
 * and the methods, notifications, tools, prompts and resources (fixed URIs
 * and URI templates) of the server's own definitions and extensions, read
 * from the dispatcher's registries at each request (so tools added at
 * runtime count). A client's names never enter:
 * what it sends is either one of these or {@linkcode OTHER}. Not here: byte
 * bounds (bounded_values.ts).
 * @module
 */

import type { Dispatcher } from "../../protocol/dispatch/dispatcher.ts";
import { exceedsUtf8Bytes } from "../../jsonrpc/utf8_length.ts";
import { MAX_ATTRIBUTE_BYTES, OTHER, truncateUtf8 } from "./bounded_values.ts";
import { MCP_METHODS, MCP_NOTIFICATIONS } from "./conventions.ts";

/** Maps client-sent names to names the server knows, or {@linkcode OTHER}. */
export interface KnownNames {
  /** `method` when it is an MCP method or one the server serves, else `_OTHER`. */
  method(method: string): string;
  /** `method` when it is an MCP client notification or one an extension handles, else `_OTHER`. */
  notification(method: string): string;
  /** `name` when a tool of that name is defined, else `_OTHER`. */
  tool(name: unknown): string;
  /** `name` when a prompt of that name is defined, else `_OTHER`. */
  prompt(name: unknown): string;
  /** The fixed resource's URI or the matching template's `uriTemplate`, else `_OTHER`. */
  resource(uri: unknown): string;
}

/** No definitions: only the MCP methods are known. */
export const NO_DEFINITIONS: KnownNames = {
  method: (method) => MCP_METHODS.has(method) ? method : OTHER,
  notification: (method) => MCP_NOTIFICATIONS.has(method) ? method : OTHER,
  tool: () => OTHER,
  prompt: () => OTHER,
  resource: () => OTHER,
};

/**
 * The names `dispatcher` serves; URIs longer than `maxUriBytes` (which the
 * dispatcher refuses) are `_OTHER` without being matched.
 *
 * @example
 * ```ts ignore (internal: needs the handler's dispatcher)
 * const names = knownNamesOf(dispatcher, 8192);
 * names.tool("echo"); // "echo" when defined
 * names.tool("x".repeat(1e6)); // "_OTHER"
 * ```
 */
export function knownNamesOf(dispatcher: Dispatcher, maxUriBytes: number): KnownNames {
  // Server-defined names are bounded too: a definition may be long, an attribute may not.
  const bounded = (name: string) => truncateUtf8(name, MAX_ATTRIBUTE_BYTES);
  return {
    method: (method) =>
      MCP_METHODS.has(method) || dispatcher.serves(method) ? bounded(method) : OTHER,
    notification: (method) =>
      MCP_NOTIFICATIONS.has(method) ||
        dispatcher.extensions.some((extension) =>
          extension.notifications !== undefined && Object.hasOwn(extension.notifications, method)
        )
        ? bounded(method)
        : OTHER,
    tool: (name) =>
      typeof name === "string" && dispatcher.tools.definition(name) !== undefined
        ? bounded(name)
        : OTHER,
    prompt: (name) =>
      typeof name === "string" && dispatcher.prompts.has(name) ? bounded(name) : OTHER,
    resource: (uri) => {
      if (typeof uri !== "string" || exceedsUtf8Bytes(uri, maxUriBytes)) return OTHER;
      const name = dispatcher.resources.definedName(uri);
      return name === undefined ? OTHER : bounded(name);
    },
  };
}
