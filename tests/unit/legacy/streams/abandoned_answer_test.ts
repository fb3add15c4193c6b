/**
 * Work given up after the orphan timeout is answered with an error on its stream, so nothing
 * waits on a stream that will never answer: two handlers sharing one session store and one event
 * log but no bus (so B's lease never reaches A, which gives the work up after its orphan timeout),
 * and a client whose stream on A dropped resumes on B, which follows A's stream. B relays the
 * error answer and ends the stream within the timeout (until 2026-11-29 it ended without an
 * answer, or never). And a resume on the same instance after the work was given up replays that
 * answer. On the handlers' manual clock.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMcpHandler, defineTool, type McpHandler } from "../../../../mod.ts";
import { MemorySessionStore } from "../../../../src/storage/sessions/memory_session_store.ts";
import { MemoryEventLog } from "../../../../src/storage/event_log/memory_event_log.ts";
import {
  initialize,
  postRequest,
  type TestSession,
  VirtualScheduler,
  within,
} from "../../../helpers.ts";

const ORPHAN_MS = 1_000;
const ABANDONED = /"id":5,"error":\{"code":-32603,"message":"Request abandoned: /;

/** A tool that reports progress once, then waits until it is aborted. */
const stuck = defineTool({
  name: "stuck",
  handler: async (_input, ctx) => {
    await ctx.progress?.(1, 2);
    await new Promise((_, reject) =>
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))
    );
    return "never";
  },
});

function handlers(count: number, scheduler: VirtualScheduler): McpHandler[] {
  const store = new MemorySessionStore();
  const eventLog = new MemoryEventLog();
  return Array.from({ length: count }, () =>
    createMcpHandler({
      name: "abandoned",
      version: "1.0.0",
      tools: [stuck],
      sessions: { store },
      streams: { eventLog, orphanTimeoutMs: ORPHAN_MS },
      scheduler,
      observe: { onError: () => {} },
    }));
}

/** Starts the call on `handler`, reads its first event, then drops the connection. */
async function dropAfterFirstEvent(handler: McpHandler, session: TestSession): Promise<string> {
  const response = await handler(postRequest({
    jsonrpc: "2.0",
    id: 5,
    method: "tools/call",
    params: { name: "stuck", arguments: {}, _meta: { progressToken: "p" } },
  }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const reader = response.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  const id = /id: (\S+)/.exec(first)?.[1];
  assert.ok(id !== undefined, `a primed stream: ${first}`);
  return id;
}

/** A GET resuming from `lastEventId` on `handler`; its text as it arrives, and when it ends. */
async function resume(handler: McpHandler, session: TestSession, lastEventId: string) {
  const response = await handler(
    new Request("http://localhost/mcp", {
      method: "GET",
      headers: {
        accept: "text/event-stream",
        host: "localhost",
        "mcp-session-id": session.id,
        "mcp-protocol-version": session.protocolVersion,
        "last-event-id": lastEventId,
      },
    }),
  );
  assert.equal(response.status, 200);
  const state = { text: "", ended: false };
  const decoder = new TextDecoder();
  const reading = (async () => {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      state.text += decoder.decode(value, { stream: true });
    }
    state.ended = true;
  })();
  return { state, reading };
}

/** Moves the clock on until `done()` holds, at most `limitMs` of it. */
async function advanceUntil(scheduler: VirtualScheduler, done: () => boolean, limitMs: number) {
  const until = scheduler.time + limitMs;
  while (!done() && scheduler.time < until) await scheduler.advance(100);
}

describe("work given up after the orphan timeout", () => {
  it("a follower on another instance relays its error answer and ends, within the timeout", async () => {
    const scheduler = new VirtualScheduler({ manual: true });
    const [a, b] = handlers(2, scheduler);
    try {
      const session = await initialize(a);
      const lastEventId = await dropAfterFirstEvent(a, session);
      const startedAt = scheduler.time;
      const followed = await resume(b, session, lastEventId);
      await advanceUntil(scheduler, () => followed.state.ended, 10 * ORPHAN_MS);
      await within(followed.reading, 5_000, "B's stream to end");
      assert.match(followed.state.text, /"progress":1/, "the replay first");
      assert.match(followed.state.text, ABANDONED, "then the error answer");
      assert.ok(
        scheduler.time - startedAt <= ORPHAN_MS + 500,
        `ended within the orphan timeout (${scheduler.time - startedAt} ms)`,
      );
    } finally {
      scheduler.runFreely();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("a resume on the same instance after it was given up replays the error answer", async () => {
    const scheduler = new VirtualScheduler({ manual: true });
    const [a] = handlers(1, scheduler);
    try {
      const session = await initialize(a);
      const lastEventId = await dropAfterFirstEvent(a, session);
      await advanceUntil(scheduler, () => false, 2 * ORPHAN_MS); // no one resumes in time
      const resumed = await resume(a, session, lastEventId);
      await within(resumed.reading, 5_000, "the resumed stream to end");
      assert.match(resumed.state.text, ABANDONED);
    } finally {
      scheduler.runFreely();
      await a.close();
    }
  });
});
