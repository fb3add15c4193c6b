/**
 * Every way to read scoped data asks for the scope: `completion/complete` on
 * a scoped prompt or resource template is refused `403 insufficient_scope`
 * like the read itself, and a scoped template's own `list()` is not asked
 * inside `resources/list` for a caller without the scope (the fixed
 * resources and the template itself are still listed). Both eras.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { definePrompt, defineResource, defineResourceTemplate } from "../../../mod.ts";
import type { Principal } from "../../../mod.ts";
import { initialize, makeHandler, rpc } from "../../helpers.ts";
import { modernRpc } from "../../support/modern_helpers.ts";

/** Who each test token is: "admin" holds mcp:admin, "reader" does not. */
const PRINCIPALS: Record<string, Principal> = {
  admin: { id: "admin", scopes: ["mcp:read", "mcp:admin"] },
  reader: { id: "reader", scopes: ["mcp:read"] },
};

let listed = 0;

function scopedHandler() {
  return makeHandler({
    auth: {
      authenticate: (request) => PRINCIPALS[request.headers.get("x-user") ?? ""],
    },
    resources: [defineResource({ uri: "public://readme", name: "readme", read: () => "hello" })],
    resourceTemplates: [defineResourceTemplate({
      uriTemplate: "secret://{name}",
      name: "secret",
      scopes: ["mcp:admin"],
      list: () => {
        listed++;
        return [{ uri: "secret://payroll-2026", name: "payroll-2026" }];
      },
      complete: {
        name: (value) => ["payroll-2026", "merger-plan"].filter((v) => v.startsWith(value)),
      },
      read: (_uri, { name }) => `secret ${name}`,
    })],
    prompts: [definePrompt({
      name: "audit",
      scopes: ["mcp:admin"],
      arguments: [{ name: "account" }],
      complete: { account: (value) => ["acct-secret-1"].filter((v) => v.startsWith(value)) },
      handler: () => "Audit.",
    })],
  });
}

const COMPLETIONS = [
  {
    ref: { type: "ref/resource", uri: "secret://{name}" },
    argument: { name: "name", value: "pay" },
  },
  { ref: { type: "ref/prompt", name: "audit" }, argument: { name: "account", value: "" } },
];

describe("scopes: completion and template listings", () => {
  it("2025 era: completion of a scoped prompt or template is 403 without the scope, answered with it", async () => {
    const handler = scopedHandler();
    try {
      const reader = await initialize(handler, { headers: { "x-user": "reader" } });
      const admin = await initialize(handler, { headers: { "x-user": "admin" } });
      for (const params of COMPLETIONS) {
        const refused = await rpc(handler, reader, "completion/complete", params);
        assert.equal(refused.status, 403);
        assert.equal(typeof refused.message.error.code, "number", "a JSON-RPC error body");
        assert.match(
          refused.response.headers.get("www-authenticate") ?? "",
          /insufficient_scope.*mcp:admin/,
        );
        const answered = await rpc(handler, admin, "completion/complete", params);
        assert.equal(answered.status, 200);
        assert.equal(answered.message.result.completion.values.length, 1, "positive control");
      }
    } finally {
      await handler.close();
    }
  });

  it("2026-07-28: the same completions are 403 without the scope, answered with it", async () => {
    const handler = scopedHandler();
    try {
      for (const params of COMPLETIONS) {
        const refused = await modernRpc(handler, "completion/complete", params, {
          headers: { "x-user": "reader" },
        });
        assert.equal(refused.status, 403);
        assert.match(
          refused.response.headers.get("www-authenticate") ?? "",
          /insufficient_scope.*mcp:admin/,
        );
        const answered = await modernRpc(handler, "completion/complete", params, {
          headers: { "x-user": "admin" },
        });
        assert.equal(answered.status, 200);
        assert.equal(answered.message.result.completion.values.length, 1, "positive control");
      }
    } finally {
      await handler.close();
    }
  });

  it("resources/list leaves out a scoped template's list() for a caller without the scope, both eras", async () => {
    const handler = scopedHandler();
    try {
      const uris = (outcome: { message: { result: { resources: { uri: string }[] } } }) =>
        outcome.message.result.resources.map((r) => r.uri).sort();
      listed = 0;
      const reader = await initialize(handler, { headers: { "x-user": "reader" } });
      assert.deepEqual(uris(await rpc(handler, reader, "resources/list")), ["public://readme"]);
      assert.deepEqual(
        uris(await modernRpc(handler, "resources/list", {}, { headers: { "x-user": "reader" } })),
        ["public://readme"],
      );
      assert.equal(listed, 0, "the scoped template's list() never ran for the reader");
      const templates = await rpc(handler, reader, "resources/templates/list");
      assert.deepEqual(
        templates.message.result.resourceTemplates.map((t: { uriTemplate: string }) =>
          t.uriTemplate
        ),
        ["secret://{name}"],
        "the template itself is still listed",
      );
      const admin = await initialize(handler, { headers: { "x-user": "admin" } });
      const expected = ["public://readme", "secret://payroll-2026"];
      assert.deepEqual(uris(await rpc(handler, admin, "resources/list")), expected);
      assert.deepEqual(
        uris(await modernRpc(handler, "resources/list", {}, { headers: { "x-user": "admin" } })),
        expected,
      );
    } finally {
      await handler.close();
    }
  });
});
