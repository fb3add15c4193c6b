/**
 * Sessions share one frozen copy of equal client metadata: two sessions
 * whose clients sent the same `capabilities` and `clientInfo` hand their
 * tools the same objects, frozen all the way down, so a tool that tries to
 * change them throws and the other session's view stays as its client sent
 * it; different metadata stays apart. The pool is bounded: past its
 * capacity it starts over, and copies already handed out stay valid.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../../mod.ts";
import type { ClientCapabilities, Implementation } from "../../../../src/protocol/types.ts";
import {
  clientMetadataJson,
  ClientMetadataPool,
} from "../../../../src/legacy/sessions/client_metadata_pool.ts";
import { initialize, makeHandler, postRequest, readAnswer, rpc } from "../../../helpers.ts";

describe("ClientMetadataPool", () => {
  it("shares one deep-frozen copy per distinct JSON, apart from the caller's objects", () => {
    const pool = new ClientMetadataPool();
    const sent = {
      capabilities: { elicitation: { form: {} } },
      clientInfo: { name: "a", version: "1" },
    };
    const json = clientMetadataJson(sent);
    const first = pool.share(json);
    const second = pool.share(clientMetadataJson(structuredClone(sent)));
    assert.equal(first, second);
    assert.deepEqual(first, sent);
    assert.notEqual(first.capabilities, sent.capabilities, "a copy, not the request's object");
    assert.ok(Object.isFrozen(first));
    assert.ok(Object.isFrozen(first.capabilities));
    assert.ok(Object.isFrozen((first.capabilities.elicitation as { form: object }).form));
    assert.ok(Object.isFrozen(first.clientInfo));
    assert.equal(Object.isFrozen(sent.capabilities), false, "the caller's objects are not frozen");
    const other = pool.share(clientMetadataJson({ capabilities: {}, clientInfo: undefined }));
    assert.notEqual(other, first);
    assert.deepEqual(other, { capabilities: {}, clientInfo: undefined });
    assert.equal(pool.size, 2);
  });

  it("starts over at its capacity; what it handed out stays valid", () => {
    const pool = new ClientMetadataPool(2);
    const json = (n: number) =>
      clientMetadataJson({ capabilities: {}, clientInfo: { name: `c${n}`, version: "1" } });
    const one = pool.share(json(1));
    pool.share(json(2));
    assert.equal(pool.size, 2);
    const three = pool.share(json(3));
    assert.equal(pool.size, 1, "the pool forgot what it held and kept the newest");
    assert.equal(pool.share(json(3)), three);
    assert.notEqual(pool.share(json(1)), one, "a forgotten value is copied again");
    assert.deepEqual(pool.share(json(1)), one);
    assert.equal(one.clientInfo?.name, "c1");
  });
});

describe("sessions share their client's metadata", () => {
  it("equal metadata is one frozen object across sessions; a tool cannot change it", async () => {
    const seen: { capabilities: ClientCapabilities; clientInfo?: Implementation }[] = [];
    const handler = makeHandler({
      tools: [defineTool({
        name: "look",
        description: "records what the client declared, then tries to change it",
        handler: (_input, ctx) => {
          seen.push({ capabilities: ctx.clientCapabilities, clientInfo: ctx.clientInfo });
          try {
            (ctx.clientCapabilities as Record<string, unknown>).sampling = {};
            return "changed";
          } catch (error) {
            return error instanceof TypeError ? "refused" : "other";
          }
        },
      })],
    });
    try {
      const capabilities = { elicitation: { form: {} }, roots: { listChanged: true } };
      const a = await initialize(handler, { capabilities });
      const b = await initialize(handler, { capabilities: structuredClone(capabilities) });
      const c = await initialize(handler, { capabilities: { roots: {} } });
      for (const session of [a, b, c]) {
        const answer = await rpc(handler, session, "tools/call", { name: "look", arguments: {} });
        assert.deepEqual(answer.message.result.content, [{ type: "text", text: "refused" }]);
      }
      assert.equal(seen[0].capabilities, seen[1].capabilities, "one object for equal metadata");
      assert.equal(seen[0].clientInfo, seen[1].clientInfo);
      assert.deepEqual(seen[0].capabilities, capabilities);
      assert.deepEqual(seen[0].clientInfo, { name: "test-client", version: "0.0.0" });
      assert.notEqual(seen[2].capabilities, seen[0].capabilities);
      assert.deepEqual(seen[2].capabilities, { roots: {} });
      assert.ok(Object.isFrozen(seen[0].capabilities.roots as object));
    } finally {
      await handler.close();
    }
  });

  it("a session whose client sent no clientInfo has none, beside one that did", async () => {
    const infos: (Implementation | undefined)[] = [];
    const handler = makeHandler({
      tools: [defineTool({
        name: "who",
        description: "records the client's identity",
        handler: (_input, ctx) => {
          infos.push(ctx.clientInfo);
          return "ok";
        },
      })],
    });
    try {
      const named = await initialize(handler);
      const bare = {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {} },
      };
      const response = await handler(postRequest(bare));
      const id = response.headers.get("mcp-session-id")!;
      assert.equal((await readAnswer(response)).status, 200);
      const anonymous = { id, protocolVersion: "2025-11-25", headers: {}, result: {} };
      await rpc(handler, anonymous, "tools/call", { name: "who", arguments: {} });
      await rpc(handler, named, "tools/call", { name: "who", arguments: {} });
      assert.deepEqual(infos, [undefined, { name: "test-client", version: "0.0.0" }]);
    } finally {
      await handler.close();
    }
  });
});
