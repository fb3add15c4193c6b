/**
 * The extension surface through the handler, in both eras: the
 * `capabilities.extensions` entry, methods (era-limited, routed by
 * `Mcp-Name`, refused with -32021 without negotiation), client
 * notifications, the step around `tools/call`, startup checks and close().
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../../mod.ts";
import { type Extension, negotiated } from "../../../../src/extensions/mod.ts";
import { initialize, makeHandler, notify, rpc } from "../../../helpers.ts";
import { MODERN, modernNotification, modernRpc } from "../../../support/modern_helpers.ts";

const ID = "com.example/echo";

function echoExtension(overrides: Partial<Extension> = {}): Extension {
  return {
    id: ID,
    settings: { flavour: "plain" },
    methods: {
      "echo/say": { handle: (params, ctx) => ({ said: params.text, by: ctx.principal.id }) },
      "echo/named": { nameParam: "key", handle: (params) => ({ key: params.key }) },
      "echo/gated": { requiresNegotiation: true, handle: () => ({ ok: true }) },
    },
    ...overrides,
  };
}

describe("extension surface", () => {
  it("advertises the entry in initialize and server/discover, and serves its methods in both eras", async () => {
    const handler = makeHandler({
      tools: [],
      extensions: [echoExtension({ legacyCapabilities: { echoing: {} } })],
    });
    const session = await initialize(handler);
    assert.deepEqual(session.result.capabilities.extensions, { [ID]: { flavour: "plain" } });
    assert.deepEqual(session.result.capabilities.echoing, {}, "legacy capabilities, legacy only");
    const legacy = await rpc(handler, session, "echo/say", { text: "hi" });
    assert.deepEqual(legacy.message.result, { said: "hi", by: "anonymous" });
    const discover = await modernRpc(handler, "server/discover");
    assert.deepEqual(discover.message.result.capabilities.extensions, {
      [ID]: { flavour: "plain" },
    });
    assert.equal(discover.message.result.capabilities.echoing, undefined);
    const modern = await modernRpc(handler, "echo/say", { text: "hi" });
    assert.equal(modern.message.result.said, "hi");
    assert.equal(modern.message.result.resultType, "complete");
    await handler.close();
  });

  it("an extension (or a method) limited to one era does not exist in the other", async () => {
    const handler = makeHandler({
      tools: [],
      extensions: [echoExtension({ eras: ["modern"] }), {
        id: "com.example/old",
        methods: { "old/only": { eras: ["legacy"], handle: () => ({ old: true }) } },
      }],
    });
    const session = await initialize(handler);
    assert.deepEqual(session.result.capabilities.extensions, { "com.example/old": {} });
    assert.equal((await rpc(handler, session, "echo/say", {})).message.error.code, -32601);
    assert.equal((await rpc(handler, session, "old/only", {})).message.result.old, true);
    assert.equal((await modernRpc(handler, "echo/say", {})).message.result.resultType, "complete");
    const modernOld = await modernRpc(handler, "old/only", {});
    assert.equal(modernOld.status, 404);
    assert.equal(modernOld.message.error.code, -32601);
    await handler.close();
  });

  it("a gated method answers -32021 naming the extension until the client declares it", async () => {
    const handler = makeHandler({ tools: [], extensions: [echoExtension()] });
    const refused = await modernRpc(handler, "echo/gated");
    assert.equal(refused.message.error.code, -32021);
    assert.deepEqual(refused.message.error.data, {
      requiredCapabilities: { extensions: { [ID]: {} } },
    });
    const declared = { extensions: { [ID]: {} } };
    assert.equal(
      (await modernRpc(handler, "echo/gated", {}, { capabilities: declared })).message.result.ok,
      true,
    );
    const bare = await initialize(handler);
    assert.equal((await rpc(handler, bare, "echo/gated")).message.error.code, -32021);
    const session = await initialize(handler, { capabilities: declared });
    assert.equal((await rpc(handler, session, "echo/gated")).message.result.ok, true);
    assert.equal(negotiated(declared, ID), true);
    assert.equal(negotiated({ extensions: { [ID]: true } }, ID), false);
    await handler.close();
  });

  it("2026-07-28 routes a method by its name param: Mcp-Name must match it", async () => {
    const handler = makeHandler({ tools: [], extensions: [echoExtension()] });
    const ok = await modernRpc(handler, "echo/named", { key: "k1" }, {
      headers: { "mcp-name": "k1" },
    });
    assert.equal(ok.message.result.key, "k1");
    const wrong = await modernRpc(handler, "echo/named", { key: "k1" }, {
      headers: { "mcp-name": "k2" },
    });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.message.error.code, -32020);
    await handler.close();
  });

  it("hands client notifications to the extension in both eras; a failing handler goes to onError", async () => {
    const heard: string[] = [];
    const errors: unknown[] = [];
    const handler = makeHandler({
      tools: [],
      observe: {
        onError: (error) => errors.push(error),
      },
      extensions: [echoExtension({
        notifications: {
          "notifications/echo/heard": (params, ctx) => {
            heard.push(`${params.what} ${ctx.protocolVersion}`);
          },
          "notifications/echo/broken": () => {
            throw new Error("broken handler");
          },
        },
      })],
    });
    const session = await initialize(handler);
    const legacy = await notify(handler, session, "notifications/echo/heard", { what: "a" });
    assert.equal(legacy.status, 202);
    const modern = await handler(modernNotification("notifications/echo/heard", { what: "b" }));
    assert.equal(modern.status, 202);
    assert.deepEqual(heard, [`a ${session.protocolVersion}`, `b ${MODERN}`]);
    const broken = await handler(modernNotification("notifications/echo/broken"));
    assert.equal(broken.status, 202);
    assert.equal(errors.length, 1);
    await handler.close();
  });

  it("steps around tools/call in order, and may run the call with a context of its own", async () => {
    const order: string[] = [];
    const whoami = defineTool({ name: "whoami", handler: (_input, ctx) => ctx.principal.id });
    const outer: Extension = {
      id: "com.example/outer",
      aroundToolCall: async (call) => {
        order.push(`outer ${call.tool?.name}`);
        return await call.run();
      },
    };
    const inner: Extension = {
      id: "com.example/inner",
      aroundToolCall: (call) => {
        order.push("inner");
        return call.run({ ...call.ctx, principal: { id: "stand-in" } });
      },
    };
    const handler = makeHandler({ tools: [whoami], extensions: [outer, inner] });
    const session = await initialize(handler);
    const { message } = await rpc(handler, session, "tools/call", { name: "whoami" });
    assert.equal(message.result.content[0].text, "stand-in");
    assert.deepEqual(order, ["outer whoami", "inner"]);
    await handler.close();
  });

  it("2026-07-28: an extension's method and its tools/call step see _meta without the envelope keys", async () => {
    const seen: Record<string, unknown>[] = [];
    const echo = defineTool({ name: "echo", handler: () => "ok" });
    const watcher: Extension = {
      id: "com.example/watcher",
      methods: {
        "watch/meta": { handle: (params) => (seen.push({ ...params }), {}) },
      },
      aroundToolCall: (call) => {
        seen.push({ ...call.params }, { ...call.request.params });
        return call.run();
      },
    };
    const handler = makeHandler({ tools: [echo], extensions: [watcher] });
    const meta = { progressToken: "p1", "com.example/custom": 7 };
    const call = await modernRpc(handler, "tools/call", { name: "echo", arguments: {} }, { meta });
    assert.equal(call.message.result.content[0].text, "ok");
    const method = await modernRpc(handler, "watch/meta", { x: 1 }, { meta });
    assert.equal(method.message.result.resultType, "complete");
    assert.deepEqual(seen, [
      { name: "echo", arguments: {}, _meta: meta },
      { name: "echo", arguments: {}, _meta: meta },
      { x: 1, _meta: meta },
    ]);
    await handler.close();
  });

  it("refuses at startup a method the core serves, a duplicate id, and a malformed id", () => {
    assert.throws(
      () =>
        makeHandler({
          tools: [],
          extensions: [{ id: "a/b", methods: { "tools/list": { handle: () => ({}) } } }],
        }),
      /tools\/list is already served/,
    );
    assert.throws(
      () => makeHandler({ extensions: [{ id: "a/b" }, { id: "a/b" }] }),
      /Duplicate extension/,
    );
    assert.throws(() => makeHandler({ extensions: [{ id: "no-slash" }] }), /Invalid extension id/);
  });

  it("handler.close() closes every extension", async () => {
    let closed = 0;
    const handler = makeHandler({
      extensions: [{ id: "a/one", close: () => void closed++ }, {
        id: "a/two",
        close: () => void closed++,
      }],
    });
    await handler.close();
    assert.equal(closed, 2);
  });
});
