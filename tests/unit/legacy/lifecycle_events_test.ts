/**
 * Heartbeats, runtime list_changed broadcasts, and in-flight work ended by
 * session expiry (sweep and lazy lookup), exercised in-process.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, type McpHandler } from "../../../mod.ts";
import {
  abortReason,
  bodilessRequest,
  initialize as initializeSession,
  makeHandler,
  postRequest,
  readTextUntil,
  until,
} from "../../helpers.ts";
import { blockingTool } from "../../blocking_tool.ts";

// Thin wrappers over the shared helpers, in this file's terms (a session is its id).
const handlerWith = makeHandler;
const waitForAbort = abortReason;

async function initialize(handler: McpHandler): Promise<string> {
  return (await initializeSession(handler)).id;
}

function post(handler: McpHandler, sessionId: string, body: unknown): Promise<Response> {
  return handler(postRequest(body, { sessionId }));
}

function listen(handler: McpHandler, sessionId: string): Promise<Response> {
  return handler(bodilessRequest("GET", { sessionId }));
}

/** Reads an SSE body (comments included) until `done(text)` holds or the deadline passes, then releases it. */
async function readUntil(
  body: ReadableStream<Uint8Array>,
  done: (text: string) => boolean,
  timeoutMs = 3_000,
): Promise<string> {
  const reader = body.getReader();
  try {
    return (await readTextUntil(reader, done, timeoutMs)).text;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

describe("heartbeats", () => {
  it("an idle listening stream carries keepalive comments every heartbeatMs", async () => {
    const handler = handlerWith({ streams: { heartbeatMs: 20 }, tools: [] });
    const sessionId = await initialize(handler);
    const stream = await listen(handler, sessionId);
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get("x-accel-buffering"), "no");
    const text = await readUntil(stream.body!, (t) => t.split(": keepalive").length > 2);
    assert.ok(
      text.split(": keepalive").length > 2,
      `expected two heartbeats, got ${JSON.stringify(text)}`,
    );
    await handler.close();
  });

  it("heartbeatMs 0 sends no heartbeats (a 20 ms control in the same window does)", async () => {
    const silent = handlerWith({ streams: { heartbeatMs: 0 }, tools: [] });
    const control = handlerWith({ streams: { heartbeatMs: 20 }, tools: [] });
    try {
      const silentStream = await listen(silent, await initialize(silent));
      const controlStream = await listen(control, await initialize(control));
      // Both read over the same 150 ms: the control proves the window is long enough to see one.
      const [text, controlText] = await Promise.all([
        readUntil(silentStream.body!, (t) => t.includes("keepalive"), 150),
        readUntil(controlStream.body!, (t) => t.includes("keepalive"), 150),
      ]);
      assert.ok(
        controlText.includes("keepalive"),
        "positive control: a heartbeat fits in the window",
      );
      assert.ok(!text.includes("keepalive"));
    } finally {
      await silent.close();
      await control.close();
    }
  });
});

describe("list_changed at runtime", () => {
  it("adding and removing a tool notifies listening streams, and tools/list reflects it", async () => {
    const handler = handlerWith({ streams: { heartbeatMs: 0 }, tools: [] });
    const sessionId = await initialize(handler);
    const stream = await listen(handler, sessionId);
    handler.tools.add(
      defineTool({ name: "late", description: "added later", handler: () => "hi" }),
    );
    const text = await readUntil(
      stream.body!,
      (t) => t.includes("notifications/tools/list_changed"),
    );
    assert.match(text, /"method":"notifications\/tools\/list_changed"/);

    const list =
      await (await post(handler, sessionId, { jsonrpc: "2.0", id: 1, method: "tools/list" }))
        .json();
    assert.deepEqual(list.result.tools.map((t: { name: string }) => t.name), ["late"]);
    assert.equal(handler.tools.remove("late"), true);
    const after =
      await (await post(handler, sessionId, { jsonrpc: "2.0", id: 2, method: "tools/list" }))
        .json();
    assert.deepEqual(after.result.tools, []);
    await handler.close();
  });

  it("prompt and resource changes send their own list_changed notifications", async () => {
    const handler = handlerWith({ streams: { heartbeatMs: 0 }, prompts: [], resources: [] });
    const sessionId = await initialize(handler);
    const stream = await listen(handler, sessionId);
    handler.prompts.add({ name: "p", handler: () => "x" });
    handler.resources.add({ uri: "demo://r", name: "r", read: () => "x" });
    const text = await readUntil(
      stream.body!,
      (t) => t.includes("prompts/list_changed") && t.includes("resources/list_changed"),
    );
    assert.match(text, /notifications\/prompts\/list_changed/);
    assert.match(text, /notifications\/resources\/list_changed/);
    await handler.close();
  });
});

describe("session expiry ends in-flight work", () => {
  it("the sweep aborts the tools of an expired session", async () => {
    let now = 1_000_000;
    const blocking = blockingTool();
    const handler = handlerWith({
      now: () => now,
      sessions: { idleTtlMs: 1_000, sweepIntervalMs: 10 },
      tools: [blocking.tool],
    });
    const sessionId = await initialize(handler);
    const call = post(handler, sessionId, {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "block" },
    });
    const { signal } = await blocking.call(1);
    assert.equal((await handler.stats()).inFlight, 1);
    now += 1_001;
    assert.equal(await waitForAbort(signal), "session-ended");
    const response = await call;
    // A POST that carried a request is answered with a stream, one without any response.
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(await response.text(), "", "an aborted request gets no JSON-RPC response");
    assert.equal((await handler.stats()).inFlight, 0);
    assert.equal((await handler.stats()).sessions, 0);
    await handler.close();
  });

  it("a request that finds its session expired ends the session's leftover work at once", async () => {
    let now = 1_000_000;
    const blocking = blockingTool();
    const handler = handlerWith({
      now: () => now,
      sessions: { idleTtlMs: 1_000, sweepIntervalMs: 3_600_000 },
      tools: [blocking.tool],
    });
    const sessionId = await initialize(handler);
    const call = post(handler, sessionId, {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "block" },
    });
    const { signal } = await blocking.call(1);
    now += 1_001;
    const late = await post(handler, sessionId, { jsonrpc: "2.0", id: 2, method: "ping" });
    assert.equal(late.status, 404);
    assert.equal(signal.aborted, true);
    await call;
    await handler.close();
  });

  it("a session that expires while its listening stream is open has the stream ended (heartbeats do not hide the expiry)", async () => {
    let now = 1_000_000;
    const handler = handlerWith({
      now: () => now,
      streams: {
        heartbeatMs: 5,
      },
      sessions: { idleTtlMs: 60_000, absoluteTtlMs: 1_000, sweepIntervalMs: 20 },
      tools: [],
    });
    const sessionId = await initialize(handler);
    const stream = await listen(handler, sessionId);
    const reader = stream.body!.getReader();
    await reader.read();
    assert.equal((await handler.stats()).openStreams, 1);
    now += 1_001; // past the absolute TTL: heartbeats keep running, the sweep must still end it
    await until(
      async () => (await handler.stats()).openStreams === 0,
      "the expired session's stream to be ended",
    );
    assert.equal((await handler.stats()).sessions, 0);
    await reader.cancel().catch(() => {});
    await handler.close();
  });

  it("sessions removed to make room at the cap have their leftover work ended too", async () => {
    let now = 1_000_000;
    const blocking = blockingTool();
    const handler = handlerWith({
      now: () => now,
      sessions: { idleTtlMs: 1_000, maxSessions: 1, sweepIntervalMs: 3_600_000 },
      tools: [blocking.tool],
    });
    const first = await initialize(handler);
    void post(handler, first, {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "block" },
    });
    const { signal } = await blocking.call(1);
    now += 1_001;
    await initialize(handler); // the cap is reached: the expired first session makes room
    assert.equal(signal.aborted, true, "the expired session's tool was aborted");
    assert.equal((await handler.stats()).inFlight, 0);
    await handler.close();
  });

  it("handler.close() aborts in-flight tools and later requests get 503", async () => {
    const blocking = blockingTool();
    const handler = handlerWith({ tools: [blocking.tool] });
    const sessionId = await initialize(handler);
    const call = post(handler, sessionId, {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "block" },
    });
    const { signal } = await blocking.call(1);
    await handler.close();
    assert.equal(signal.reason, "server-closed");
    await call;
    const after = await post(handler, sessionId, { jsonrpc: "2.0", id: 2, method: "ping" });
    assert.equal(after.status, 503);
  });

  it("the health path answers 200 while open and 503 once closed", async () => {
    const handler = handlerWith({ http: { healthPath: "/health" }, tools: [] });
    const health = () => handler(new Request("http://127.0.0.1:8787/health"));
    assert.equal((await health()).status, 200);
    await handler.close();
    assert.equal((await health()).status, 503);
  });
});
