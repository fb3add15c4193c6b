/**
 * Notifications a tool sends while the event log is busy go out together:
 * one log call and one chunk, in order, every one resumable. A tool that
 * sends faster than the log takes is held back past a bound (backpressure),
 * so the queue never grows without limit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../../mod.ts";
import { type AppendOptions, MemoryEventLog } from "../../../../src/storage/mod.ts";
import {
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  resumeRequest,
  sleep,
  until,
} from "../../../helpers.ts";

/** A memory log whose writes wait for `gate` (when set), counting its calls. */
class SlowLog extends MemoryEventLog {
  calls = 0;
  gate: Promise<void> | undefined;
  delayMs = 0;

  override async append(sessionId: string, streamId: string, data: string): Promise<string> {
    this.calls++;
    await this.#wait();
    return await super.append(sessionId, streamId, data);
  }

  override async appendMany(
    sessionId: string,
    streamId: string,
    data: readonly string[],
    options?: AppendOptions,
  ): Promise<string[]> {
    this.calls++;
    await this.#wait();
    const ids: string[] = [];
    for (const item of data) ids.push(await super.append(sessionId, streamId, item));
    if (options?.complete) await super.complete(sessionId, streamId);
    return ids;
  }

  async #wait(): Promise<void> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    await this.gate;
  }
}

function progressTool(count: number, sent: { n: number }) {
  return defineTool({
    name: "count",
    handler: async (_input, ctx) => {
      for (let i = 1; i <= count; i++) {
        await ctx.progress(i, count);
        sent.n = i;
      }
      return "counted";
    },
  });
}

async function call(handler: ReturnType<typeof makeHandler>) {
  const session = await initialize(handler);
  return await handler(postRequest({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "count", _meta: { progressToken: "p" } },
  }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
}

describe("batched sends on a request stream", () => {
  it("progress sent while the log is busy goes out in few log calls, in order, each with its own id", async () => {
    const log = new SlowLog();
    log.delayMs = 20;
    const sent = { n: 0 };
    const handler = makeHandler({ tools: [progressTool(10, sent)], streams: { eventLog: log } });
    try {
      const response = await call(handler);
      const read = await readSseUntil(
        response.body!.getReader(),
        (events) => messagesOf(events).some((m) => m.id === 1),
        5_000,
      );
      const messages = messagesOf(read.events);
      assert.deepEqual(
        messages.filter((m) => m.method === "notifications/progress").map((m) => m.params.progress),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      const ids = read.events.filter((e) => e.data !== "").map((e) => e.id);
      assert.equal(new Set(ids).size, 11, "every message has its own event id");
      assert.ok(
        log.calls <= 4,
        `11 messages in ${log.calls} log calls (one per message unbatched)`,
      );
    } finally {
      await handler.close();
    }
  });

  it("what a tool sends in one task, with the log in memory, goes out as one chunk after the priming event", async () => {
    const sent = { n: 0 };
    const log = new SlowLog(); // no delay: counts log calls only
    const handler = makeHandler({ tools: [progressTool(10, sent)], streams: { eventLog: log } });
    try {
      const response = await call(handler);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      const chunks: string[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(decoder.decode(value));
      }
      const text = chunks.join("");
      assert.equal(text.match(/"notifications\/progress"/g)?.length, 10, "every event is there");
      assert.match(text, /"text":"counted"/);
      assert.equal(chunks.length, 1, `one chunk, got ${chunks.length}: one per event unbatched`);
      assert.match(chunks[0], /^id: \S+\nretry: \d+\ndata: \n\n/, "the priming event leads it");
      assert.equal(log.calls, 1, "one log call for the events and the end of the stream");
    } finally {
      await handler.close();
    }
  });

  it("a tool that finishes in the task it emitted in answers one complete body, resumable from any of its events", async () => {
    const handler = makeHandler({ tools: [progressTool(3, { n: 0 })] });
    try {
      const session = await initialize(handler);
      const response = await handler(postRequest({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "count", _meta: { progressToken: "p" } },
      }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      assert.equal((await handler.stats()).openStreams, 0, "no live stream was opened");
      const events = (await readSseUntil(response.body!.getReader(), () => false, 1_000)).events;
      const messages = messagesOf(events);
      assert.deepEqual(
        messages.map((m) => m.method ?? `result ${m.result.content[0].text}`),
        [...Array(3).fill("notifications/progress"), "result counted"],
      );
      // A client cut off after the first progress event resumes and gets the rest, once.
      const firstProgress = events.find((e) => e.data?.includes('"progress":1'))!;
      const resumed = await handler(resumeRequest(session, firstProgress.id!));
      assert.equal(resumed.status, 200);
      const replay = await readSseUntil(resumed.body!.getReader(), () => false, 1_000);
      assert.deepEqual(
        messagesOf(replay.events).map((m) => m.params?.progress ?? m.result.content[0].text),
        [2, 3, "counted"],
      );
    } finally {
      await handler.close();
    }
  });

  it("a tool still at work after the task it emitted in gets a live stream: its events arrive before it ends", async () => {
    const release = deferred();
    const handler = makeHandler({
      tools: [defineTool({
        name: "count",
        handler: async (_input, ctx) => {
          await ctx.progress(1, 2);
          await release.promise;
          await ctx.progress(2, 2);
          return "counted";
        },
      })],
    });
    try {
      const response = await call(handler);
      const reader = response.body!.getReader();
      const early = await readSseUntil(
        reader,
        (events) => messagesOf(events).some((m) => m.params?.progress === 1),
        2_000,
      );
      assert.ok(
        messagesOf(early.events).some((m) => m.params?.progress === 1),
        "the first event arrives while the tool waits",
      );
      assert.equal((await handler.stats()).openStreams, 1);
      release.resolve();
      const rest = await readSseUntil(
        reader,
        (events) => messagesOf(events).some((m) => m.id === 1),
      );
      assert.deepEqual(
        messagesOf(rest.events).map((m) => m.params?.progress ?? m.result.content[0].text),
        [2, "counted"],
      );
    } finally {
      await handler.close();
    }
  });

  it("a tool that outruns the log is held back past 128 unwritten messages, then finishes", async () => {
    const log = new SlowLog();
    const release = deferred();
    const sent = { n: 0 };
    const handler = makeHandler({ tools: [progressTool(400, sent)], streams: { eventLog: log } });
    try {
      log.gate = release.promise; // the log takes nothing until released
      const answer = call(handler);
      await until(() => sent.n > 0 && log.calls >= 1, "the tool to start and a write to wait");
      await sleep(100);
      const held = sent.n;
      assert.ok(held < 400, `the tool was held back (at ${held})`);
      assert.ok(held <= 134, `at most about 128 messages wait unwritten (at ${held})`);
      release.resolve();
      log.gate = undefined;
      const response = await answer;
      const read = await readSseUntil(
        response.body!.getReader(),
        (events) => messagesOf(events).some((m) => m.id === 1),
        5_000,
      );
      const progress = messagesOf(read.events).filter((m) => m.method === "notifications/progress");
      assert.equal(progress.length, 400, "nothing was lost while held back");
    } finally {
      await handler.close();
    }
  });
});
