/**
 * close({ graceMs }): stops accepting at once (503, health 503), ends
 * listening streams, lets work in flight finish within the grace, then
 * aborts what is left, waits a bounded moment more and reports what still
 * runs; it resolves within that bound even when a tool ignores its signal.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../mod.ts";
import {
  assertHttpError,
  bodilessRequest,
  deferred,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  readAnswer,
  readTextUntil,
  until,
  within,
} from "./helpers.ts";

describe("close({ graceMs })", () => {
  it("work that finishes within the grace is answered normally; new requests and health get 503", async () => {
    const release = deferred();
    const handler = makeHandler({
      healthPath: "/health",
      tools: [defineTool({
        name: "finish",
        handler: async () => {
          await release.promise;
          return "finished in time";
        },
      })],
    });
    const session = await initialize(handler);
    const call = handler(postRequest(
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "finish" } },
      { sessionId: session.id, protocolVersion: session.protocolVersion },
    ));
    await until(async () => (await handler.stats()).inFlight === 1, "the call to start");
    const closing = handler.close({ graceMs: 5_000 });
    await assertHttpError(await handler(postRequest(initializeMessage())), 503);
    const health = await handler(new Request("http://127.0.0.1:8787/health"));
    assert.equal(health.status, 503);
    await health.body?.cancel();
    release.resolve();
    const answer = await readAnswer(await within(call, 5_000, "the call's answer"));
    assert.equal(answer.message.result.content[0].text, "finished in time");
    await within(closing, 5_000, "close to resolve once the work is done");
  });

  it("a tool that ignores its signal is aborted after the grace and reported; close resolves within the bound", async () => {
    const errors: unknown[] = [];
    const never = deferred();
    let aborted = false;
    const handler = makeHandler({
      onError: (error) => errors.push(error),
      tools: [defineTool({
        name: "stubborn",
        handler: async (_input, ctx) => {
          ctx.signal.addEventListener("abort", () => (aborted = true));
          await never.promise; // ignores its signal
          return "never";
        },
      })],
    });
    try {
      const session = await initialize(handler);
      const call = handler(postRequest(
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "stubborn" } },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      call.catch(() => {});
      await until(async () => (await handler.stats()).inFlight === 1, "the call to start");
      // The bound is graceMs + 1 s; the deadline below is generous on a shared machine.
      await within(
        handler.close({ graceMs: 200 }),
        6_000,
        "close() despite a tool that ignores its signal",
      );
      assert.equal(aborted, true, "the work was aborted after the grace");
      assert.ok(
        errors.some((error) => /still running/.test(String(error))),
        "what still runs is reported",
      );
    } finally {
      never.resolve();
    }
  });

  it("listening streams end at once; close() without options still aborts at once", async () => {
    const handler = makeHandler({ heartbeatMs: 0 });
    const session = await initialize(handler);
    const stream = await handler(
      bodilessRequest("GET", { sessionId: session.id, protocolVersion: session.protocolVersion }),
    );
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    const closing = handler.close({ graceMs: 10_000 });
    const { ended } = await readTextUntil(reader, () => false, 2_000);
    assert.equal(ended, true, "the listening stream ended without waiting for the grace");
    await within(closing, 2_000, "nothing runs: close resolves at once");
    const other = makeHandler();
    await assert.rejects(other.close({ graceMs: -1 }), RangeError);
    await other.close();
  });
});
