/**
 * Resumable streams over raw HTTP: a client that drops the SSE answer to a
 * POST comes back with GET + Last-Event-ID and gets exactly what it missed,
 * while the work goes on undisturbed.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { defineTool, type McpHandlerOptions } from "../../../mod.ts";
import {
  deferred,
  DelayedEventLog,
  messageOf,
  rawGet,
  rawInitialize,
  rawPost,
  sleep,
  type SseEvent,
  SseReader,
  waitFor,
  withServer,
} from "./helpers.ts";

const STEPS = 10;

/**
 * A tool emitting `steps` progress notifications `gapMs` apart, recording whether its signal
 * aborted; with `hold`, it waits after its second notification until `release()`.
 */
function tickingTool(hold = false) {
  const state = { finished: false, abortedDuringRun: false };
  const held = deferred();
  const tool = defineTool({
    name: "tick",
    input: z.object({ gapMs: z.number(), steps: z.number().int().default(STEPS) }),
    handler: async ({ gapMs, steps }, ctx) => {
      ctx.signal.addEventListener("abort", () => (state.abortedDuringRun = true), { once: true });
      for (let i = 1; i <= steps; i++) {
        await ctx.progress(i, steps);
        if (hold && i === 2) await held.promise;
        if (gapMs > 0) await sleep(gapMs);
      }
      state.finished = true;
      return `ticked ${steps} times`;
    },
  });
  return { tool, state, release: () => held.resolve() };
}

interface Seen {
  ids: string[];
  progress: number[];
  results: unknown[];
}

function record(seen: Seen, event: SseEvent, requestId: string): void {
  if (event.id !== undefined) seen.ids.push(event.id);
  const message = messageOf(event);
  if (message === undefined) return;
  if (message.method === "notifications/progress") {
    seen.progress.push((message.params as { progress: number }).progress);
  } else if (message.id === requestId) {
    seen.results.push(message.result);
  } else {
    throw new Error(`unexpected message ${event.data}`);
  }
}

/**
 * Runs the disconnect-and-resume scenario against a server built from `options`; with `hold`
 * the tool waits after its second notification until the client has gone, then goes on.
 */
async function disconnectAndResume(
  options: Partial<McpHandlerOptions>,
  gapMs: number,
  steps = STEPS,
  hold = false,
): Promise<void> {
  const ticking = tickingTool(hold);
  await withServer({ tools: [ticking.tool], ...options }, async (server) => {
    const sessionId = await rawInitialize(server.url);
    const requestId = "resume-me";
    const disconnect = new AbortController();
    const response = await rawPost(server.url, sessionId, {
      jsonrpc: "2.0",
      id: requestId,
      method: "tools/call",
      params: { name: "tick", arguments: { gapMs, steps }, _meta: { progressToken: "tok" } },
    }, { signal: disconnect.signal });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");

    const seen: Seen = { ids: [], progress: [], results: [] };
    const first = new SseReader(response.body);
    const priming = await first.next();
    assert.ok(priming?.id, "the stream starts with a priming event id");
    assert.equal(priming.data, "");
    record(seen, priming, requestId);
    for (let i = 0; i < 2; i++) {
      const event = await first.next();
      assert.ok(event !== undefined, "the stream carries progress before the disconnect");
      record(seen, event, requestId);
    }
    assert.deepEqual(seen.progress, [1, 2]);
    assert.deepEqual(seen.results, []);
    const lastSeen = seen.ids.at(-1)!;

    // The client goes away mid-tool.
    disconnect.abort();
    await first.cancel();
    assert.equal(ticking.state.finished, false, "the tool is still running at the disconnect");
    ticking.release(); // its next events are logged while no connection takes them

    const resumed = await rawGet(server.url, sessionId, { lastEventId: lastSeen });
    assert.equal(resumed.status, 200);
    assert.equal(resumed.headers.get("content-type"), "text/event-stream");
    const rest = await new SseReader(resumed.body).rest();
    for (const event of rest) record(seen, event, requestId);

    assert.deepEqual(
      seen.progress,
      Array.from({ length: steps }, (_, i) => i + 1),
      "every progress value exactly once, in order",
    );
    assert.equal(seen.results.length, 1, "the result arrives exactly once");
    assert.deepEqual(seen.results[0], {
      content: [{ type: "text", text: `ticked ${steps} times` }],
    });
    assert.equal(new Set(seen.ids).size, seen.ids.length, "no event id repeats");
    assert.equal(ticking.state.finished, true);
    assert.equal(ticking.state.abortedDuringRun, false, "a disconnect is not a cancellation");
    await waitFor(
      async () => (await server.handler.stats()).openStreams === 0,
      "the finished stream closes",
    );
  });
}

