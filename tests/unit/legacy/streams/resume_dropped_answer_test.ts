/**
 * A resume of a request stream whose answer the event log no longer keeps
 * (its session budget dropped it, or the whole stream went) answers the
 * request with an error, never leaves the client waiting; an answer still
 * kept is replayed, and a call cancelled before its answer gets nothing, even
 * when the log dropped its oldest events (`maxEventsPerStream`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import {
  abortReason,
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  notify,
  postRequest,
  readSseUntil,
  resumeRequest,
  type SseEvent,
  untilAborted,
  within,
} from "../../../helpers.ts";

const BUDGET = 4_000;

function setup(log: MemoryEventLog) {
  return makeHandler({
    streams: { responseMode: "sse", heartbeatMs: 0, eventLog: log },
    tools: [
      { name: "big", handler: () => "b".repeat(2 * BUDGET) },
      { name: "small", handler: () => "kept" },
    ],
  });
}

type Session = Awaited<ReturnType<typeof initialize>>;

/** Calls `tool` with request `id`, reads its whole SSE answer; returns its events. */
async function call(
  handler: ReturnType<typeof setup>,
  session: Session,
  id: number | string,
  tool: string,
): Promise<SseEvent[]> {
  const response = await handler(postRequest(
    { jsonrpc: "2.0", id, method: "tools/call", params: { name: tool } },
    { sessionId: session.id, protocolVersion: session.protocolVersion },
  ));
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const { events, ended } = await readSseUntil(response.body!.getReader(), () => false);
  assert.equal(ended, true);
  return events;
}

/** Resumes from `lastEventId`; returns what came within `ms` and whether the connection ended. */
async function resume(
  handler: ReturnType<typeof setup>,
  session: Session,
  lastEventId: string,
  ms = 300,
) {
  const response = await handler(resumeRequest(session, lastEventId));
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const got = await readSseUntil(reader, (events) => messagesOf(events).length > 0, ms);
  const rest = got.ended ? got : await readSseUntil(reader, () => false, 100);
  await reader.cancel();
  return { messages: messagesOf(got.events), events: got.events, ended: rest.ended };
}

