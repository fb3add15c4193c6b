/**
 * Work whose client is gone, in-process: the POST's handler returns as soon
 * as the client leaves (Deno holds the socket until then), and the work runs
 * on for at most `orphanTimeoutMs` without a connection, then its signal
 * aborts with "abandoned". A resume within the bound keeps it running.
 * The bound elapses on a manual clock (the handler's `scheduler`), not in real time.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, type McpHandler } from "../../../../mod.ts";
import {
  abortReason,
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  resumeRequest,
  type TestSession,
  until,
  VirtualScheduler,
  within,
} from "../../../helpers.ts";
import { blockingTool } from "../../../blocking_tool.ts";

/** A tools/call POST whose connection the test can drop through `signal`. */
function callRequest(session: TestSession, id: number, signal?: AbortSignal): Request {
  const body = { jsonrpc: "2.0", id, method: "tools/call", params: { name: "gate" } };
  return postRequest(body, {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    signal,
  });
}

/**
 * Runs `body` with a handler whose orphan deadlines (and auto mode's switch to a stream) are on a
 * manual clock (`scheduler`).
 */
async function withHandler(
  options: Parameters<typeof makeHandler>[0],
  body: (handler: McpHandler, scheduler: VirtualScheduler) => Promise<void>,
) {
  const scheduler = new VirtualScheduler({ manual: true });
  const handler = makeHandler({ ...options, scheduler });
  try {
    await body(handler, scheduler);
  } finally {
    await within(handler.close(), 5_000, "close()");
  }
}

describe("orphanTimeoutMs: work whose client left before its answer", () => {
  for (const responseMode of ["json", "auto", "sse"] as const) {
    it(`${responseMode} mode: the POST returns when the client leaves, and the work is abandoned after the timeout`, async () => {
      const { tool, calls } = blockingTool({ name: "gate" });
      await withHandler(
        { tools: [tool], streams: { responseMode, orphanTimeoutMs: 100 } },
        async (handler, scheduler) => {
          const session = await initialize(handler);
          const client = new AbortController();
          const answer = handler(callRequest(session, 1, client.signal));
          await until(() => calls.length === 1, "the call to start");
          // auto mode answers on a stream once the call ran a moment (200 ms on the handler's clock).
          if (responseMode === "auto") await scheduler.advance(300);
          client.abort();
          // json mode returns when the client leaves; auto and sse modes answered on a stream before it
          // left, and the runtime cancels that body when it goes.
          const response = await within(
            answer,
            2_000,
            "the handler to return once the client left",
          );
          await response.body?.cancel();
          assert.equal(
            calls[0].signal.aborted,
            false,
            "a dropped connection is not a cancellation",
          );
          assert.equal((await handler.stats()).inFlight, 1, "the work still runs");
          await scheduler.advance(99);
          assert.equal(calls[0].signal.aborted, false, "not before the timeout");
          await scheduler.advance(1);
          assert.equal(await abortReason(calls[0].signal), "abandoned");
          await until(
            async () => (await handler.stats()).inFlight === 0,
            "the abandoned call to return",
          );
          assert.equal((await handler.stats()).abandoned, 1);
        },
      );
    });
  }

  it("a call whose client stays connected runs past the timeout and is answered", async () => {
    const { tool, calls } = blockingTool({ name: "gate" });
    await withHandler(
      { tools: [tool], streams: { responseMode: "json", orphanTimeoutMs: 50 } },
      async (handler, scheduler) => {
        const session = await initialize(handler);
        const client = new AbortController();
        const answer = handler(callRequest(session, 1, client.signal));
        await until(() => calls.length === 1, "the call to start");
        await scheduler.advance(250);
        assert.equal(calls[0].signal.aborted, false);
        calls[0].finish();
        const response = await within(answer, 2_000, "the answer");
        assert.equal((await response.json()).result.content[0].text, "done");
        assert.equal((await handler.stats()).abandoned, 0);
      },
    );
  });

  it("a call that finishes within the timeout after its client left is not counted as abandoned", async () => {
    const { tool, calls } = blockingTool({ name: "gate" });
    await withHandler({ tools: [tool], streams: { orphanTimeoutMs: 200 } }, async (
      handler,
      scheduler,
    ) => {
      const session = await initialize(handler);
      const client = new AbortController();
      const answer = handler(callRequest(session, 1, client.signal));
      await until(() => calls.length === 1, "the call to start");
      await scheduler.advance(300); // auto mode's switch to a stream, on the handler's clock
      client.abort();
      await within(answer, 2_000, "the handler to return");
      calls[0].finish();
      await until(async () => (await handler.stats()).inFlight === 0, "the call to return");
      await scheduler.advance(300);
      assert.equal(calls[0].signal.aborted, false);
      assert.equal((await handler.stats()).abandoned, 0);
    });
  });

  it("refuses a non-positive orphanTimeoutMs", () => {
    assert.throws(() => makeHandler({ streams: { orphanTimeoutMs: 0 } }), RangeError);
    assert.throws(() => makeHandler({ streams: { orphanTimeoutMs: -1 } }), RangeError);
  });
});