describe("resumption", () => {
  it("a client that disconnects mid-tool resumes with Last-Event-ID and gets the remaining events and the result exactly once", async () => {
    await disconnectAndResume({}, 10, STEPS, true);
  });

  it("resuming while events are being appended to an asynchronous event log loses and repeats nothing", async () => {
    // Back-to-back events (600: the log holds the tool back several times), so appends are in
    // progress while the resume replays and attaches.
    for (let round = 0; round < 3; round++) {
      // Appends answer in 0-1 ms, replays (range reads) in 5-9 ms.
      const eventLog = new DelayedEventLog({
        open: [0, 1],
        append: [0, 1],
        complete: [0, 1],
        replayAfter: [5, 9],
      });
      await disconnectAndResume({ streams: { eventLog } }, 0, 600);
    }
  });

  it("a client dropped for not reading resumes with Last-Event-ID and receives every event and the result", async () => {
    const COUNT = 60;
    const state = { finished: false };
    const burst = defineTool({
      name: "burst",
      handler: async (_input, ctx) => {
        // ~600 KB at once: far past the connection's 64 KiB buffer, well within the event log's budget.
        for (let i = 0; i < COUNT; i++) await ctx.log("info", { i, pad: "x".repeat(10_000) });
        state.finished = true;
        return "burst done";
      },
    });
    await withServer(
      { tools: [burst], streams: { maxStreamBufferBytes: 64 * 1024 } },
      async (server) => {
        const sessionId = await rawInitialize(server.url);
        const response = await rawPost(server.url, sessionId, {
          jsonrpc: "2.0",
          id: "burst-1",
          method: "tools/call",
          params: { name: "burst", arguments: {} },
        });
        const stalled = new SseReader(response.body);
        const priming = await stalled.next();
        assert.ok(priming?.id);
        // Stop reading: the server drops the connection once its buffer overflows.
        await waitFor(() => state.finished, "the tool finishes");
        await waitFor(
          async () => (await server.handler.stats()).openStreams === 0,
          "the stalled connection is dropped",
        );
        await stalled.cancel();

        const resumed = await rawGet(server.url, sessionId, { lastEventId: priming.id });
        assert.equal(resumed.status, 200);
        const messages = (await new SseReader(resumed.body).rest()).map(messageOf);
        const logged = messages.filter((m) => m?.method === "notifications/message")
          .map((m) => ((m!.params as { data: { i: number } }).data.i));
        assert.deepEqual(
          logged,
          Array.from({ length: COUNT }, (_, i) => i),
          "every notification exactly once",
        );
        const results = messages.filter((m) => m?.id === "burst-1");
        assert.equal(results.length, 1, "the result arrives exactly once");
        assert.deepEqual((results[0]!.result as { content: unknown }).content, [{
          type: "text",
          text: "burst done",
        }]);
      },
    );
  });

  it("resuming after the tool finished replays the rest and ends the stream", async () => {
    const ticking = tickingTool();
    await withServer({ tools: [ticking.tool] }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const response = await rawPost(server.url, sessionId, {
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "tick", arguments: { gapMs: 1 }, _meta: { progressToken: 7 } },
      });
      const reader = new SseReader(response.body);
      const priming = await reader.next();
      await reader.cancel();
      await waitFor(() => ticking.state.finished, "the tool finishes");
      await waitFor(
        async () => (await server.handler.stats()).openStreams === 0,
        "the stream finishes",
      );

      const resumed = await rawGet(server.url, sessionId, { lastEventId: priming!.id! });
      const messages = (await new SseReader(resumed.body).rest()).map(messageOf);
      assert.deepEqual(
        messages.filter((m) => m?.method === "notifications/progress").map((m) =>
          (m!.params as { progress: number }).progress
        ),
        Array.from({ length: STEPS }, (_, i) => i + 1),
      );
      const results = messages.filter((m) => m?.id === 7);
      assert.equal(results.length, 1);
      assert.equal(messages.at(-1)?.id, 7, "the result is the last event");
      await waitFor(
        async () => (await server.handler.stats()).openStreams === 0,
        "the replay connection is released",
      );
    });
  });
});
