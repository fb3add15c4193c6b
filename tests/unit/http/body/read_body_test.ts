/** Reading a request body with a hard byte cap. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BodyReads, readBodyText } from "../../../../src/http/body/read_body.ts";
import { httpError, jsonResponse } from "../../../../src/http/error_response.ts";
import { sleep, stateOf, until, VirtualScheduler, within } from "../../../helpers.ts";

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

/**
 * A byte stream (as Deno.serve's bodies are) that hands out `bytes` at most
 * `chunk` at a time, into the reader's own view when it offers one (a BYOB
 * read), then closes, stalls or fails as told; it records the size of every
 * view it was offered.
 */
function byteBody(
  bytes: Uint8Array,
  chunk: number,
  end: "close" | "stall" | "error" | "endless" = "close",
) {
  let sent = 0;
  const views: number[] = [];
  let cancelled = false;
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const byob = controller.byobRequest;
      if (sent === bytes.length && end !== "endless") {
        if (end === "stall") return new Promise<void>(() => {});
        if (end === "error") return controller.error(new Error("connection reset"));
        controller.close();
        byob?.respond(0);
        return;
      }
      const next = end === "endless"
        ? new Uint8Array(chunk).fill(0x20)
        : bytes.subarray(sent, sent + chunk);
      if (byob !== null && byob.view !== null) {
        const view = new Uint8Array(byob.view.buffer, byob.view.byteOffset, byob.view.byteLength);
        views.push(view.byteLength);
        const n = Math.min(next.byteLength, view.byteLength);
        view.set(next.subarray(0, n));
        sent += n;
        byob.respond(n);
      } else {
        controller.enqueue(next.slice());
        sent += next.byteLength;
      }
    },
    cancel() {
      cancelled = true;
    },
  });
  // Only what readBodyText looks at: runtimes may wrap a Request's stream in one that is not a byte stream.
  const request = { headers: new Headers(), body: stream } as unknown as Request;
  return { request, views, sent: () => sent, cancelled: () => cancelled };
}

/** Only Deno asks a body for a BYOB reader (Node's and Bun's served bodies are never byte streams). */
const ON_DENO = "Deno" in globalThis;

describe("readBodyText on a byte stream (Deno.serve's bodies: read into our own buffer)", () => {
  const text = "x".repeat(2_992) + '{"é":1}'; // 3,000 bytes
  const bytes = new TextEncoder().encode(text);
  assert.equal(bytes.byteLength, 3_000);

  it("a body of 1-byte chunks, exactly at the limit, is read (on Deno through views of its own buffer)", async () => {
    const body = byteBody(bytes, 1);
    assert.deepEqual(await readBodyText(body.request, 3_000), { ok: true, text });
    if (ON_DENO) assert.ok(body.views.length >= 3_000, `${body.views.length} BYOB reads`);
    else assert.equal(body.views.length, 0, "Node and Bun never ask for a BYOB reader");
  });

  it("on Deno, offers no view under 64 KiB, what its default reader reads into (a smaller one can stall Deno.serve's chunked decoding)", async () => {
    for (const limit of [3_000, 3_001, 4_096, 1 << 20]) {
      const body = byteBody(bytes, 1);
      assert.deepEqual(await readBodyText(body.request, limit), { ok: true, text });
      if (!ON_DENO) continue; // Node and Bun never ask for a BYOB reader
      assert.ok(body.views.length > 0, `limit ${limit}: no BYOB read`);
      assert.ok(
        Math.min(...body.views) >= 64 * 1024,
        `limit ${limit}: a view of ${Math.min(...body.views)} bytes`,
      );
    }
  });

  it("reads chunks larger than the views offered", async () => {
    assert.deepEqual(await readBodyText(byteBody(bytes, 5_000).request, 3_000), { ok: true, text });
  });

  it("refuses a body one byte past the limit, and cancels it", async () => {
    const body = byteBody(bytes, 1);
    assert.deepEqual(await readBodyText(body.request, 2_999), { ok: false, failure: "too-large" });
    await until(body.cancelled, "the body's cancel");
  });

  it("stops reading an endless body at the limit", async () => {
    const body = byteBody(bytes, 100, "endless");
    assert.deepEqual(await readBodyText(body.request, 2_500), { ok: false, failure: "too-large" });
    assert.ok(body.sent() <= 2_500 + 1_024, `read ${body.sent()} bytes of an endless body`);
    await until(body.cancelled, "the body's cancel");
  });

  it("a body that stalls gives up at the deadline and is cancelled", async () => {
    const body = byteBody(bytes.subarray(0, 10), 1, "stall");
    assert.deepEqual(
      await within(readBodyText(body.request, 100, { timeoutMs: 50 }), 2_000, "the read"),
      { ok: false, failure: "timeout" },
    );
    await until(body.cancelled, "the body's cancel");
  });

  it("a body that errors is aborted; one another reader holds is aborted at once", async () => {
    assert.deepEqual(await readBodyText(byteBody(bytes, 7, "error").request, 3_000), {
      ok: false,
      failure: "aborted",
    });
    const locked = byteBody(bytes, 1);
    locked.request.body!.getReader();
    assert.deepEqual(
      await within(readBodyText(locked.request, 3_000, { timeoutMs: 60_000 }), 2_000, "the read"),
      { ok: false, failure: "aborted" },
    );
  });

  it("close() ends a byte-stream read as cancelled", async () => {
    const reads = new BodyReads(60_000);
    const body = byteBody(bytes.subarray(0, 10), 1, "stall");
    const pending = readBodyText(body.request, 100, { reads });
    await until(() => body.sent() === 10, "the first bytes");
    reads.cancelAll();
    assert.deepEqual(await within(pending, 2_000, "the read"), { ok: false, failure: "cancelled" });
    await until(body.cancelled, "the body's cancel");
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
    // On the handler's scheduler, here a manual clock: four ticks per timeout, the read told at
    // the fifth after it started (between the timeout and 1.25 × it).
    const clock = new VirtualScheduler({ manual: true });
    const reads = new BodyReads(60, clock);
    const { request, cancelled } = stalled();
    try {
      const read = readBodyText(request, 100, { reads });
      await clock.advance(60);
      assert.equal(await stateOf(read), "pending", "not before the timeout");
      await clock.advance(15);
      assert.equal(
        await stateOf(read),
        "settled",
        "at the tick after the timeout, waiting for nothing",
      );
      assert.deepEqual(await within(read, 2_000, "the read"), { ok: false, failure: "timeout" });
      assert.equal(reads.size, 0, "the finished read is forgotten");
      await until(cancelled, "the body's cancel");
      assert.equal(clock.pending, 0, "no timer once no read is left");
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
    await sleep(10);
    assert.equal(reads.size, 2);
    reads.cancelAll();
    assert.deepEqual(await within(Promise.all(pending), 2_000, "the reads"), [
      { ok: false, failure: "cancelled" },
      { ok: false, failure: "cancelled" },
    ]);
    assert.equal(reads.size, 0);
  });
});