describe("a resume whose answer the event log no longer keeps", () => {
  it("an answer over the session budget: its request gets an error, and the connection stays open", async () => {
    const handler = setup(new MemoryEventLog({ maxBytesPerSession: BUDGET }));
    try {
      const session = await initialize(handler);
      const answered = await call(handler, session, 7, "big");
      assert.equal(messagesOf(answered)[0].result.content[0].text.length, 2 * BUDGET);
      const priming = answered[0].id!;
      const resumed = await resume(handler, session, priming);
      assert.deepEqual(
        resumed.messages.map((m) => [m.id, m.error?.code, m.result]),
        [[7, -32603, undefined]],
      );
      assert.match(resumed.messages[0].error.message, /no longer kept/);
      assert.equal(resumed.events.at(-1)?.id, undefined, "no event id: nothing to resume after it");
      assert.equal(resumed.ended, false, "kept open quietly: a client would come straight back");
    } finally {
      await handler.close();
    }
  });

  it("an answer still kept is replayed, and the stream ends", async () => {
    const handler = setup(new MemoryEventLog({ maxBytesPerSession: BUDGET }));
    try {
      const session = await initialize(handler);
      const answered = await call(handler, session, "call-1", "small");
      const resumed = await resume(handler, session, answered[0].id!);
      assert.deepEqual(resumed.messages.map((m) => [m.id, m.result?.content[0].text]), [[
        "call-1",
        "kept",
      ]]);
      assert.equal(resumed.ended, true);
    } finally {
      await handler.close();
    }
  });

  it("a stream the log dropped whole (past maxStreamsPerSession): its request gets an error", async () => {
    const handler = setup(new MemoryEventLog({ maxStreamsPerSession: 1 }));
    try {
      const session = await initialize(handler);
      const first = await call(handler, session, "first", "small");
      await call(handler, session, "second", "small"); // the first stream goes
      const resumed = await resume(handler, session, first[0].id!);
      assert.deepEqual(resumed.messages.map((m) => [m.id, m.error?.code]), [["first", -32603]]);
    } finally {
      await handler.close();
    }
  });

  it("a call still running whose stream the log dropped whole: the error, and its work stops at once", async () => {
    const waits = untilAborted("waits");
    const handler = makeHandler({
      // The orphan timeout is far off: only the resume's error can stop the work in time.
      streams: {
        responseMode: "sse",
        heartbeatMs: 0,
        orphanTimeoutMs: 60_000,
        eventLog: new MemoryEventLog({ maxStreamsPerSession: 1 }),
      },
      tools: [waits.tool, { name: "small", handler: () => "kept" }],
    });
    try {
      const session = await initialize(handler);
      const running = await handler(postRequest(
        { jsonrpc: "2.0", id: "long", method: "tools/call", params: { name: "waits" } },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      const reader = running.body!.getReader();
      const { events } = await readSseUntil(reader, (got) => got.some((e) => e.id), 1_000);
      const priming = events.find((e) => e.id !== undefined)!.id!;
      await reader.cancel(); // the client lost its connection; the call runs on
      await call(handler, session, "next", "small"); // the log keeps one stream: the running one goes
      const resumed = await resume(handler, session, priming);
      assert.deepEqual(resumed.messages.map((m) => [m.id, m.error?.code]), [["long", -32603]]);
      // Told to send it again, so this run is cancelled now (not after the orphan timeout).
      assert.equal(await abortReason(await waits.signal, 2_000), "cancelled");
    } finally {
      await handler.close();
    }
  });

  it("a cancelled call whose oldest events were dropped (maxEventsPerStream): replayed, no error", async () => {
    const cancelled = deferred();
    const handler = makeHandler({
      streams: {
        responseMode: "sse",
        heartbeatMs: 0,
        eventLog: new MemoryEventLog({ maxEventsPerStream: 3 }),
      },
      tools: [{
        name: "chatty",
        handler: async (_input, ctx) => {
          for (let i = 1; i <= 5; i++) await ctx.progress(i, 5);
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          cancelled.resolve();
          return "never sent";
        },
      }],
    });
    try {
      const session = await initialize(handler);
      const response = await handler(postRequest({
        jsonrpc: "2.0",
        id: "chat",
        method: "tools/call",
        params: { name: "chatty", _meta: { progressToken: "p" } },
      }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
      const reader = response.body!.getReader();
      const progressed = await readSseUntil(reader, (got) => messagesOf(got).length === 5, 2_000);
      const priming = progressed.events.find((e) => e.id !== undefined)!.id!;
      assert.equal(
        (await notify(handler, session, "notifications/cancelled", { requestId: "chat" })).status,
        202,
      );
      await within(cancelled.promise, 2_000, "the call to see its cancellation");
      assert.equal((await readSseUntil(reader, () => false, 2_000)).ended, true);
      const resumed = await handler(resumeRequest(session, priming));
      assert.equal(resumed.status, 200);
      const resumedReader = resumed.body!.getReader();
      // Everything the resume writes within 300 ms, not only its first chunk.
      const got = await readSseUntil(resumedReader, () => false, 300);
      await resumedReader.cancel();
      // Events 1 and 2 went: the last three progress notifications come back, and nothing else:
      // the call had no answer to lose, so its client is not told to send it again.
      assert.deepEqual(messagesOf(got.events).map((m) => [m.method, m.params?.progress]), [
        ["notifications/progress", 3],
        ["notifications/progress", 4],
        ["notifications/progress", 5],
      ]);
      assert.equal(got.ended, false, "kept open quietly, as any resume of a cancelled call");
    } finally {
      await handler.close();
    }
  });

  it("a batch's stream names no one request: its resume gets no error, and stays quiet", async () => {
    const handler = setup(new MemoryEventLog({ maxBytesPerSession: BUDGET }));
    try {
      // Batches exist on 2025-03-26 only.
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const response = await handler(postRequest([
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "big" } },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "big" } },
      ], { sessionId: session.id, protocolVersion: session.protocolVersion }));
      const { events } = await readSseUntil(response.body!.getReader(), () => false);
      const ids = events.map((e) => e.id).filter((id) => id !== undefined);
      assert.ok(ids.length > 0, "a resumable answer");
      const resumed = await resume(handler, session, ids[0]!);
      assert.deepEqual(resumed.messages, [], "no error for requests it cannot name");
      assert.equal(resumed.ended, false);
    } finally {
      await handler.close();
    }
  });
});
