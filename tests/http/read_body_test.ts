/** Reading a request body with a hard byte cap. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BodyReads, readBodyText } from "../../src/http/read_body.ts";
import { httpError, jsonResponse } from "../../src/http/error_response.ts";
import { until, within } from "../helpers.ts";

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request(
    "http://127.0.0.1/mcp",
    { method: "POST", body, headers, duplex: "half" } as RequestInit,
  );
}

describe("readBodyText", () => {
  it("reads a body within the limit as UTF-8", async () => {
    assert.deepEqual(await readBodyText(post('{"a":"é"}'), 100), { ok: true, text: '{"a":"é"}' });
  });

  it("reads a body split across chunks, including a multi-byte character split between chunks", async () => {
    const bytes = new TextEncoder().encode('"héllo"');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 3)); // ends inside the two-byte "é"
        controller.enqueue(bytes.slice(3));
        controller.close();
      },
    });
    assert.deepEqual(await readBodyText(post(stream), 100), { ok: true, text: '"héllo"' });
  });

  it("an absent body reads as empty text", async () => {
    assert.deepEqual(
      await readBodyText(new Request("http://127.0.0.1/mcp", { method: "POST" }), 10),
      { ok: true, text: "" },
    );
  });

  it("counts bytes, not characters", async () => {
    assert.deepEqual(await readBodyText(post("ééé"), 6), { ok: true, text: "ééé" });
    assert.deepEqual(await readBodyText(post("éééé"), 6), { ok: false, failure: "too-large" });
  });

  it("refuses a streamed body past the limit", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(100));
      },
    });
    assert.deepEqual(await readBodyText(post(stream), 250), { ok: false, failure: "too-large" });
    assert.ok(pulled <= 5, `pulled ${pulled} chunks of an endless stream`);
  });

  it("refuses invalid UTF-8", async () => {
    assert.deepEqual(await readBodyText(post(new Uint8Array([0xc3, 0x28])), 10), {
      ok: false,
      failure: "invalid-utf8",
    });
  });

  it("with a Content-Length, still refuses malformed UTF-8, and keeps a literal U+FFFD", async () => {
    const sized = (bytes: Uint8Array<ArrayBuffer>) =>
      post(bytes, { "content-length": String(bytes.length) });
    assert.deepEqual(await readBodyText(sized(new Uint8Array([0xc3, 0x28])), 10), {
      ok: false,
      failure: "invalid-utf8",
    });
    // A truncated four-byte sequence: three bytes that a lenient decoder turns into one U+FFFD
    // (three bytes too), so only a strict decode can tell it from the character itself.
    assert.deepEqual(
      await readBodyText(sized(new Uint8Array([0x22, 0xf0, 0x90, 0x80, 0x22])), 10),
      { ok: false, failure: "invalid-utf8" },
    );
    const literal = '{"text":"a\uFFFDb"}';
    assert.deepEqual(await readBodyText(sized(new TextEncoder().encode(literal)), 100), {
      ok: true,
      text: literal,
    });
  });

  it("a streamed body another reader holds is reported as aborted, not waited on", async () => {
    const stream = new ReadableStream<Uint8Array>({ pull() {} }); // never yields a chunk
    const request = post(stream);
    request.body!.getReader(); // locked: getReader() throws for anyone else
    assert.deepEqual(
      await within(readBodyText(request, 100, { timeoutMs: 60_000 }), 2_000, "the read"),
      { ok: false, failure: "aborted" },
    );
  });

  it("reports a body stream that errors as aborted", async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    assert.deepEqual(await readBodyText(post(stream), 100), { ok: false, failure: "aborted" });
  });
});

describe("httpError", () => {
  it("builds a JSON-RPC error body with null id and -32600 by default", async () => {
    const response = httpError(404, "Not Found");
    assert.equal(response.status, 404);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.deepEqual(await response.json(), {
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "Not Found" },
    });
  });

  it("carries the id, code, data and extra headers when given", async () => {
    const response = httpError(405, "nope", {
      id: 3,
      code: -32601,
      data: { x: 1 },
      headers: { allow: "GET" },
    });
    assert.equal(response.headers.get("allow"), "GET");
    assert.deepEqual(await response.json(), {
      jsonrpc: "2.0",
      id: 3,
      error: { code: -32601, message: "nope", data: { x: 1 } },
    });
  });

  it("jsonResponse is a 200 with the JSON type and extra headers", () => {
    const response = jsonResponse("{}", { "mcp-session-id": "abc" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("mcp-session-id"), "abc");
  });
});

describe("BodyReads (the handler's shared deadline and close)", () => {
  /** A streamed body that never ends, and whether it was cancelled. */
  function stalled() {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull() {},
      cancel() {
        cancelled = true;
      },
    });
    return { request: post(stream), cancelled: () => cancelled };
  }

  it("a read still going after the timeout gives up as timeout, never before it", async () => {
    const reads = new BodyReads(60);
    const { request, cancelled } = stalled();
    const started = performance.now();
    try {
      const result = await within(readBodyText(request, 100, { reads }), 2_000, "the read");
      const waited = performance.now() - started;
      assert.deepEqual(result, { ok: false, failure: "timeout" });
      assert.ok(waited >= 58, `gave up after ${waited} ms`); // timers may fire a millisecond early
      assert.equal(reads.size, 0, "the finished read is forgotten");
      await until(cancelled, "the body's cancel");
    } finally {
      reads.stop();
    }
  });

  it("a read that finishes is forgotten; cancelAll ends the others as cancelled", async () => {
    const reads = new BodyReads(60_000);
    assert.deepEqual(await readBodyText(post('{"a":1}'), 100, { reads }), {
      ok: true,
      text: '{"a":1}',
    });
    assert.equal(reads.size, 0);
    const first = stalled();
    const second = stalled();
    const pending = [
      readBodyText(first.request, 100, { reads }),
      readBodyText(second.request, 100, { reads }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(reads.size, 2);
    reads.cancelAll();
    assert.deepEqual(await within(Promise.all(pending), 2_000, "the reads"), [
      { ok: false, failure: "cancelled" },
      { ok: false, failure: "cancelled" },
    ]);
    assert.equal(reads.size, 0);
  });
});
