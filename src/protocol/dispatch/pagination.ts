/**
 * Opaque pagination cursors for the list methods. A cursor names the list it
 * belongs to and an offset; anything else, or a cursor of another list, is a
 * -32602 error rather than a silently wrong page.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";

/** One page of a list and the cursor of the next page, if any. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** A canonical decimal offset: no sign, no leading zero, no exponent, at most 15 digits (a safe integer). */
const OFFSET = /^(?:0|[1-9][0-9]{0,14})$/;

function encodeCursor(list: string, offset: number): string {
  return btoa(`${list}:${offset}`).replace(/=+$/, "");
}

function decodeCursor(list: string, cursor: unknown): number {
  if (typeof cursor !== "string" || cursor.length > 200) throw invalidCursor();
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    throw invalidCursor();
  }
  const prefix = `${list}:`;
  if (!text.startsWith(prefix)) throw invalidCursor();
  // Only the form encodeCursor writes: `Number()` would also read "0x10", "1e1", " 5" and "" (as 0).
  const digits = text.slice(prefix.length);
  if (!OFFSET.test(digits)) throw invalidCursor();
  return Number(digits);
}

function invalidCursor(): McpError {
  return new McpError(ErrorCode.InvalidParams, "Invalid cursor");
}

/**
 * Returns the page of `items` that `cursor` points at (the first page when the
 * cursor is undefined).
 *
 * @example
 * ```ts
 * import { paginate } from "./pagination.ts";
 * const first = paginate("tools", [1, 2, 3], undefined, 2); // { items: [1, 2], nextCursor: "..." }
 * paginate("tools", [1, 2, 3], first.nextCursor, 2);         // { items: [3] }
 * ```
 */
export function paginate<T>(
  list: string,
  items: readonly T[],
  cursor: unknown,
  pageSize: number,
): Page<T> {
  const offset = cursor === undefined ? 0 : decodeCursor(list, cursor);
  if (offset > items.length) throw invalidCursor();
  const end = offset + pageSize;
  const page: Page<T> = { items: items.slice(offset, end) };
  if (end < items.length) page.nextCursor = encodeCursor(list, end);
  return page;
}

/** A list method's result: one page of `items` under `key`, and the next cursor when there is more. */
export function pageResult(
  pageSize: number,
  list: string,
  key: string,
  items: readonly Record<string, unknown>[],
  params: Record<string, unknown>,
): Record<string, unknown> {
  const page = paginate(list, items, params.cursor, pageSize);
  const result: Record<string, unknown> = { [key]: page.items };
  if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
  return result;
}
