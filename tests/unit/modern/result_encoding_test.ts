/**
 * encodeCompleteResult: what the 2026-07-28 wire adds to a complete result
 * (resultType, the server's identity in `_meta`, cache hints), with the
 * result's own keys and their order kept, whether or not it sets `_meta`.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeCompleteResult, SERVER_INFO_META_KEY } from "../../../src/modern/result_encoding.ts";

const SERVER_INFO = { name: "s", version: "1.0.0" };

describe("encodeCompleteResult", () => {
  it("a result without _meta gets resultType and serverInfo, its keys first and in order", () => {
    const result = { content: [{ type: "text", text: "hi" }], isError: false };
    const encoded = encodeCompleteResult("tools/call", result, SERVER_INFO, undefined);
    assert.equal(
      JSON.stringify(encoded),
      '{"content":[{"type":"text","text":"hi"}],"isError":false,"resultType":"complete",' +
        '"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1.0.0"}}}',
    );
    assert.equal("_meta" in result, false, "the result itself is not changed");
  });

  it("the result's own _meta keeps its place and keys, serverInfo added (a set one wins)", () => {
    const own = { _meta: { trace: "t" }, content: [] };
    const encoded = encodeCompleteResult("tools/call", own, SERVER_INFO, undefined);
    assert.deepEqual(Object.keys(encoded), ["_meta", "content", "resultType"]);
    assert.deepEqual(encoded._meta, { trace: "t", [SERVER_INFO_META_KEY]: SERVER_INFO });
    assert.deepEqual(own._meta, { trace: "t" }, "the handler's _meta is not changed");
    const named = { content: [], _meta: { [SERVER_INFO_META_KEY]: { name: "mine" } } };
    const kept = encodeCompleteResult("tools/call", named, SERVER_INFO, undefined);
    assert.deepEqual(kept._meta, { [SERVER_INFO_META_KEY]: { name: "mine" } });
  });

  it("a handler's resultType task is kept; cache hints only on cacheable methods", () => {
    const task = encodeCompleteResult("tools/call", { resultType: "task" }, SERVER_INFO, undefined);
    assert.equal(task.resultType, "task");
    assert.equal("ttlMs" in task, false);
    const listed = encodeCompleteResult("tools/list", { tools: [] }, SERVER_INFO, {
      ttlMs: 5,
      cacheScope: "public",
    });
    assert.equal(listed.ttlMs, 5);
    assert.equal(listed.cacheScope, "public");
  });

  it("results of two servers name each its own server", () => {
    const other = { name: "o", version: "2.0.0" };
    const first = encodeCompleteResult("tools/call", { content: [] }, SERVER_INFO, undefined);
    const second = encodeCompleteResult("tools/call", { content: [] }, other, undefined);
    const third = encodeCompleteResult("tools/call", { content: [] }, SERVER_INFO, undefined);
    assert.deepEqual((first._meta as Record<string, unknown>)[SERVER_INFO_META_KEY], SERVER_INFO);
    assert.deepEqual((second._meta as Record<string, unknown>)[SERVER_INFO_META_KEY], other);
    assert.deepEqual((third._meta as Record<string, unknown>)[SERVER_INFO_META_KEY], SERVER_INFO);
  });
});
