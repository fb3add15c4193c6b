/**
 * One 2026-07-28 request (src/client/modern_request.ts): the envelope written
 * into `params._meta` beside the caller's own keys, the routing headers
 * (`mcp-method`, `mcp-name` for methods with a target), `retryParams`, and
 * `exchangeModern` reading a JSON answer or an SSE stream up to the answer
 * (notifications before it to `onNotification`), with `NotAnAnswer` for the
 * rest; `readEvents` stopping when told to.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  exchangeModern,
  modernEnvelope,
  modernHeaders,
  modernMessage,
  type ModernPost,
  type ModernRequest,
  NotAnAnswer,
  readEvents,
  retryParams,
} from "../../../src/client/modern_request.ts";
import type { JsonRpcNotification } from "../../../src/jsonrpc/messages.ts";

const P = "io.modelcontextprotocol/";
const clientInfo = { name: "unit", version: "0.1" };
const capabilities = { sampling: {} };

const call = (params: Record<string, unknown> = { name: "echo" }): ModernRequest => ({
  id: 9,
  method: "tools/call",
  params,
  capabilities,
  clientInfo,
});
const sse = (messages: unknown[]) =>
  new Response(messages.map((m) => `data: ${JSON.stringify(m)}\n\n`).join(""), {
    headers: { "content-type": "text/event-stream" },
  });
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const note = (n: number) => ({ jsonrpc: "2.0", method: "notifications/progress", params: { n } });

/** A post answering `response`, recording what it was given. */
function poster(response: () => Response) {
  const posts: { body: string; headers: Record<string, string>; signal: AbortSignal }[] = [];
  const post: ModernPost = (body, headers, signal) => {
    posts.push({ body, headers, signal });
    return Promise.resolve(response());
  };
  return { post, posts };
}

describe("modernMessage, modernEnvelope, modernHeaders", () => {
  it("writes the envelope into params._meta, keeping the caller's keys and params", () => {
    const { body, headers } = modernMessage({
      ...call({ name: "echo", arguments: { a: 1 }, _meta: { mine: "kept" } }),
      logLevel: "debug",
    });
    assert.deepEqual(JSON.parse(body), {
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: {
        name: "echo",
        arguments: { a: 1 },
        _meta: {
          mine: "kept",
          [`${P}protocolVersion`]: "2026-07-28",
          [`${P}clientCapabilities`]: capabilities,
          [`${P}clientInfo`]: clientInfo,
          [`${P}logLevel`]: "debug",
        },
      },
    });
    assert.deepEqual(headers, {
      "accept": "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "echo",
    });
  });

  it("writes no log level when none is asked", () => {
    const meta = JSON.parse(modernMessage(call()).body).params._meta;
    assert.deepEqual(Object.keys(meta).sort(), [
      `${P}clientCapabilities`,
      `${P}clientInfo`,
      `${P}protocolVersion`,
    ]);
  });

  it("modernEnvelope keeps a plain-object meta, ignores anything else, and writes over old keys", () => {
    const sender = { capabilities: {}, clientInfo };
    assert.equal(modernEnvelope({ a: 1 }, sender).a, 1);
    assert.equal(Object.keys(modernEnvelope("junk", sender)).length, 3);
    const over = modernEnvelope({ [`${P}protocolVersion`]: "2025-11-25" }, sender);
    assert.equal(over[`${P}protocolVersion`], "2026-07-28");
  });

  it("names the target of tools/call and resources/read, and of nothing for tools/list", () => {
    assert.equal(modernHeaders("tools/call", { name: "echo" })["mcp-name"], "echo");
    assert.equal(modernHeaders("resources/read", { uri: "file:///a" })["mcp-name"], "file:///a");
    assert.equal(modernHeaders("prompts/get", { name: "p" })["mcp-name"], "p");
    const list = modernHeaders("tools/list", { name: "ignored" });
    assert.equal(list["mcp-method"], "tools/list");
    assert.equal("mcp-name" in list, false);
    assert.equal("mcp-name" in modernHeaders("tools/call", { name: 3 }), false);
  });

  it("encodes a name that is not header-safe", () => {
    assert.equal(modernHeaders("tools/call", { name: "hé" })["mcp-name"], "=?base64?aMOp?=");
  });
});