describe("orphanTimeoutMs: work whose SSE stream lost its connection", () => {
  it("a dropped stream that no one resumes has its work abandoned (a minute on the handler's clock)", async () => {
    const { tool, calls } = blockingTool({ name: "gate", announce: true });
    await withHandler({ tools: [tool], streams: { orphanTimeoutMs: 60_000 } }, async (
      handler,
      scheduler,
    ) => {
      const session = await initialize(handler);
      const response = await handler(callRequest(session, 1));
      assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
      const reader = response.body!.getReader();
      await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      await until(() => calls.length === 1, "the call to wait");
      await reader.cancel();
      assert.equal(calls[0].signal.aborted, false, "a dropped connection is not a cancellation");
      await scheduler.advance(59_999);
      assert.equal(calls[0].signal.aborted, false, "not before the timeout");
      await scheduler.advance(1);
      assert.equal(await abortReason(calls[0].signal), "abandoned");
      await until(
        async () => (await handler.stats()).inFlight === 0,
        "the abandoned call to return",
      );
      assert.equal((await handler.stats()).abandoned, 1);
    });
  });

  it("a resume with Last-Event-ID within the timeout keeps the work running, and the client gets its result", async () => {
    const { tool, calls } = blockingTool({ name: "gate", announce: true });
    await withHandler({ tools: [tool], streams: { orphanTimeoutMs: 150 } }, async (
      handler,
      scheduler,
    ) => {
      const session = await initialize(handler);
      const response = await handler(callRequest(session, 1));
      const reader = response.body!.getReader();
      const seen = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      const lastEventId = seen.events.at(-1)!.id!;
      await until(() => calls.length === 1, "the call to wait");
      await reader.cancel();
      const resumed = await handler(resumeRequest(session, lastEventId));
      assert.equal(resumed.status, 200);
      await scheduler.advance(500); // more than three timeouts
      assert.equal(calls[0].signal.aborted, false, "the resumed stream's work keeps running");
      calls[0].finish();
      const rest = await readSseUntil(
        resumed.body!.getReader(),
        (events) => messagesOf(events).some((m) => m.id === 1),
      );
      assert.equal(messagesOf(rest.events).find((m) => m.id === 1).result.content[0].text, "done");
      assert.equal((await handler.stats()).abandoned, 0);
    });
  });

  it("ctx.closeStream() with no resume: the work is abandoned after the timeout", async () => {
    const signals: AbortSignal[] = [];
    const tool = defineTool({
      name: "gate",
      handler: async (_input, ctx) => {
        await ctx.log("info", "closing");
        ctx.closeStream();
        signals.push(ctx.signal);
        return await new Promise<string>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve("aborted"), { once: true })
        );
      },
    });
    await withHandler({ tools: [tool], streams: { orphanTimeoutMs: 100 } }, async (
      handler,
      scheduler,
    ) => {
      const session = await initialize(handler);
      const response = await handler(callRequest(session, 1));
      const text = await within(response.text(), 2_000, "the server to close the connection");
      assert.match(text, /closing/);
      await until(() => signals.length === 1, "the call to wait");
      await scheduler.advance(99);
      assert.equal(signals[0].aborted, false, "not before the timeout");
      await scheduler.advance(1);
      assert.equal(await abortReason(signals[0]), "abandoned");
    });
  });
});
