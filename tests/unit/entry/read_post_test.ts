/**
 * Reading a POST into messages (src/entry/read_post.ts), without a handler:
 * each refusal of the header checks and of the body's steps, in order, and
 * the messages, batch flag, work flag and single request id of the bodies
 * that pass.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BodyResult } from "../../../src/http/body/read_body.ts";
import { isRefusal, type Refusal } from "../../../src/http/refusal.ts";
import {
  checkPostHeaders,
  MAX_BATCH_MESSAGES,
  type Post,
  readPostMessages,
} from "../../../src/entry/read_post.ts";

const LIMITS = { maxBodyBytes: 1024, bodyTimeoutMs: 500, maxJsonDepth: 4, maxIdBytes: 16 };
const BOTH = "application/json, text/event-stream";

function post(headers: Record<string, string>): Request {
  return new Request("http://127.0.0.1/mcp", { method: "POST", headers, body: "{}" });
}

function headerCheck(headers: Record<string, string>, strict = true): Refusal | undefined {
  const request = post(headers);
  return checkPostHeaders(request, request.headers, strict);
}

/** The refusal `readPostMessages` gives for `body` (fails when it gives messages). */
function refusalOf(body: BodyResult | string): Refusal {
  const read = readPostMessages(typeof body === "string" ? { ok: true, text: body } : body, LIMITS);
  assert.ok(isRefusal(read), `expected a refusal, got ${JSON.stringify(read)}`);
  return read;
}

/** The messages `readPostMessages` reads from `text` (fails on a refusal). */
function postOf(text: string): Post {
  const read = readPostMessages({ ok: true, text }, LIMITS);
  assert.ok(!isRefusal(read), `expected messages, got ${JSON.stringify(read)}`);
  return read;
}

