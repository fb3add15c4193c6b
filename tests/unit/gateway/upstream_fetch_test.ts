/**
 * The fetch of an HTTP upstream's 2026-07-28 requests (src/gateway/upstream_fetch.ts) bounds each
 * message it reads: a JSON body whose declared, unencoded length is within the bound passes as it
 * came; any other body is counted as it passes and fails past the bound, an encoded one too (fetch
 * decodes it, so its Content-Length says nothing of what is read).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { watchStreams } from "../../../src/gateway/upstream_fetch.ts";

const MAX = 1_000;
const settings = {
  origin: "http://upstream.test",
  followSameOriginRedirects: false,
  maxMessageBytes: MAX,
  unansweredResponse: (id: string | number) => ({ jsonrpc: "2.0", id, error: { code: -1 } }),
};

/** The watched fetch over one canned response. */
function answering(body: string, headers: Record<string, string>) {
  const response = new Response(body, {
    headers: { "content-type": "application/json", ...headers },
  });
  const fetch = watchStreams(() => Promise.resolve(response), settings);
  return { response, fetch };
}

const post = { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) };

describe("watchStreams: message bounds", () => {
  it("a JSON body declared within the bound passes as it came", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} });
    const { response, fetch } = answering(body, { "content-length": String(body.length) });
    const watched = await fetch("http://upstream.test/mcp", post);
    assert.equal(watched, response);
    assert.equal(await watched.text(), body);
  });

  it("a JSON body without a length is counted: past the bound its read fails", async () => {
    const { fetch } = answering("x".repeat(MAX + 1), {});
    const watched = await fetch("http://upstream.test/mcp", post);
    await assert.rejects(watched.text(), /over 1000 bytes/);
  });

  it("an encoded body is counted whatever its declared length", async () => {
    const { response, fetch } = answering("x".repeat(MAX + 1), {
      "content-length": "10",
      "content-encoding": "gzip",
    });
    const watched = await fetch("http://upstream.test/mcp", post);
    assert.notEqual(watched, response);
    await assert.rejects(watched.text(), /over 1000 bytes/);
  });
});
