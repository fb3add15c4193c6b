/**
 * Completers: how a prompt or resource template suggests values for one
 * argument, and the safe lookup of one in a definition's `complete` table.
 * @module
 */

import type { HandlerContext } from "../context/request_context.ts";

/**
 * Suggests completions for one argument or template variable.
 *
 * @example
 * ```ts
 * import type { Completer } from "@tether/mcp";
 * const cities: Completer = (value) => ["Paris", "Prague", "Porto"].filter((city) => city.startsWith(value));
 * ```
 */
export type Completer = (
  value: string,
  context: { arguments: Record<string, string> },
  ctx: HandlerContext,
) => string[] | Promise<string[]>;

/**
 * The completer a definition's `complete` table names for `argument` (a
 * client-chosen name): own entries only, never `toString` or `constructor`
 * from Object.prototype.
 */
export function ownCompleter(
  table: Readonly<Record<string, Completer>> | undefined,
  argument: string,
): Completer | undefined {
  return table !== undefined && Object.hasOwn(table, argument) ? table[argument] : undefined;
}