const request = (id: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", ...extra });

describe("checkPostHeaders", () => {
  it("passes Accept naming both types and Content-Type application/json (with parameters)", () => {
    assert.equal(headerCheck({ accept: BOTH, "content-type": "application/json" }), undefined);
    assert.equal(
      headerCheck({ accept: BOTH, "content-type": "Application/JSON; charset=utf-8" }),
      undefined,
    );
  });

  it("refuses a missing Accept with 406 when strict, and lets it through when not", () => {
    const refused = headerCheck({ "content-type": "application/json" });
    assert.equal(refused?.status, 406);
    assert.equal(refused?.step, "accept");
    assert.equal(headerCheck({ "content-type": "application/json" }, false), undefined);
  });

  it("refuses an Accept naming neither type with 406, strict or not", () => {
    const headers = { accept: "text/html", "content-type": "application/json" };
    assert.equal(headerCheck(headers)?.status, 406);
    assert.equal(headerCheck(headers, false)?.status, 406);
  });

  it("checks Accept before Content-Type", () => {
    assert.equal(
      headerCheck({ accept: "text/html", "content-type": "text/plain" })?.step,
      "accept",
    );
  });

  it("refuses another or a missing Content-Type with 415", () => {
    const other: Record<string, string> = { accept: BOTH, "content-type": "text/plain" };
    const missing: Record<string, string> = { accept: BOTH };
    for (const headers of [other, missing]) {
      const refused = headerCheck(headers);
      assert.equal(refused?.status, 415);
      assert.equal(refused?.step, "content-type");
    }
  });
});

describe("readPostMessages: the body read's failures", () => {
  const cases: [BodyResult, number, number, RegExp, string][] = [
    [{ ok: false, failure: "too-large" }, 413, -32600, /limit is 1024 bytes/, "body"],
    [{ ok: false, failure: "timeout" }, 408, -32600, /within 500 ms/, "body"],
    [{ ok: false, failure: "cancelled" }, 503, -32600, /shutting down/, "closing"],
    [{ ok: false, failure: "invalid-utf8" }, 400, -32700, /not valid UTF-8/, "body"],
    [{ ok: false, failure: "aborted" }, 400, -32600, /could not be read/, "body"],
  ];
  for (const [body, status, code, message, step] of cases) {
    it(`${(body as { failure: string }).failure} → ${status} (${step})`, () => {
      const refused = refusalOf(body);
      assert.equal(refused.status, status);
      assert.equal(refused.code, code);
      assert.match(refused.message, message);
      assert.equal(refused.step, step);
      assert.equal(refused.id, undefined, "no id is known before the body is parsed");
    });
  }

  it("a closing handler's 503 says when to retry", () => {
    assert.deepEqual(refusalOf({ ok: false, failure: "cancelled" }).headers, {
      "retry-after": "1",
    });
  });
});

describe("readPostMessages: JSON and the JSON-RPC envelope", () => {
  it("refuses a body that is not JSON with -32700", () => {
    const refused = refusalOf('{"jsonrpc":');
    assert.deepEqual([refused.status, refused.code, refused.step], [400, -32700, "json"]);
    assert.match(refused.message, /not valid JSON/);
  });

  it("refuses JSON nested deeper than maxJsonDepth with -32700, and takes it at the limit", () => {
    const refused = refusalOf(request(1, { params: { a: { b: { c: {} } } } }));
    assert.deepEqual([refused.status, refused.code, refused.step], [400, -32700, "json"]);
    assert.match(refused.message, /deeper than 4 levels/);
    postOf(request(1, { params: { a: { b: {} } } })); // depth 4: the positive control
  });

  it("refuses an empty batch", () => {
    const refused = refusalOf("[]");
    assert.deepEqual([refused.status, refused.code, refused.step], [400, -32600, "jsonrpc"]);
    assert.match(refused.message, /empty batch/);
  });

  it(`refuses a batch of more than ${MAX_BATCH_MESSAGES} messages, and takes one of exactly that`, () => {
    const many = (count: number) =>
      `[${Array.from({ length: count }, (_, i) => request(i)).join(",")}]`;
    const refused = refusalOf(many(MAX_BATCH_MESSAGES + 1));
    assert.equal(refused.status, 400);
    assert.match(refused.message, new RegExp(`at most ${MAX_BATCH_MESSAGES} messages`));
    assert.equal(postOf(many(MAX_BATCH_MESSAGES)).messages.length, MAX_BATCH_MESSAGES);
  });

  it("refuses a value that is not a JSON-RPC 2.0 message, echoing only a valid id", () => {
    const cases: [unknown, unknown][] = [
      [{ jsonrpc: "1.0", id: 7, method: "ping" }, 7],
      [{ jsonrpc: "1.0", id: "abc", method: "ping" }, "abc"],
      [{ jsonrpc: "1.0", id: "x".repeat(17), method: "ping" }, null], // over maxIdBytes
      [{ jsonrpc: "1.0", id: 1.5, method: "ping" }, null],
      [{ jsonrpc: "1.0", id: 2 ** 53, method: "ping" }, null], // not a safe integer
      [{ jsonrpc: "1.0", id: {}, method: "ping" }, null],
      [42, null],
    ];
    for (const [value, id] of cases) {
      const refused = refusalOf(JSON.stringify(value));
      assert.equal(refused.status, 400);
      assert.equal(refused.step, "jsonrpc");
      assert.match(refused.message, /not a JSON-RPC 2.0 message/);
      assert.equal(refused.id, id, JSON.stringify(value));
    }
  });

  it("refuses a batch at its first bad message", () => {
    const refused = refusalOf(`[${request(1)},{"jsonrpc":"2.0","id":2}]`);
    assert.equal(refused.id, 2);
  });
});

describe("readPostMessages: id sizes and unsafe integers", () => {
  it("refuses a request id over maxIdBytes (UTF-8 bytes) without echoing it", () => {
    const refused = refusalOf(request("é".repeat(9))); // 9 characters, 18 bytes
    assert.deepEqual([refused.status, refused.code, refused.id], [400, -32600, null]);
    assert.match(refused.message, /request id longer than 16 bytes/);
    assert.equal(postOf(request("é".repeat(8))).id, "é".repeat(8)); // 16 bytes: taken
  });

  it("refuses a numeric request id beyond ±(2^53 − 1) without echoing it", () => {
    for (const id of ["9007199254740993", "-9007199254740993", "1e300"]) {
      const refused = refusalOf(`{"jsonrpc":"2.0","id":${id},"method":"ping"}`);
      assert.deepEqual([refused.status, refused.id], [400, null], id);
      assert.match(refused.message, /numeric request id must be an integer/);
    }
    assert.equal(postOf(request(Number.MAX_SAFE_INTEGER)).id, Number.MAX_SAFE_INTEGER);
  });

  it("refuses a progress token over maxIdBytes with -32602, carrying the request's id", () => {
    const refused = refusalOf(request(3, { params: { _meta: { progressToken: "t".repeat(17) } } }));
    assert.deepEqual([refused.status, refused.code, refused.id], [400, -32602, 3]);
    assert.match(refused.message, /progress token longer than 16 bytes/);
  });

  it("refuses a reply whose id is over maxIdBytes", () => {
    const refused = refusalOf(JSON.stringify({ jsonrpc: "2.0", id: "r".repeat(17), result: {} }));
    assert.deepEqual([refused.status, refused.code, refused.id], [400, -32600, null]);
    assert.match(refused.message, /response id longer than 16 bytes/);
  });

  it("refuses a cancellation naming a requestId over maxIdBytes with -32602", () => {
    const refused = refusalOf(JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: "c".repeat(17) },
    }));
    assert.deepEqual([refused.status, refused.code, refused.id], [400, -32602, null]);
    assert.match(refused.message, /requestId longer than 16 bytes/);
  });

  it("checks a batch's later messages too", () => {
    const refused = refusalOf(`[${request(1)},${request("x".repeat(17))}]`);
    assert.match(refused.message, /request id longer than 16 bytes/);
  });
});

describe("readPostMessages: the messages of a body that passes", () => {
  it("a single request: its id, and it starts work", () => {
    const read = postOf(request("abc"));
    assert.equal(read.isBatch, false);
    assert.equal(read.startsWork, true);
    assert.equal(read.id, "abc");
    assert.equal(read.messages.length, 1);
    assert.equal(read.messages[0].kind, "request");
    assert.deepEqual(read.values, [JSON.parse(request("abc"))]);
  });

  it("a notification: no id, no work", () => {
    const read = postOf('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    assert.equal(read.messages[0].kind, "notification");
    assert.equal(read.startsWork, false);
    assert.equal(read.id, undefined);
  });

  it("a reply: no id of a request, no work", () => {
    const read = postOf('{"jsonrpc":"2.0","id":5,"result":{}}');
    assert.equal(read.messages[0].kind, "response");
    assert.equal(read.startsWork, false);
    assert.equal(read.id, undefined);
  });

  it("a batch: every message in order, no single id; it starts work when one is a request", () => {
    const read = postOf(`[${request(1)},{"jsonrpc":"2.0","method":"notifications/progress"}]`);
    assert.equal(read.isBatch, true);
    assert.deepEqual(read.messages.map((m) => m.kind), ["request", "notification"]);
    assert.equal(read.id, undefined);
    assert.equal(read.startsWork, true);
    const quiet = postOf('[{"jsonrpc":"2.0","method":"notifications/progress"}]');
    assert.equal(quiet.startsWork, false);
  });
});