describe("retryParams", () => {
  it("echoes a string requestState with the answers, and nothing else", () => {
    const answers = { q: { action: "accept" } };
    assert.deepEqual(retryParams({ requestState: "s1", other: 1 }, answers), {
      inputResponses: answers,
      requestState: "s1",
    });
    assert.deepEqual(retryParams({ requestState: 42 }, answers), { inputResponses: answers });
    assert.deepEqual(retryParams({}, answers), { inputResponses: answers });
  });
});

describe("exchangeModern", () => {
  it("posts the message and returns a JSON answer (a result or an error)", async () => {
    const { post, posts } = poster(() => json({ jsonrpc: "2.0", id: 9, result: { ok: 1 } }));
    const signal = new AbortController().signal;
    assert.deepEqual(await exchangeModern(post, call(), signal), { id: 9, result: { ok: 1 } });
    assert.deepEqual(posts[0].body, modernMessage(call()).body);
    assert.deepEqual(posts[0].headers, modernMessage(call()).headers);
    assert.equal(posts[0].signal, signal);
    const error = { code: -32602, message: "Unknown tool", data: { t: 1 } };
    const failing = poster(() => json({ jsonrpc: "2.0", id: 9, error }, 400));
    assert.deepEqual(await exchangeModern(failing.post, call(), signal), { id: 9, error });
  });

  it("gives an SSE stream's notifications before the answer to onNotification", async () => {
    const answer = { jsonrpc: "2.0", id: 9, result: { done: true } };
    const asks = { jsonrpc: "2.0", id: "s", method: "sampling/createMessage", params: {} };
    const other = { jsonrpc: "2.0", id: 8, result: {} };
    const { post } = poster(() => sse([note(1), asks, other, note(2), answer, note(3)]));
    const seen: JsonRpcNotification[] = [];
    const got = await exchangeModern(post, call(), new AbortController().signal, (n) => {
      seen.push(n);
    });
    assert.deepEqual(got, { id: 9, result: { done: true } });
    assert.deepEqual(seen, [note(1), note(2)]);
  });

  it("throws NotAnAnswer with the status for a body that is not JSON", async () => {
    const { post } = poster(() => new Response("Bad gateway", { status: 502 }));
    await assert.rejects(
      exchangeModern(post, call(), new AbortController().signal),
      (e: unknown) => e instanceof NotAnAnswer && e.status === 502,
    );
  });

  it("throws NotAnAnswer for JSON that does not answer the request", async () => {
    for (const body of [{ jsonrpc: "2.0", id: 8, result: {} }, { jsonrpc: "2.0", id: 9 }]) {
      const { post } = poster(() => json(body));
      await assert.rejects(
        exchangeModern(post, call(), new AbortController().signal),
        (e: unknown) => e instanceof NotAnAnswer && e.status === 200,
      );
    }
  });

  it("throws NotAnAnswer for a stream that ends without the answer", async () => {
    const { post } = poster(() => sse([note(1)]));
    await assert.rejects(
      exchangeModern(post, call(), new AbortController().signal),
      (e: unknown) => e instanceof NotAnAnswer && e.status === 200,
    );
  });

  it("fails with the signal's reason when it aborts a stream still open", async () => {
    const controller = new AbortController();
    const open = new ReadableStream<Uint8Array>({
      start(stream) {
        stream.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(note(1))}\n\n`));
      },
    });
    const { post } = poster(() =>
      new Response(open, { headers: { "content-type": "text/event-stream" } })
    );
    const reason = new Error("enough");
    const done = exchangeModern(post, call(), controller.signal, () => controller.abort(reason));
    await assert.rejects(done, (e: unknown) => e === reason);
  });
});

describe("readEvents", () => {
  it("gives each JSON event to onMessage until it returns true, then cancels the body", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        const encoder = new TextEncoder();
        stream.enqueue(encoder.encode('data: 1\n\ndata: not json\n\n: note\n\ndata: {"b":2}\n\n'));
        stream.enqueue(encoder.encode("data: 3\n\n"));
        stream.close();
      },
      cancel() {
        cancelled = true;
      },
    });
    const seen: unknown[] = [];
    await readEvents(body, (message) => (seen.push(message), seen.length === 2));
    assert.deepEqual(seen, [1, { b: 2 }]);
    assert.equal(cancelled, true);
  });

  it("reads to the end of the body when onMessage never returns true", async () => {
    const seen: unknown[] = [];
    await readEvents(sse([1, 2, 3]).body!, (message) => (seen.push(message), false));
    assert.deepEqual(seen, [1, 2, 3]);
  });
});
