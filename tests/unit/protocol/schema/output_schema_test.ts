/**
 * Any JSON Schema as a tool's output schema (2026-07-28, SEP-2106): the
 * spec's own `list_users` example (an array) and a zod array and string are
 * accepted at startup, listed and validated against `structuredContent` for
 * 2026-07-28; the revisions before it, which allow only object output, get
 * the tool without `outputSchema` and its results without
 * `structuredContent` (the text still carries the value), while object
 * schemas are unchanged for both.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { defineTool } from "../../../../mod.ts";
import { initialize, makeHandler, rpc } from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";

/** The `list_users` example of the 2026-07-28 tools page, verbatim. */
const LIST_USERS_OUTPUT = {
  type: "array",
  items: {
    type: "object",
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      email: { type: "string" },
    },
    required: ["id", "name", "email"],
  },
};

const USERS = [
  { id: "1", name: "Alice", email: "alice@example.com" },
  { id: "2", name: "Bob", email: "bob@example.com" },
];

function tools() {
  return [
    defineTool({
      name: "list_users",
      title: "User List",
      description: "Returns a list of all users",
      input: { type: "object", properties: {} },
      output: LIST_USERS_OUTPUT,
      handler: (input) => ({
        content: [{
          type: "text",
          text: "Found 2 users: Alice (alice@example.com) and Bob (bob@example.com).",
        }],
        structuredContent: input.broken === true ? [{ id: 1 }] : USERS,
      }),
    }),
    defineTool({
      name: "tags",
      output: z.array(z.string()),
      handler: () => ({ content: [], structuredContent: ["a", "b"] }),
    }),
    defineTool({
      name: "headline",
      output: z.string(),
      // Deliberately off-schema (`as never` gets it past the output type): checked at run time.
      handler: () => ({ content: [{ type: "text", text: "Hi" }], structuredContent: 42 as never }),
    }),
    defineTool({
      name: "total",
      output: z.object({ total: z.number() }),
      handler: () => ({ content: [{ type: "text", text: "3" }], structuredContent: { total: 3 } }),
    }),
  ];
}

describe("outputSchema: any JSON Schema", () => {
  it("2026-07-28 lists the array schema as given and returns the array structuredContent", async () => {
    const handler = makeHandler({ tools: tools() });
    try {
      const listed = (await modernRpc(handler, "tools/list")).message.result.tools;
      const byName = Object.fromEntries(listed.map((t: { name: string }) => [t.name, t]));
      assert.deepEqual(byName.list_users.outputSchema, LIST_USERS_OUTPUT);
      assert.deepEqual(byName.tags.outputSchema, { type: "array", items: { type: "string" } });
      assert.deepEqual(byName.headline.outputSchema, { type: "string" });
      const called = await modernRpc(handler, "tools/call", { name: "list_users", arguments: {} });
      assert.equal(called.message.result.resultType, "complete");
      assert.deepEqual(called.message.result.structuredContent, USERS);
      assert.equal(called.message.result.isError, undefined);
      const tags = await modernRpc(handler, "tools/call", { name: "tags", arguments: {} });
      assert.deepEqual(tags.message.result.structuredContent, ["a", "b"]);
      assert.deepEqual(tags.message.result.content, [{ type: "text", text: '["a","b"]' }]);
    } finally {
      await handler.close();
    }
  });

  it("structuredContent that fails a non-object schema is an isError result (raw and zod)", async () => {
    const handler = makeHandler({ tools: tools() });
    try {
      const broken = await modernRpc(handler, "tools/call", {
        name: "list_users",
        arguments: { broken: true },
      });
      assert.equal(broken.message.result.isError, true);
      assert.match(broken.message.result.content[0].text, /fails its schema/);
      assert.equal(broken.message.result.structuredContent, undefined);
      const headline = await modernRpc(handler, "tools/call", { name: "headline", arguments: {} });
      assert.equal(headline.message.result.isError, true);
      const session = await initialize(handler);
      const legacy = await rpc(handler, session, "tools/call", { name: "headline", arguments: {} });
      assert.equal(legacy.message.result.isError, true, "validated in the older era too");
    } finally {
      await handler.close();
    }
  });

  for (const version of ["2025-06-18", "2025-11-25"]) {
    it(`${version} lists a non-object output schema as absent and drops its structuredContent`, async () => {
      const handler = makeHandler({ tools: tools() });
      try {
        const session = await initialize(handler, { protocolVersion: version });
        const listed = (await rpc(handler, session, "tools/list")).message.result.tools;
        const byName = Object.fromEntries(listed.map((t: { name: string }) => [t.name, t]));
        assert.equal("outputSchema" in byName.list_users, false);
        assert.equal("outputSchema" in byName.tags, false);
        assert.deepEqual(byName.total.outputSchema.type, "object", "object schemas stay");
        const called = await rpc(handler, session, "tools/call", {
          name: "list_users",
          arguments: {},
        });
        assert.equal("structuredContent" in called.message.result, false);
        assert.match(called.message.result.content[0].text, /Found 2 users/);
        const tags = await rpc(handler, session, "tools/call", { name: "tags", arguments: {} });
        assert.deepEqual(tags.message.result, {
          content: [{ type: "text", text: '["a","b"]' }],
        });
        const total = await rpc(handler, session, "tools/call", { name: "total", arguments: {} });
        assert.deepEqual(total.message.result.structuredContent, { total: 3 });
      } finally {
        await handler.close();
      }
    });
  }

  it("an output schema that is not a JSON Schema object is refused at startup", () => {
    assert.throws(
      () =>
        makeHandler({
          tools: [defineTool({ name: "odd", output: [] as never, handler: () => "" })],
        }),
      /Tool "odd": output schema must be a JSON Schema object/,
    );
  });
});
