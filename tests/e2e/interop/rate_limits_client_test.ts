/**
 * The official MCP SDK client against tether's `rateLimits` over real HTTP:
 * a call past its tool's budget fails on the client with the 429's
 * JSON-RPC error, while another tool, and another principal, are served.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool } from "../../../mod.ts";
import { textOf, withServer } from "./helpers.ts";

function tool(name: string) {
  return defineTool({
    name,
    description: `The ${name} tool`,
    handler: () => ({ content: [{ type: "text" as const, text: name }] }),
  });
}

describe("rateLimits with the SDK client", () => {
  it("a call past its tool budget is refused (429); another tool and another principal are served", async () => {
    await withServer({
      tools: [tool("search"), tool("fetch")],
      auth: {
        authenticate: (request) => {
          const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
          return token === undefined ? undefined : { id: token };
        },
      },
      limits: {
        rateLimits: { perTool: { tools: { search: { limit: 1, windowSeconds: 3600 } } } },
      },
    }, async (server) => {
      const alice = await server.connect({ token: "alice" });
      const bob = await server.connect({ token: "bob" });
      const first = await alice.client.callTool({ name: "search", arguments: {} });
      assert.equal(textOf(first), "search");
      await assert.rejects(
        alice.client.callTool({ name: "search", arguments: {} }),
        /-32004.*tool rate limit is spent/,
      );
      assert.equal(textOf(await alice.client.callTool({ name: "fetch", arguments: {} })), "fetch");
      assert.equal(textOf(await bob.client.callTool({ name: "search", arguments: {} })), "search");
    });
  });
});
