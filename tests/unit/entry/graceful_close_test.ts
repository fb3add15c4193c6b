/**
 * close({ graceMs }): stops accepting at once (503 + Retry-After, health
 * 503), ends listening streams, lets work in flight of both eras finish
 * within the grace (its streams keep going, replies and cancellations still
 * reach it), then aborts what is left, waits a bounded moment more and
 * reports what still runs; it resolves within that bound even when a tool
 * ignores its signal. close() without options still aborts at once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../mod.ts";
import { MemoryEventLog } from "../../../src/storage/mod.ts";
import { Faults, faulty } from "../../faulty_storage.ts";
import {
  abortReason,
  assertHttpError,
  bodilessRequest,
  deferred,
  initialize,
  initializeMessage,
  makeHandler,
  messagesOf,
  notify,
  postRequest,
  readAnswer,
  readSseUntil,
  readTextUntil,
  stateOf,
  until,
  VirtualScheduler,
  within,
} from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";

/** A tool that waits for `release` and then answers `text`. */
function waitingTool(name: string, release: Promise<void>, text: string) {
  return defineTool({
    name,
    handler: async () => {
      await release;
      return text;
    },
  });
}

describe("close({ graceMs })", () => {
  it("work of both eras that finishes within the grace is answered normally; new requests and health get 503", async () => {
    const release = deferred();
    const handler = makeHandler({
      http: {
        healthPath: "/health",
      },
      tools: [waitingTool("finish", release.promise, "finished in time")],
    });
    const session = await initialize(handler);
    const sessionful = handler(postRequest(
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "finish" } },
      { sessionId: session.id, protocolVersion: session.protocolVersion },
    ));
    const stateless = handler(modernRequest("tools/call", { name: "finish", arguments: {} }));
    await until(async () => (await handler.stats()).inFlight === 2, "both calls to start");

    const closing = handler.close({ graceMs: 5_000 });
    const refused = await handler(postRequest(initializeMessage()));
    assert.equal(refused.headers.get("retry-after"), "1");
    await assertHttpError(refused, 503);
    const later = await handler(postRequest(
      { jsonrpc: "2.0", id: 9, method: "tools/list" },
      { sessionId: session.id, protocolVersion: session.protocolVersion },
    ));
    await assertHttpError(later, 503, { message: /shutting down/ });
    const health = await handler(new Request("http://127.0.0.1:8787/health"));
    assert.equal(health.status, 503);
    await health.body?.cancel();

    release.resolve();
    const first = await readAnswer(await within(sessionful, 5_000, "the sessionful answer"));
    assert.equal(first.message.result.content[0].text, "finished in time");
    const second = await readAnswer(await within(stateless, 5_000, "the 2026-07-28 answer"));
    assert.equal(second.message.result.content[0].text, "finished in time");
    await within(closing, 5_000, "close to resolve once the work is done");
  });

  it("a running call's stream keeps going during the grace", async () => {
    const step = deferred();
    const finish = deferred();
    const handler = makeHandler({
      streams: {
        responseMode: "sse",
        heartbeatMs: 0,
      },
      tools: [defineTool({
        name: "steps",
        handler: async (_input, ctx) => {
          await step.promise;
          await ctx.progress(1, 2, "during the grace");
          await finish.promise;
          return "all steps";
        },
      })],
    });
    const session = await initialize(handler);
    const response = await within(
      handler(postRequest(
        {
          jsonrpc: "2.0",
          id: 4,
          method: "tools/call",
          params: { name: "steps", _meta: { progressToken: "p" } },
        },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      )),
      5_000,
      "the stream to open",
    );
    const reader = response.body!.getReader();
    const closing = handler.close({ graceMs: 5_000 });
    step.resolve();
    const progress = await readSseUntil(
      reader,
      (events) => messagesOf(events).some((m) => m.method === "notifications/progress"),
      5_000,
    );
    assert.equal(progress.ended, false, "the stream is still open after the progress");
    finish.resolve();
    const rest = await readSseUntil(
      reader,
      (events) => messagesOf(events).some((m) => m.id === 4),
      5_000,
    );
    assert.equal(
      messagesOf(rest.events).find((m) => m.id === 4).result.content[0].text,
      "all steps",
    );
    await within(closing, 5_000, "close once the call is done");
  });

  it("the grace lasts until a finished call's answer is logged and written, however slow the log", async () => {
    const finish = deferred();
    // The log takes the answer at once but acknowledges it only when the test says so: a slow
    // store held by a latch, for as long as the test needs, not a delay one hopes is long enough.
    const faults = new Faults();
    const handler = makeHandler({
      streams: {
        responseMode: "sse",
        heartbeatMs: 0,
        eventLog: faulty(new MemoryEventLog(), faults),
      },
      tools: [waitingTool("slow-log", finish.promise, "logged")],
    });
    const session = await initialize(handler);
    const response = await within(
      handler(postRequest(
        { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "slow-log" } },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      )),
      5_000,
      "the stream to open",
    );
    const reader = response.body!.getReader();
    faults.set("append", "late");
    faults.set("appendMany", "late");
    const closing = handler.close({ graceMs: 5_000 });
    finish.resolve(); // the handler returns at once; its answer is still being logged
    await until(() => faults.heldCount > 0, "the answer's log write to be held");
    assert.equal(await stateOf(closing), "pending", "close() waits for the answer's write");
    faults.release();
    const read = await readSseUntil(
      reader,
      (events) => messagesOf(events).some((m) => m.id === 7),
      5_000,
    );
    assert.equal(
      messagesOf(read.events).find((m) => m.id === 7)?.result.content[0].text,
      "logged",
      "the answer reached the client before close() ended its stream",
    );
    await within(closing, 5_000, "close once the answer is written");
  });

  it("a cancellation posted during the grace still reaches the call", async () => {
    let reason: Promise<unknown> | undefined;
    const handler = makeHandler({
      tools: [defineTool({
        name: "wait",
        handler: async (_input, ctx) => {
          reason = abortReason(ctx.signal, 10_000);
          await reason;
          return "stopped";
        },
      })],
    });
    const session = await initialize(handler);
    const call = handler(postRequest(
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "wait" } },
      { sessionId: session.id, protocolVersion: session.protocolVersion },
    ));
    void call.then((response) => response.body?.cancel(), () => {});
    await until(() => reason !== undefined, "the call to start");
    const closing = handler.close({ graceMs: 10_000 });
    const cancel = await notify(handler, session, "notifications/cancelled", { requestId: 3 });
    assert.equal(cancel.status, 202);
    assert.equal(await reason, "cancelled", "the client's cancellation, not the shutdown");
    await within(closing, 5_000, "close as soon as the cancelled call returned");
  });

  it("a tool that ignores its signal is aborted after the grace and reported; close resolves within the bound", async () => {
    const errors: unknown[] = [];
    const never = deferred();
    const reasons: unknown[] = [];
    const stubborn = defineTool({
      name: "stubborn",
      handler: async (_input, ctx) => {
        ctx.signal.addEventListener("abort", () => reasons.push(ctx.signal.reason));
        await never.promise; // ignores its signal
        return "never";
      },
    });
    // The grace and the wait for aborted work elapse on this clock, not in real time.
    const scheduler = new VirtualScheduler();
    const handler = makeHandler({
      scheduler,
      observe: { onError: (error) => errors.push(error) },
      tools: [stubborn],
    });
    try {
      const session = await initialize(handler);
      const sessionful = handler(postRequest(
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "stubborn" } },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      const stateless = handler(
        modernRequest("tools/call", { name: "stubborn", arguments: {} }, { id: "m-1" }),
      );
      // In a session a client that hangs up does not cancel; in 2026-07-28 it would, so that body stays open.
      void sessionful.then((response) => response.body?.cancel(), () => {});
      void stateless.catch(() => {});
      await until(async () => (await handler.stats()).inFlight === 2, "both calls to start");
      // The bound is graceMs + 1 s on the handler's clock, read as close() resolves (the clock
      // moves on after, for the timers left). The real-time deadline only catches a hang: each
      // of the ~150 timers on the way (close()'s 10 ms polls) takes a real turn of the event
      // loop, and 3 s of them ran out once on Bun under load.
      const closeAt = scheduler.time;
      let took = -1;
      await within(
        handler.close({ graceMs: 200 }).then(() => void (took = scheduler.time - closeAt)),
        60_000,
        "close() despite tools that ignore their signal",
      );
      assert.ok(
        took >= 1_200 && took <= 1_210,
        `resolved once the grace and the 1 s after it were over, not later (after ${took} ms)`,
      );
      assert.deepEqual(
        reasons,
        ["server-closed", "server-closed"],
        "both were aborted after the grace",
      );
      const reports = errors.map(String).filter((text) => /still running/.test(text));
      assert.equal(reports.length, 1, "one report");
      assert.match(reports[0], /2 request\(s\) still running/);
      assert.match(reports[0], /1 in sessions, 1 in 2026-07-28/);
      assert.match(reports[0], /tools\/call id 2/);
      assert.match(reports[0], /tools\/call id "m-1" \(2026-07-28\)/);
      assert.equal((await handler.stats()).inFlight, 2, "still counted until they return");
    } finally {
      never.resolve();
    }
  });

  it("listening streams end at once; close() without options still aborts at once and reports nothing", async () => {
    const handler = makeHandler({ streams: { heartbeatMs: 0 } });
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

    const errors: unknown[] = [];
    const never = deferred();
    let reason: Promise<unknown> | undefined;
    const other = makeHandler({
      observe: {
        onError: (error) => errors.push(error),
      },
      tools: [defineTool({
        name: "stubborn",
        handler: async (_input, ctx) => {
          reason = abortReason(ctx.signal, 5_000);
          await never.promise;
          return "never";
        },
      })],
    });
    try {
      await assert.rejects(other.close({ graceMs: -1 }), RangeError);
      const otherSession = await initialize(other);
      const call = other(postRequest(
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "stubborn" } },
        { sessionId: otherSession.id, protocolVersion: otherSession.protocolVersion },
      ));
      void call.then((response) => response.body?.cancel(), () => {});
      await until(() => reason !== undefined, "the call to start");
      await within(other.close(), 1_000, "close() does not wait for the work");
      assert.equal(await reason, "server-closed");
      assert.ok(!errors.some((error) => /still running/.test(String(error))), "no report");
    } finally {
      never.resolve();
    }
  });
});

