/**
 * The scope step reads no registry while nothing declares scopes (decided
 * when the handler is built, and again when a definition changes at
 * runtime), and still refuses a call whose tool declares a scope the
 * caller lacks, also when that tool was added after the handler was built.
 * Both eras.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, type McpHandler, type Principal } from "../../../mod.ts";
import { initialize, makeHandler, rpc } from "../../helpers.ts";
import { modernRpc } from "../../support/modern_helpers.ts";

const PRINCIPALS: Record<string, Principal> = {
  reader: { id: "reader", scopes: ["mcp:read"] },
};

const echo = defineTool({ name: "echo", handler: () => "ok" });
const admin = defineTool({ name: "admin", scopes: ["mcp:admin"], handler: () => "secret" });

function authenticated(): McpHandler {
  return makeHandler({
    tools: [echo],
    auth: { authenticate: (request) => PRINCIPALS[request.headers.get("x-user") ?? ""] },
  });
}

/** Counts every read of what the scope step would look up in the three registries. */
function countReads(handler: McpHandler): { reads: number } {
  const counter = { reads: 0 };
  const spy = (registry: object, names: string[]) => {
    for (const name of names) {
      const own = Object.getPrototypeOf(registry);
      const descriptor = Object.getOwnPropertyDescriptor(own, name)!;
      Object.defineProperty(registry, name, {
        configurable: true,
        get() {
          counter.reads++;
          return descriptor.get !== undefined
            ? descriptor.get.call(registry)
            : descriptor.value.bind(registry);
        },
      });
    }
  };
  spy(handler.tools, ["scoped", "scopes"]);
  spy(handler.prompts, ["scoped", "scopes"]);
  spy(handler.resources, ["scoped", "scopes", "completionScopes"]);
  return counter;
}

describe("the scope step", () => {
  it("reads no registry on a request while nothing declares scopes", async () => {
    const handler = authenticated();
    try {
      const counter = countReads(handler);
      const session = await initialize(handler, { headers: { "x-user": "reader" } });
      const legacy = await rpc(handler, session, "tools/call", { name: "echo", arguments: {} });
      assert.equal(legacy.message.result?.content?.[0]?.text, "ok");
      const modern = await modernRpc(handler, "tools/call", { name: "echo", arguments: {} }, {
        headers: { "x-user": "reader" },
      });
      assert.equal(modern.message.result?.content?.[0]?.text, "ok");
      assert.equal(counter.reads, 0);
    } finally {
      await handler.close();
    }
  });

  it("enforces a scope declared by a tool added at runtime, in both eras", async () => {
    const handler = authenticated();
    try {
      const session = await initialize(handler, { headers: { "x-user": "reader" } });
      handler.tools.add(admin);
      const legacy = await rpc(handler, session, "tools/call", { name: "admin", arguments: {} });
      assert.equal(legacy.status, 403);
      assert.match(legacy.response.headers.get("www-authenticate") ?? "", /insufficient_scope/);
      const modern = await modernRpc(handler, "tools/call", { name: "admin", arguments: {} }, {
        headers: { "x-user": "reader" },
      });
      assert.equal(modern.status, 403);
      // A tool without scopes still runs.
      const open = await rpc(handler, session, "tools/call", { name: "echo", arguments: {} });
      assert.equal(open.message.result?.content?.[0]?.text, "ok");
    } finally {
      await handler.close();
    }
  });

  it("enforces a scope declared by a tool a replace brings in", async () => {
    const handler = authenticated();
    try {
      handler.tools.replace(["echo"], [admin]);
      const modern = await modernRpc(handler, "tools/call", { name: "admin", arguments: {} }, {
        headers: { "x-user": "reader" },
      });
      assert.equal(modern.status, 403);
    } finally {
      await handler.close();
    }
  });
});
