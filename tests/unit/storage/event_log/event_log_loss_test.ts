/**
 * A running stream that loses events to the event log's global budget cannot
 * be resumed from before the loss (a resume would skip events: nothing of it
 * is replayed, and its request gets an error, so the client asks again),
 * while a client that is connected,
 * or resumes from after the loss, gets everything it needs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import {
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  resumeRequest,
  rpc,
  within,
} from "../../../helpers.ts";

function setup() {
  const release = deferred();
  const finished = deferred<string>();
  const handler = makeHandler({
    streams: {
      heartbeatMs: 0,
      eventLog: new MemoryEventLog({ maxTotalBytes: 2_000 }),
    },
    tools: [
      {
        name: "waiter",
        handler: async (_input, ctx) => {
          await ctx.log("info", "w".repeat(600));
          await release.promise;
          finished.resolve("finished");
          return "waited";
        },
      },
      {
        name: "flood",
        handler: async (_input, ctx) => {
          await ctx.log("info", "f".repeat(1_900));
          return "flooded";
        },
      },
    ],
  });
  return { handler, release, finished };
}

describe("event log loss under the global budget", () => {
  it("a resume from before the loss replays nothing of the stream: its request gets an error", async () => {
    const { handler, release, finished } = setup();
    try {
      const victim = await initialize(handler);
      const response = await handler(postRequest(
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "waiter" } },
        { sessionId: victim.id, protocolVersion: victim.protocolVersion },
      ));
      const reader = response.body!.getReader();
      const { events } = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      const lastEventId = events.filter((e) => e.id !== undefined).at(-1)!.id!;
      const primingId = events[0].id!;
      await reader.cancel(); // the client is gone, intending to resume

      const flooder = await initialize(handler);
      assert.equal(
        (await rpc(handler, flooder, "tools/call", { name: "flood" })).message.result.content[0]
          .text,
        "flooded",
      );
      release.resolve();
      await within(finished.promise, 2_000, "the tool finishes");

      // Resuming from the priming id would need the evicted log event: nothing of the stream comes back.
      const resumed = await handler(resumeRequest(victim, primingId));
      assert.equal(resumed.status, 200);
      const resumedReader = resumed.body!.getReader();
      const replay = await readSseUntil(resumedReader, (events) => messagesOf(events).length > 0);
      assert.deepEqual(
        messagesOf(replay.events).map((m) => [m.id, m.error?.code, m.params]),
        [[1, -32603, undefined]],
        "no partial replay of a stream that lost events: its request gets an error instead",
      );
      await resumedReader.cancel();

      // A client that had received the evicted event resumes after it and gets the result.
      const after = await handler(resumeRequest(victim, lastEventId));
      const afterReader = after.body!.getReader();
      const rest = await readSseUntil(
        afterReader,
        (events) => messagesOf(events).some((m) => m.id === 1),
        2_000,
      );
      assert.equal(
        messagesOf(rest.events).find((m) => m.id === 1)?.result?.content[0].text,
        "waited",
      );
      await afterReader.cancel();
    } finally {
      await handler.close();
    }
  });

  it("keeps a stream whose client is connected: the client gets the result", async () => {
    const { handler, release } = setup();
    try {
      const victim = await initialize(handler);
      const response = await handler(postRequest(
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "waiter" } },
        { sessionId: victim.id, protocolVersion: victim.protocolVersion },
      ));
      const reader = response.body!.getReader();
      await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      const flooder = await initialize(handler);
      await rpc(handler, flooder, "tools/call", { name: "flood" });
      release.resolve();
      const rest = await readSseUntil(
        reader,
        (events) => messagesOf(events).some((m) => m.id === 1),
        2_000,
      );
      const result = messagesOf(rest.events).find((m) => m.id === 1);
      assert.equal(result?.result?.content[0].text, "waited");
    } finally {
      await handler.close();
    }
  });
});