describe("close({ graceMs }): calls still running when the grace runs out", () => {
  /** A tool that returns when aborted (`cooperative`), or ignores its signal until `never` settles. */
  function longTool(name: string, never: Promise<void>, cooperative: boolean) {
    return defineTool({
      name,
      handler: async (_input, ctx) => {
        if (cooperative) {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return "stopped";
        }
        await never;
        return "never";
      },
    });
  }

  for (const cooperative of [true, false]) {
    const kind = cooperative ? "that returns when aborted" : "that ignores its signal";
    it(`a sessionful call ${kind} gets a JSON-RPC error on its stream before it ends`, async () => {
      const never = deferred();
      const handler = makeHandler({
        streams: { responseMode: "sse", heartbeatMs: 0 },
        scheduler: new VirtualScheduler(),
        tools: [longTool("long", never.promise, cooperative)],
      });
      try {
        const session = await initialize(handler);
        const response = await within(
          handler(postRequest(
            { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "long" } },
            { sessionId: session.id, protocolVersion: session.protocolVersion },
          )),
          5_000,
          "the stream to open",
        );
        const reader = response.body!.getReader();
        await until(async () => (await handler.stats()).inFlight === 1, "the call to start");
        const closing = handler.close({ graceMs: 50 });
        const rest = await readSseUntil(reader, () => false, 5_000);
        assert.equal(rest.ended, true, "the stream ended");
        const answer = messagesOf(rest.events).find((message) => message.id === 7);
        assert.ok(answer !== undefined, "the call was answered before its stream ended");
        assert.equal(answer.error?.code, -32603);
        assert.match(answer.error.message, /shutting down/);
        await within(closing, 5_000, "close()");
      } finally {
        never.resolve();
      }
    });
  }

  it("a sessionful call answered with JSON gets a JSON-RPC error answer", async () => {
    const never = deferred();
    const handler = makeHandler({
      streams: { responseMode: "json" },
      scheduler: new VirtualScheduler(),
      tools: [longTool("long", never.promise, false)],
    });
    try {
      const session = await initialize(handler);
      const answer = handler(postRequest(
        { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "long" } },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      await until(async () => (await handler.stats()).inFlight === 1, "the call to start");
      const closing = handler.close({ graceMs: 50 });
      const outcome = await readAnswer(await within(answer, 5_000, "the answer"));
      assert.equal(outcome.message?.id, 8);
      assert.equal(outcome.message.error?.code, -32603);
      await within(closing, 5_000, "close()");
    } finally {
      never.resolve();
    }
  });
});
