/**
 * In-flight work stays reachable and bounded, in-process: a request id still
 * in flight is refused rather than replacing the running request (so DELETE,
 * cancellation and close() still reach it), and a session holds at most
 * `sessions.maxRequestsPerSession` requests at once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, ErrorCode, type McpHandler } from "../../../../mod.ts";
import {
  abortReason,
  bodilessRequest,
  initialize,
  makeHandler,
  notify,
  postRequest,
  rpc,
  type TestSession,
  until,
  within,
} from "../../../helpers.ts";
import { blockingTool } from "../../../blocking_tool.ts";

function callGate(handler: McpHandler, session: TestSession, id: number | string) {
  return rpc(handler, session, "tools/call", { name: "gate" }, { id });
}

describe("a request id still in flight is refused", () => {
  it("a second call with the id of a running call gets -32600 with the id, and only the first runs", async () => {
    const { tool, calls } = blockingTool({ name: "gate" });
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler);
      const first = callGate(handler, session, 1);
      await until(() => calls.length === 1, "the first call to start");
      const second = await within(
        callGate(handler, session, 1),
        2_000,
        "the reused id to be answered",
      );
      assert.equal(second.status, 200);
      assert.match(second.contentType, /^application\/json/);
      assert.equal(second.message.id, 1);
      assert.equal(second.message.error.code, ErrorCode.InvalidRequest);
      assert.match(second.message.error.message, /already in flight/);
      assert.equal(calls.length, 1, "the refused call must not run");
      assert.equal((await handler.stats()).inFlight, 1);
      assert.equal(calls[0].signal.aborted, false, "the first call keeps running");
      calls[0].finish();
      const outcome = await within(first, 2_000, "the first call to finish");
      assert.equal(outcome.message.result.content[0].text, "done");
    } finally {
      await handler.close();
    }
  });

  it("after a refused reuse, notifications/cancelled still reaches the first call", async () => {
    const { tool, calls } = blockingTool({ name: "gate" });
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler);
      const first = callGate(handler, session, "job");
      await until(() => calls.length === 1, "the first call to start");
      assert.equal(
        (await within(callGate(handler, session, "job"), 2_000, "the reuse")).message.error.code,
        ErrorCode.InvalidRequest,
      );
      assert.equal(
        (await notify(handler, session, "notifications/cancelled", { requestId: "job" })).status,
        202,
      );
      assert.equal(await abortReason(calls[0].signal), "cancelled");
      await within(first, 2_000, "the cancelled call to settle");
      assert.equal((await handler.stats()).inFlight, 0);
    } finally {
      await handler.close();
    }
  });

  it("after a refused reuse, DELETE aborts the first call and stats().inFlight follows it", async () => {
    const { tool, calls } = blockingTool({ name: "gate" });
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler);
      const first = callGate(handler, session, 1);
      await until(() => calls.length === 1, "the first call to start");
      await within(callGate(handler, session, 1), 2_000, "the reuse");
      assert.equal((await handler.stats()).inFlight, 1);
      assert.equal(
        (await handler(bodilessRequest("DELETE", { sessionId: session.id }))).status,
        204,
      );
      assert.equal(await abortReason(calls[0].signal), "session-ended");
      await within(first, 2_000, "the first call to settle");
      assert.equal((await handler.stats()).inFlight, 0);
    } finally {
      await handler.close();
    }
  });

  it("after a refused reuse, close() aborts the first call", async () => {
    const { tool, calls } = blockingTool({ name: "gate" });
    const handler = makeHandler({ tools: [tool] });
    const session = await initialize(handler);
    const first = callGate(handler, session, 1);
    await until(() => calls.length === 1, "the first call to start");
    await within(callGate(handler, session, 1), 2_000, "the reuse");
    await handler.close();
    assert.equal(await abortReason(calls[0].signal), "server-closed");
    await within(first, 2_000, "the first call to settle");
  });

  it("a handler that ignores its signal is still counted after DELETE until it returns", async () => {
    const started: (() => void)[] = [];
    const handler = makeHandler({
      tools: [
        defineTool({
          name: "stubborn",
          handler: () => new Promise<string>((resolve) => started.push(() => resolve("late"))),
        }),
      ],
    });
    try {
      const session = await initialize(handler);
      const call = rpc(handler, session, "tools/call", { name: "stubborn" }, { id: 1 });
      await until(() => started.length === 1, "the call to start");
      assert.equal(
        (await handler(bodilessRequest("DELETE", { sessionId: session.id }))).status,
        204,
      );
      assert.equal((await handler.stats()).inFlight, 1, "the running handler is still counted");
      started[0]();
      await within(call, 2_000, "the stubborn call to settle");
      assert.equal((await handler.stats()).inFlight, 0);
    } finally {
      await handler.close();
    }
  });

  it("two requests with the same id in one batch: the second is refused, the first answered", async () => {
    const { tool, calls } = blockingTool({ name: "gate" });
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const batch = [1, 2].map(() => ({
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: { name: "gate" },
      }));
      const pending = handler(
        postRequest(batch, { sessionId: session.id, protocolVersion: session.protocolVersion }),
      );
      await until(() => calls.length >= 1, "the first call to start");
      calls[0].finish();
      const response = await within(pending, 2_000, "the batch to be answered");
      assert.equal(calls.length, 1, "only one call with id 5 ran");
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      const bodies = await response.json();
      assert.equal(bodies.length, 2);
      assert.deepEqual(bodies.map((m: { id: unknown }) => m.id), [5, 5]);
      assert.equal(bodies.filter((m: { result?: unknown }) => m.result !== undefined).length, 1);
      assert.equal(
        bodies.filter((m: { error?: { code: number } }) =>
          m.error?.code === ErrorCode.InvalidRequest
        ).length,
        1,
      );
    } finally {
      await handler.close();
    }
  });
});

describe("sessions.maxRequestsPerSession", () => {
  it("with a cap of 3, three calls run, the fourth is refused with the limit named, and a finished call makes room", async () => {
    const { tool, calls } = blockingTool({ name: "gate" });
    const handler = makeHandler({ tools: [tool], sessions: { maxRequestsPerSession: 3 } });
    try {
      const session = await initialize(handler);
      const running = [1, 2, 3].map((id) => callGate(handler, session, id));
      await until(() => calls.length === 3, "three calls to start");
      const refused = await within(
        callGate(handler, session, 4),
        2_000,
        "the fourth call to be answered",
      );
      assert.equal(refused.status, 200);
      assert.match(refused.contentType, /^application\/json/);
      assert.equal(refused.message.id, 4);
      assert.equal(refused.message.error.code, ErrorCode.TooManyRequests);
      assert.equal(
        refused.message.error.message,
        "Too many concurrent requests in this session (limit 3)",
      );
      assert.equal(calls.length, 3, "the refused call must not run");
      const stats = await handler.stats();
      assert.equal(stats.inFlight, 3);
      assert.equal(stats.refusedAtSessionCap, 1);

      const other = await initialize(handler);
      const elsewhere = callGate(handler, other, 1);
      await until(() => calls.length === 4, "another session's call to start");

      calls[0].finish();
      await within(running[0], 2_000, "the first call to finish");
      const accepted = callGate(handler, session, 5);
      await until(() => calls.length === 5, "a new call to start once there is room");
      for (const call of calls.slice(1)) call.finish();
      await within(Promise.all([...running, accepted, elsewhere]), 2_000, "every call to finish");
      assert.equal((await handler.stats()).inFlight, 0);
    } finally {
      await handler.close();
    }
  });

  it("a 2025-03-26 batch larger than the cap runs what fits and refuses the rest, each by id", async () => {
    const handler = makeHandler({ sessions: { maxRequestsPerSession: 3 } });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const batch = [1, 2, 3, 4, 5].map((id) => ({ jsonrpc: "2.0", id, method: "ping" }));
      const response = await handler(
        postRequest(batch, { sessionId: session.id, protocolVersion: session.protocolVersion }),
      );
      assert.equal(response.status, 200);
      const bodies: { id: number; result?: unknown; error?: { code: number } }[] = await response
        .json();
      assert.deepEqual(bodies.map((m) => m.id).sort(), [1, 2, 3, 4, 5]);
      assert.deepEqual(bodies.filter((m) => m.result !== undefined).map((m) => m.id).sort(), [
        1,
        2,
        3,
      ]);
      assert.deepEqual(
        bodies.filter((m) => m.error?.code === ErrorCode.TooManyRequests).map((m) => m.id).sort(),
        [4, 5],
      );
    } finally {
      await handler.close();
    }
  });

  it("defaults to 64 and refuses a non-positive value", async () => {
    assert.throws(() => makeHandler({ sessions: { maxRequestsPerSession: 0 } }), RangeError);
    const { tool, calls } = blockingTool({ name: "gate" });
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler);
      const running = Array.from({ length: 64 }, (_, i) => callGate(handler, session, i));
      await until(() => calls.length === 64, "64 calls to start");
      const refused = await within(
        callGate(handler, session, 64),
        2_000,
        "the 65th call to be answered",
      );
      assert.match(refused.message.error.message, /\(limit 64\)/);
      for (const call of calls) call.finish();
      await within(Promise.all(running), 2_000, "every call to finish");
    } finally {
      await handler.close();
    }
  });
});
