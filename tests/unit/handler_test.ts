/**
 * `createMcpHandler()` end to end in process: option validation, batches per
 * negotiated version, response modes (JSON, SSE, priming events),
 * cancellation scoped to the session, and `close()`.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createMcpHandler,
  defineTool,
  type McpHandler,
  type McpHandlerOptions,
} from "../../mod.ts";
import {
  assertHttpError,
  bodilessRequest,
  deferred,
  initialize,
  initializeMessage,
  makeHandler,
  notify,
  postRequest,
  readAnswer,
  rpc,
  stateOf,
  type TestSession,
  within,
} from "../helpers.ts";
import { blockingTool } from "../blocking_tool.ts";

function batch(handler: McpHandler, session: TestSession, messages: unknown[]): Promise<Response> {
  return handler(postRequest(messages, { sessionId: session.id, headers: session.headers }));
}

describe("options", () => {
  it("a missing name or version throws at creation", () => {
    assert.throws(() => createMcpHandler({ name: "", version: "1" }), TypeError);
    assert.throws(() => createMcpHandler({ name: "x", version: "" }), TypeError);
  });

  it("an out-of-range option throws a RangeError naming it", () => {
    assert.throws(
      () => createMcpHandler({ name: "x", version: "1", http: { maxBodyBytes: 0 } }),
      /maxBodyBytes/,
    );
    assert.throws(
      () => createMcpHandler({ name: "x", version: "1", sessions: { idleTtlMs: -1 } }),
      /sessions\.idleTtlMs/,
    );
    assert.throws(
      () =>
        createMcpHandler({ name: "x", version: "1", streams: { responseMode: "xml" as "json" } }),
      RangeError,
    );
  });

  it("a delay a timer would wait must fit a timer: Infinity or a month is refused, not a 1 ms loop", async () => {
    const make = (options: Partial<McpHandlerOptions>) => () =>
      createMcpHandler({ name: "x", version: "1", ...options });
    assert.throws(make({ sessions: { sweepIntervalMs: Infinity } }), /sessions\.sweepIntervalMs/);
    assert.throws(
      make({ http: { bodyTimeoutMs: 2 ** 31 } }),
      /bodyTimeoutMs must be at most 2147483647/,
    );
    assert.throws(make({ streams: { heartbeatMs: Infinity } }), /heartbeatMs/);
    assert.throws(make({ streams: { orphanTimeoutMs: 40 * 24 * 3_600_000 } }), /orphanTimeoutMs/);
    assert.throws(
      make({ streams: { clientRequestTimeoutMs: Infinity } }),
      /clientRequestTimeoutMs/,
    );
    // Positive controls: the largest timer delay, zero where it means "off", and lifetimes
    // (compared with the clock, never waited on by a timer) may still be unbounded.
    for (
      const options of [
        { http: { bodyTimeoutMs: 2 ** 31 - 1 } },
        { streams: { heartbeatMs: 0 } },
        { sessions: { idleTtlMs: Infinity, absoluteTtlMs: Infinity } },
      ]
    ) await make(options)().close();
  });

  it("limits are whole numbers or Infinity; values sent to clients as digits are whole", async () => {
    const make = (options: Partial<McpHandlerOptions>) => () =>
      createMcpHandler({ name: "x", version: "1", ...options });
    assert.throws(
      make({ sessions: { maxSessions: 2.5 } }),
      /sessions\.maxSessions must be a whole/,
    );
    assert.throws(make({ limits: { maxConcurrentRequests: 1.5 } }), /maxConcurrentRequests/);
    assert.throws(make({ http: { maxBodyBytes: 1024.5 } }), /maxBodyBytes/);
    assert.throws(make({ streams: { retryMs: 1.5 } }), /retryMs must be a finite whole number/);
    assert.throws(make({ streams: { retryMs: Infinity } }), /retryMs/);
    assert.throws(make({ sessions: { retryAfterSeconds: 0.5 } }), /sessions\.retryAfterSeconds/);
    for (
      const options of [
        { limits: { maxConcurrentRequests: Infinity } },
        { sessions: { maxSessions: Infinity } },
        { streams: { retryMs: 0 } },
      ]
    ) await make(options)().close();
  });

  it("close() refuses a grace a timer cannot wait", async () => {
    const handler = createMcpHandler({ name: "x", version: "1" });
    await assert.rejects(handler.close({ graceMs: 2 ** 31 }), /graceMs/);
    await assert.rejects(handler.close({ graceMs: Infinity }), /graceMs/);
    await handler.close({ graceMs: 0 });
  });
});

describe("batches", () => {
  it("are answered with an array of responses for a session negotiated at 2025-03-26", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      assert.equal(session.protocolVersion, "2025-03-26");
      const response = await batch(handler, session, [
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: "two", method: "no/such" },
      ]);
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.ok(Array.isArray(body), "a batch gets an array");
      assert.equal(body.length, 2);
      // deno-lint-ignore no-explicit-any
      const byId = new Map<unknown, any>(body.map((m: { id: unknown }) => [m.id, m]));
      assert.deepEqual(byId.get(1), { jsonrpc: "2.0", id: 1, result: {} });
      assert.equal(byId.get("two").error.code, -32601);
    } finally {
      await handler.close();
    }
  });

  it("a batch with one request still gets an array", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const body =
        await (await batch(handler, session, [{ jsonrpc: "2.0", id: 9, method: "ping" }])).json();
      assert.deepEqual(body, [{ jsonrpc: "2.0", id: 9, result: {} }]);
    } finally {
      await handler.close();
    }
  });

  it("a batch of 100 messages is served and one of 101 is refused with 400 before anything runs", async () => {
    let calls = 0;
    const handler = makeHandler({
      tools: [{ name: "count", description: "counts calls", handler: () => String(++calls) }],
      // The default allows 64 requests of a session in flight; a full batch needs 100.
      sessions: { maxRequestsPerSession: 100 },
    });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const call = (id: number) => ({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "count" },
      });
      const ok = await batch(handler, session, Array.from({ length: 100 }, (_, i) => call(i)));
      assert.equal((await ok.json()).length, 100);
      assert.equal(calls, 100);
      const refused = await batch(
        handler,
        session,
        Array.from({ length: 101 }, (_, i) => call(1000 + i)),
      );
      assert.equal(refused.status, 400);
      const body = await refused.json();
      assert.equal(body.error.code, -32600);
      assert.match(body.error.message, /at most 100/);
      assert.equal(calls, 100, "no request of the refused batch ran");
    } finally {
      await handler.close();
    }
  });

  it("a notifications-only batch answers 202 with no body", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const response = await batch(handler, session, [
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", method: "notifications/roots/list_changed" },
      ]);
      assert.equal(response.status, 202);
      assert.equal(await response.text(), "");
    } finally {
      await handler.close();
    }
  });

  it("answer 400 for a session negotiated at 2025-06-18", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler, { protocolVersion: "2025-06-18" });
      const response = await batch(handler, session, [{ jsonrpc: "2.0", id: 1, method: "ping" }]);
      await assertHttpError(response, 400, { code: -32600, message: /batch/ });
    } finally {
      await handler.close();
    }
  });

  it("answer 400 for a session negotiated at 2025-11-25", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      await assertHttpError(
        await batch(handler, session, [{ jsonrpc: "2.0", method: "notifications/initialized" }]),
        400,
      );
    } finally {
      await handler.close();
    }
  });

  it("initialize inside a batch answers 400 and creates no session", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest([initializeMessage("2025-03-26")]));
      assert.equal(response.headers.get("mcp-session-id"), null);
      await assertHttpError(response, 400, { message: /initialize/ });
      assert.equal((await handler.stats()).sessions, 0);
    } finally {
      await handler.close();
    }
  });
});

describe("initialize", () => {
  it("invalid initialize params answer 400 with -32602 and create no session", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest({ jsonrpc: "2.0", id: 3, method: "initialize", params: { capabilities: {} } }),
      );
      assert.equal(response.status, 400);
      assert.equal(response.headers.get("mcp-session-id"), null);
      const body = await response.json();
      assert.equal(body.id, 3);
      assert.equal(body.error.code, -32602);
      assert.equal((await handler.stats()).sessions, 0);
    } finally {
      await handler.close();
    }
  });

  it("oversized client metadata answers 400 -32602", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(initializeMessage("2025-11-25", { experimental: { pad: "x".repeat(10_000) } })),
      );
      await assertHttpError(response, 400, { code: -32602, id: 0 });
    } finally {
      await handler.close();
    }
  });
});

const progressTool = defineTool({
  name: "slow",
  handler: async (_input, ctx) => {
    await ctx.progress(1, 2, "half");
    await ctx.progress(2, 2);
    return "finished";
  },
});

describe("response modes", () => {
  it("auto: a handler that emits nothing is answered with JSON", async () => {
    const handler = makeHandler({ tools: [progressTool] });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "tools/call", { name: "slow" });
      assert.match(outcome.contentType, /^application\/json/);
      assert.equal(outcome.message.result.content[0].text, "finished");
    } finally {
      await handler.close();
    }
  });

  it("auto: progress switches the answer to SSE with the notifications before the response", async () => {
    const handler = makeHandler({ tools: [progressTool] });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "tools/call", {
        name: "slow",
        _meta: { progressToken: "tok" },
      }, { id: 77 });
      assert.match(outcome.contentType, /^text\/event-stream/);
      assert.equal(outcome.response.headers.get("cache-control"), "no-cache, no-transform");
      assert.equal(outcome.response.headers.get("x-accel-buffering"), "no");
      const methods = outcome.messages.map((m) => m.method ?? `response:${m.id}`);
      assert.deepEqual(methods, [
        "notifications/progress",
        "notifications/progress",
        "response:77",
      ]);
      assert.deepEqual(outcome.messages[0].params, {
        progressToken: "tok",
        progress: 1,
        total: 2,
        message: "half",
      });
      assert.equal(outcome.message.result.content[0].text, "finished");
    } finally {
      await handler.close();
    }
  });

  it('"json" forces JSON even when progress is emitted', async () => {
    const handler = makeHandler({ tools: [progressTool], streams: { responseMode: "json" } });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "tools/call", {
        name: "slow",
        _meta: { progressToken: "tok" },
      });
      assert.equal(outcome.status, 200);
      assert.match(outcome.contentType, /^application\/json/);
      assert.equal(outcome.messages.length, 1);
      assert.equal(outcome.message.result.content[0].text, "finished");
    } finally {
      await handler.close();
    }
  });

  it('"sse" forces SSE with a priming event (id + empty data + retry) for 2025-11-25 sessions', async () => {
    const handler = makeHandler({ streams: { responseMode: "sse", retryMs: 2500 } });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "ping", undefined, { id: 5 });
      assert.match(outcome.contentType, /^text\/event-stream/);
      const [priming, ...rest] = outcome.events;
      assert.ok(priming.id !== undefined && priming.id !== "", "the priming event has an id");
      assert.equal(priming.data, "");
      assert.equal(priming.retry, 2500);
      assert.equal(rest.length, 1);
      assert.ok(
        rest[0].id !== undefined && rest[0].id !== priming.id,
        "the response event has its own id",
      );
      assert.deepEqual(JSON.parse(rest[0].data!), { jsonrpc: "2.0", id: 5, result: {} });
    } finally {
      await handler.close();
    }
  });

  it('"sse" sends no priming event for 2025-06-18 sessions', async () => {
    const handler = makeHandler({ streams: { responseMode: "sse" } });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-06-18" });
      const outcome = await rpc(handler, session, "ping", undefined, { id: 6 });
      assert.match(outcome.contentType, /^text\/event-stream/);
      assert.equal(outcome.events.length, 1);
      assert.equal(outcome.events[0].retry, undefined);
      assert.deepEqual(JSON.parse(outcome.events[0].data!), { jsonrpc: "2.0", id: 6, result: {} });
    } finally {
      await handler.close();
    }
  });

  it("event ids are unique across the streams of one session", async () => {
    const handler = makeHandler({ streams: { responseMode: "sse" } });
    try {
      const session = await initialize(handler);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        for (const event of (await rpc(handler, session, "ping")).events) ids.push(event.id!);
      }
      assert.equal(ids.length, 6);
      assert.equal(new Set(ids).size, 6);
    } finally {
      await handler.close();
    }
  });

  it("initialize is answered with JSON even in sse mode", async () => {
    const handler = makeHandler({ streams: { responseMode: "sse" } });
    try {
      const response = await handler(postRequest(initializeMessage()));
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    } finally {
      await handler.close();
    }
  });
});

describe("cancellation", () => {
  it("notifications/cancelled aborts the tool's signal, and the cancelled request gets no JSON-RPC response", async () => {
    const { tool, started, aborted } = blockingTool();
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler);
      const pending = rpc(handler, session, "tools/call", { name: "block" }, { id: 10 });
      await within(started, 2000, "the tool to start");
      const cancel = await notify(handler, session, "notifications/cancelled", {
        requestId: 10,
        reason: "user",
      });
      assert.equal(cancel.status, 202);
      assert.equal(await within(aborted, 2000, "the tool's signal to abort"), "cancelled");
      const outcome = await within(pending, 2000, "the cancelled request to settle");
      assert.equal(
        outcome.messages.some((m) => m.id === 10),
        false,
        "a cancelled request must not be answered",
      );
    } finally {
      await handler.close();
    }
  });

  it("another session cannot cancel a request, even with the same request id", async () => {
    const { tool, started, aborted } = blockingTool();
    const handler = makeHandler({ tools: [tool] });
    try {
      const a = await initialize(handler);
      const b = await initialize(handler);
      const pending = rpc(handler, a, "tools/call", { name: "block" }, { id: 11 });
      await within(started, 2000, "the tool to start");
      assert.equal(
        (await notify(handler, b, "notifications/cancelled", { requestId: 11 })).status,
        202,
      );
      assert.equal(await stateOf(aborted), "pending", "B's cancel must not reach A's request");
      assert.equal((await handler.stats()).inFlight, 1);
      await notify(handler, a, "notifications/cancelled", { requestId: 11 });
      assert.equal(await within(aborted, 2000, "the tool's signal to abort"), "cancelled");
      await within(pending, 2000, "the request to settle");
    } finally {
      await handler.close();
    }
  });

  it("DELETE of the session aborts its in-flight work", async () => {
    const { tool, started, aborted } = blockingTool();
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler);
      const pending = rpc(handler, session, "tools/call", { name: "block" });
      await within(started, 2000, "the tool to start");
      assert.equal(
        (await handler(bodilessRequest("DELETE", { sessionId: session.id }))).status,
        204,
      );
      assert.equal(await within(aborted, 2000, "the tool's signal to abort"), "session-ended");
      await within(pending, 2000, "the request to settle");
      assert.equal((await handler.stats()).inFlight, 0);
    } finally {
      await handler.close();
    }
  });
});

describe("close()", () => {
  it("aborts an in-flight tool's signal", async () => {
    const { tool, started, aborted } = blockingTool();
    const handler = makeHandler({ tools: [tool] });
    const session = await initialize(handler);
    const pending = rpc(handler, session, "tools/call", { name: "block" });
    await within(started, 2000, "the tool to start");
    await handler.close();
    assert.equal(await within(aborted, 2000, "the tool's signal to abort"), "server-closed");
    // The request settles instead of hanging.
    assert.equal(await stateOf(pending), "settled");
  });

  it("ends an open SSE answer", async () => {
    const gate = deferred();
    const handler = makeHandler({
      streams: {
        responseMode: "sse",
      },
      tools: [defineTool({ name: "wait", handler: async () => (await gate.promise, "late") })],
    });
    const session = await initialize(handler);
    const response = await handler(
      postRequest({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "wait" } }, {
        sessionId: session.id,
      }),
    );
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    await handler.close();
    const outcome = await within(readAnswer(response), 2000, "close() to end the SSE answer");
    assert.equal(outcome.messages.some((m) => m.id === 1), false);
    gate.resolve();
  });

  it("later requests answer 503", async () => {
    const handler = makeHandler();
    const session = await initialize(handler);
    await handler.close();
    await assertHttpError(await handler(postRequest(initializeMessage())), 503);
    await assertHttpError(
      await handler(
        postRequest({ jsonrpc: "2.0", id: 1, method: "ping" }, { sessionId: session.id }),
      ),
      503,
    );
    await assertHttpError(await handler(bodilessRequest("GET", { sessionId: session.id })), 503);
    await assertHttpError(await handler(bodilessRequest("DELETE", { sessionId: session.id })), 503);
    await handler.close(); // idempotent
  });
});
