/**
 * Smoke test with the AI SDK's MCP client (`@ai-sdk/mcp`), which probes
 * `server/discover` before it connects: against tether it lands in the
 * 2026-07-28 era, lists and calls tools; against a legacy-only tether it
 * falls back to `initialize` and works the same.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMCPClient } from "@ai-sdk/mcp";
import { defineTool } from "../../../mod.ts";
import { withServer } from "./helpers.ts";

const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: {
    type: "object",
    properties: { a: { type: "number" }, b: { type: "number" } },
    required: ["a", "b"],
  },
  handler: (input) => {
    const { a, b } = input as { a: number; b: number };
    return String(a + b);
  },
});

for (const eras of [{ legacy: true, modern: true }, { legacy: true, modern: false }]) {
  describe(`@ai-sdk/mcp against tether (eras ${JSON.stringify(eras)})`, () => {
    it("connects, lists and calls a tool", async () => {
      const seen: string[] = [];
      await withServer({ eras, tools: [add] }, async (server) => {
        const client = await createMCPClient({
          transport: {
            type: "http",
            url: server.url,
            fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
              const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
              if (body?.method !== undefined) seen.push(body.method);
              return fetch(input, init);
            }) as typeof fetch,
          },
        });
        server.defer(() => client.close());
        const listed = await client.listTools();
        assert.deepEqual(listed.tools.map((tool) => tool.name), ["add"]);
        const result = await client.callTool({ name: "add", arguments: { a: 2, b: 40 } });
        assert.deepEqual(result.content, [{ type: "text", text: "42" }]);
      });
      assert.equal(seen[0], "server/discover", "the client probes discover first");
      assert.equal(
        seen.includes("initialize"),
        !eras.modern,
        "it falls back to initialize only when the modern era is off",
      );
    });
  });
}
