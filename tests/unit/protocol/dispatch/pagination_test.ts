/** Opaque pagination cursors for the list methods. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { paginate } from "../../../../src/protocol/dispatch/pagination.ts";
import { McpError } from "../../../../src/jsonrpc/error_codes.ts";

const ITEMS = ["a", "b", "c", "d", "e"];

function isInvalidCursor(error: unknown): boolean {
  return error instanceof McpError && error.code === -32602;
}

describe("paginate", () => {
  it("returns the first page and a cursor when more items follow", () => {
    const page = paginate("tools", ITEMS, undefined, 2);
    assert.deepEqual(page.items, ["a", "b"]);
    assert.equal(typeof page.nextCursor, "string");
  });

  it("walks every item exactly once, and the last page has no cursor", () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = paginate("tools", ITEMS, cursor, 2);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    assert.deepEqual(seen, ITEMS);
    assert.equal(pages, 3);
  });

  it("a list that fits exactly has no cursor", () => {
    assert.deepEqual(paginate("tools", ITEMS, undefined, 5), { items: ITEMS });
    assert.deepEqual(paginate("tools", [], undefined, 5), { items: [] });
  });

  it("cursors are opaque strings, not offsets", () => {
    const cursor = paginate("tools", ITEMS, undefined, 2).nextCursor!;
    assert.notEqual(cursor, "2");
    assert.ok(
      !cursor.includes("tools"),
      "the cursor should not expose its structure in clear text",
    );
  });

  it("a cursor of another list is refused with -32602", () => {
    const cursor = paginate("prompts", ITEMS, undefined, 2).nextCursor;
    assert.throws(() => paginate("tools", ITEMS, cursor, 2), isInvalidCursor);
  });

  it("garbage, non-string, negative, fractional, past-the-end and overlong cursors are refused with -32602", () => {
    for (
      const cursor of [
        "%%%",
        "",
        7,
        null,
        {},
        btoa("tools:-2"),
        btoa("tools:1.5"),
        btoa("tools:6"),
        "A".repeat(300),
      ]
    ) {
      assert.throws(
        () => paginate("tools", ITEMS, cursor, 2),
        isInvalidCursor,
        JSON.stringify(cursor),
      );
    }
  });
});
