/**
 * The event log's flush window: a tool that emits one progress per tick
 * has its events appended once per window, not once each; every event
 * keeps its own id, in order, and a response (or the stream's end) goes at
 * once with whatever waits. A window ends on its own: an event waits at
 * most `flushWindowMs`. Without a window each tick is its own append.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../../mod.ts";
import { type AppendOptions, MemoryEventLog } from "../../../../src/storage/mod.ts";
import {
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  sleep,
  until,
} from "../../../helpers.ts";

/** A memory log with a flush window, counting its write calls. */
class WindowedLog extends MemoryEventLog {
  calls = 0;
  events = 0;
  readonly flushWindowMs: number;

  constructor(flushWindowMs: number) {
    super();
    this.flushWindowMs = flushWindowMs;
  }

  override append(sessionId: string, streamId: string, data: string): Promise<string> {
    this.calls++;
    this.events++;
    return super.append(sessionId, streamId, data);
  }

  override appendMany(
    sessionId: string,
    streamId: string,
    data: readonly string[],
    options?: AppendOptions,
  ): Promise<string[]> {
    this.calls++;
    this.events += data.length;
    return super.appendMany(sessionId, streamId, data, options);
  }
}

/** Emits `count` progress notifications, one per tick (`tickMs` apart), then waits for `gate`. */
function tickingTool(count: number, tickMs: number, gate?: () => Promise<void>) {
  return defineTool({
    name: "tick",
    handler: async (_input, ctx) => {
      for (let i = 1; i <= count; i++) {
        await ctx.progress(i, count);
        await sleep(tickMs);
      }
      await gate?.();
      return "ticked";
    },
  });
}

async function call(handler: ReturnType<typeof makeHandler>) {
  const session = await initialize(handler);
  return await handler(postRequest({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "tick", _meta: { progressToken: "p" } },
  }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
}

/** Reads the call's stream to its response: the messages and their event ids. */
async function readCall(response: Response) {
  const read = await readSseUntil(
    response.body!.getReader(),
    (events) => messagesOf(events).some((m) => m.id === 1),
    10_000,
  );
  const ids = read.events.filter((e) => e.data !== undefined && e.data !== "").map((e) => e.id!);
  return { messages: messagesOf(read.events), ids };
}

describe("the event log's flush window", () => {
  it("events one per tick within the window go in one append; the response goes at once", async () => {
    // A window longer than the test: only the response can end it.
    const log = new WindowedLog(600_000);
    const handler = makeHandler({ tools: [tickingTool(10, 5)], streams: { eventLog: log } });
    try {
      const { messages, ids } = await readCall(await call(handler));
      assert.deepEqual(
        messages.filter((m) => m.method === "notifications/progress").map((m) => m.params.progress),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.equal(messages.at(-1)?.id, 1, "the response comes last");
      const seqs = ids.map((id) => Number(id.slice(id.lastIndexOf(":") + 1)));
      assert.deepEqual(
        seqs,
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        "each event its own id, in order",
      );
      assert.equal(
        log.calls,
        2,
        `11 messages in ${log.calls} log calls: the first event, then the window's with the response`,
      );
    } finally {
      await handler.close();
    }
  });

  it("a window ends on its own: an event waits at most flushWindowMs", async () => {
    const log = new WindowedLog(30);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const handler = makeHandler({
      tools: [tickingTool(3, 5, () => gate)],
      streams: { eventLog: log },
    });
    try {
      const response = call(handler);
      // Every event is logged while the tool still runs: no response ended their window.
      await until(() => log.events === 3, "the events are appended after their window", 5_000);
      open();
      const { messages } = await readCall(await response);
      assert.equal(messages.filter((m) => m.method === "notifications/progress").length, 3);
      assert.equal(log.events, 4, "then the response");
    } finally {
      open();
      await handler.close();
    }
  });

  it("without a window each tick is its own append (positive control)", async () => {
    const log = new WindowedLog(0);
    const handler = makeHandler({ tools: [tickingTool(10, 5)], streams: { eventLog: log } });
    try {
      const { messages } = await readCall(await call(handler));
      assert.equal(messages.filter((m) => m.method === "notifications/progress").length, 10);
      assert.ok(log.calls > 2, `${log.calls} log calls`);
    } finally {
      await handler.close();
    }
  });
});
