/**
 * The handler's `view` option in process (tether's testing client, both
 * eras): renames take their names first and shadow what they collide
 * with; a renamed entry that declares scopes is refused to a caller
 * without them; what a hidden template lists is not listed; a per-tool
 * rate limit counts calls by a renamed name; a 2026-07-28 listen is never
 * told of a hidden resource; without a view every caller sees the same.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createMcpHandler,
  defineResource,
  defineResourceTemplate,
  defineTool,
  type McpHandlerOptions,
} from "../../../../mod.ts";
import type { EntryView, ViewOf } from "../../../../src/types/mod.ts";
import { connect, McpClientError } from "../../../../src/testing/mod.ts";
import { messagesOf, readSseUntil } from "../../../helpers.ts";
import { modernRequest, modernRpc } from "../../../support/modern_helpers.ts";

const named = (definition: object) => (definition as { name?: string; uri?: string }).name;

/** A view per user: `renames` and `hidden` by defined name. */
function viewOf(
  users: Record<string, { renames?: Record<string, string>; hidden?: string[] }>,
): ViewOf {
  const overrides = new Map<string, NonNullable<EntryView["override"]>>();
  for (const [user, { renames = {} }] of Object.entries(users)) {
    overrides.set(user, (_kind, definition) => {
      const name = renames[named(definition) ?? ""];
      return name === undefined ? undefined : { name };
    });
  }
  return (principal) => {
    const rules = users[principal.id];
    if (rules === undefined) return undefined;
    return {
      verdict: (_kind, definition) =>
        rules.hidden?.includes(named(definition) ?? "") ? "hide" : "allow",
      override: overrides.get(principal.id),
    };
  };
}

function handlerWith(view: ViewOf, extra: Partial<McpHandlerOptions> = {}) {
  return createMcpHandler({
    name: "views",
    version: "1.0.0",
    tools: [
      defineTool({ name: "a", handler: () => "a" }),
      defineTool({ name: "b", handler: () => "b" }),
      defineTool({ name: "admin", scopes: ["admin"], handler: () => "admin" }),
    ],
    resources: [defineResource({ uri: "memo://one", name: "one", read: () => "one" })],
    resourceTemplates: [
      defineResourceTemplate({
        uriTemplate: "secret://{id}",
        name: "secrets",
        list: () => [{ uri: "secret://1", name: "first secret" }],
        read: (uri) => uri,
      }),
    ],
    view,
    auth: {
      authenticate: (request) => {
        const user = request.headers.get("x-user");
        return user === null ? undefined : { id: user, scopes: user === "root" ? ["admin"] : [] };
      },
    },
    ...extra,
  });
}

const as = (user: string) => ({ headers: { "x-user": user } });
const toolNames = (tools: Record<string, unknown>[]) => tools.map((tool) => tool.name);

async function codeOf(promise: Promise<unknown>): Promise<[number, string, unknown]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof McpClientError && error.error !== undefined) {
      return [error.error.code, error.error.message, error.error.data];
    }
    throw error;
  }
  assert.fail("expected an error");
}

describe("the view option", () => {
  for (const era of ["2025", "2026"] as const) {
    it(`${era}: a rename takes its name first; what it shadows does not exist`, async () => {
      const handler = handlerWith(viewOf({ alice: { renames: { a: "b" } } }));
      try {
        const alice = await connect(handler, { era, ...as("alice") });
        assert.deepEqual(toolNames((await alice.listTools()).tools), ["b", "admin"]);
        const called = (await alice.callTool("b")).result.content[0] as { text: string };
        assert.equal(called.text, "a", "b is a for alice");
        assert.deepEqual(await codeOf(alice.callTool("a")), [-32602, "Unknown tool: a", undefined]);
        const bob = await connect(handler, { era, ...as("bob") });
        assert.deepEqual(toolNames((await bob.listTools()).tools), ["a", "b", "admin"]);
        await alice.close();
        await bob.close();
      } finally {
        await handler.close();
      }
    });
  }

  it("a renamed entry that declares scopes is refused to a caller without them", async () => {
    const renames = { admin: "boss" };
    const handler = handlerWith(viewOf({ alice: { renames }, root: { renames } }));
    try {
      const alice = await connect(handler, { era: "2025", ...as("alice") });
      const [code, message, data] = await codeOf(alice.callTool("boss"));
      assert.deepEqual([code, message, data], [-32602, "Tool not permitted: boss", {
        reason: "denied",
      }]);
      const root = await connect(handler, { era: "2025", ...as("root") });
      const called = (await root.callTool("boss")).result.content[0] as { text: string };
      assert.equal(called.text, "admin");
      await alice.close();
      await root.close();
    } finally {
      await handler.close();
    }
  });

  it("what a hidden template lists is not listed, and its URIs are not read", async () => {
    const handler = handlerWith(viewOf({ alice: { hidden: ["secrets"] } }));
    try {
      const alice = await connect(handler, { era: "2025", ...as("alice") });
      const listed = await alice.request<{ resources: { uri: string }[] }>("resources/list");
      assert.deepEqual(listed.result.resources.map((r) => r.uri), ["memo://one"]);
      const templates = await alice.request<{ resourceTemplates: unknown[] }>(
        "resources/templates/list",
      );
      assert.deepEqual(templates.result.resourceTemplates, []);
      const [code] = await codeOf(alice.request("resources/read", { uri: "secret://1" }));
      assert.equal(code, -32002);
      const bob = await connect(handler, { era: "2025", ...as("bob") });
      const bobs = await bob.request<{ resources: { uri: string }[] }>("resources/list");
      assert.deepEqual(bobs.result.resources.map((r) => r.uri), ["memo://one", "secret://1"]);
      await alice.close();
      await bob.close();
    } finally {
      await handler.close();
    }
  });

  it("a per-tool rate limit counts the calls of a renamed tool", async () => {
    const handler = handlerWith(viewOf({ alice: { renames: { a: "first" } } }), {
      limits: { rateLimits: { perTool: { tools: { a: { limit: 1, windowSeconds: 60 } } } } },
    });
    try {
      const alice = await connect(handler, { era: "2025", ...as("alice") });
      await alice.callTool("first");
      const refused = await codeOf(alice.callTool("first"));
      assert.equal(refused[0], -32004, refused[1]);
      await alice.close();
    } finally {
      await handler.close();
    }
  });

  it("2026-07-28: a listen is never told of a resource its caller's view hides", async () => {
    const handler = handlerWith(viewOf({ alice: { hidden: ["one"] } }));
    try {
      const open = async (user: string) => {
        const response = await handler(
          modernRequest("subscriptions/listen", {
            notifications: { resourceSubscriptions: ["memo://one"] },
          }, { headers: { "x-user": user } }),
        );
        const reader = response.body!.getReader();
        const ack = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
        assert.equal(messagesOf(ack.events)[0].method, "notifications/subscriptions/acknowledged");
        return reader;
      };
      const alice = await open("alice");
      const bob = await open("bob");
      assert.equal(await handler.resourceUpdated("memo://one"), 1, "bob's stream only");
      const told = await readSseUntil(bob, (events) => messagesOf(events).length >= 1);
      assert.equal(messagesOf(told.events)[0].params.uri, "memo://one");
      await alice.cancel();
      await bob.cancel();
    } finally {
      await handler.close();
    }
  });

  it("2026-07-28: Mcp-Param-* of a renamed tool are checked as the tool's own", async () => {
    const routed = defineTool({
      name: "routed",
      input: {
        type: "object",
        properties: { region: { type: "string", "x-mcp-header": "Region" } },
      },
      handler: (input) => `region ${(input as { region: string }).region}`,
    });
    const handler = handlerWith(viewOf({ alice: { renames: { routed: "where" } } }), {
      tools: [routed],
    });
    try {
      const call = (region: string | undefined) =>
        modernRpc(handler, "tools/call", { name: "where", arguments: { region: "eu" } }, {
          headers: {
            "x-user": "alice",
            ...(region === undefined ? {} : { "mcp-param-region": region }),
          },
        });
      const missing = await call(undefined);
      assert.deepEqual([missing.status, missing.message.error.code], [400, -32020]);
      const wrong = await call("us");
      assert.equal(wrong.message.error.code, -32020);
      const right = await call("eu");
      assert.equal(right.message.result.content[0].text, "region eu");
    } finally {
      await handler.close();
    }
  });

  it("a public cache hint with a view is refused at startup (answers differ by caller)", () => {
    const stateless = {
      cacheHints: { "tools/list": { ttlMs: 60_000, cacheScope: "public" as const } },
    };
    assert.throws(
      () => handlerWith(viewOf({}), { stateless }),
      /stateless\.cacheHints\["tools\/list"\]: cacheScope "public" with a view/,
    );
    const privately = {
      cacheHints: { "tools/list": { ttlMs: 60_000, cacheScope: "private" as const } },
    };
    return handlerWith(viewOf({}), { stateless: privately }).close();
  });

  it("without a view (or a view that answers undefined), every caller sees the same", async () => {
    const handler = handlerWith(() => undefined);
    try {
      const carol = await connect(handler, { era: "2026", ...as("carol") });
      assert.deepEqual(toolNames((await carol.listTools()).tools), ["a", "b", "admin"]);
      await carol.close();
    } finally {
      await handler.close();
    }
  });
});
