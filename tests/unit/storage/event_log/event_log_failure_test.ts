/**
 * Fail closed when the event log fails: a stream whose event cannot be
 * logged ends, after a JSON-RPC error for each request it had not answered
 * yet; the failure reaches onError, the work behind it is aborted
 * (`storage-unavailable`), and nothing stays open or indexed. A failed end
 * marker still closes the stream after the final response.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, ErrorCode } from "../../../../mod.ts";
import { type EventLog, MemoryEventLog } from "../../../../src/storage/mod.ts";
import { Faults, faulty } from "../../../faulty_storage.ts";
import {
  abortReason,
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  parseSse,
  postRequest,
  readTextUntil,
  sleep,
  until,
} from "../../../helpers.ts";

/** A memory log without `appendMany` (so each event is one `append`), whose methods fail on cue. */
function flakyEventLog(faults: Faults): EventLog {
  return faulty(new MemoryEventLog(), faults, { without: ["appendMany"] });
}

/** Resolves when `signal` aborts, or after `ms`. */
function stoppedOrLater(signal: AbortSignal, ms: number): Promise<void> {
  return sleep(ms, signal).catch(() => {});
}

function setup(log: EventLog, errors: unknown[], keepWorking = false) {
  const release = deferred();
  let signal: AbortSignal | undefined;
  const handler = makeHandler({
    streams: {
      eventLog: log,
      heartbeatMs: 0,
    },
    observe: {
      onError: (error) => errors.push(error),
    },
    tools: [defineTool({
      name: "steps",
      handler: async (_input, ctx) => {
        signal = ctx.signal;
        await ctx.progress(1, 3);
        await release.promise;
        await ctx.progress(2, 3);
        await ctx.progress(3, 3);
        // Still at work when those events fail to be logged: the failure must stop it.
        if (keepWorking) await stoppedOrLater(ctx.signal, 5_000);
        return "done";
      },
    })],
  });
  return { handler, release, signal: () => signal };
}

describe("the event log fails", () => {
  it("an append that rejects ends the stream, reports, aborts the work and leaves nothing open", async () => {
    const faults = new Faults();
    const errors: unknown[] = [];
    const { handler, release, signal } = setup(flakyEventLog(faults), errors, true);
    try {
      const session = await initialize(handler);
      const response = await handler(postRequest(
        {
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "steps", _meta: { progressToken: "t" } },
        },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      const reader = response.body!.getReader();
      await readTextUntil(reader, (text) => text.includes('"progress":1'));
      assert.equal(
        (await handler.stats()).openStreams,
        1,
        "positive control: the stream is open while the log works",
      );
      faults.set("append", "reject"); // every append from now on rejects
      release.resolve();
      const rest = await readTextUntil(reader, () => false, 2_000);
      assert.equal(rest.ended, true, "the connection ends instead of staying open");
      assert.ok(!rest.text.includes('"progress":2'), "nothing unlogged is sent");
      const failed = messagesOf(parseSse(rest.text)).find((message) => message.id === 1);
      assert.equal(
        failed?.error?.code,
        ErrorCode.InternalError,
        "the request gets a JSON-RPC error",
      );
      assert.match(failed.error.message, /storage is unreachable/);
      assert.equal(
        await abortReason(signal()!),
        "storage-unavailable",
        "the work is aborted",
      );
      await until(async () => (await handler.stats()).inFlight === 0, "the work to return");
      assert.equal((await handler.stats()).openStreams, 0);
      assert.ok(
        errors.some((error) => String(error).includes("storage down")),
        "the failure reaches onError",
      );
    } finally {
      await handler.close();
    }
  });

  it("a complete that rejects still sends the result, closes the stream and reports", async () => {
    const faults = new Faults();
    faults.set("complete", "reject");
    const errors: unknown[] = [];
    const { handler, release } = setup(flakyEventLog(faults), errors);
    try {
      const session = await initialize(handler);
      release.resolve();
      const response = await handler(postRequest(
        {
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "steps", _meta: { progressToken: "t" } },
        },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      const { text, ended } = await readTextUntil(response.body!.getReader(), () => false, 2_000);
      assert.equal(ended, true);
      assert.match(text, /"text":"done"/);
      await until(async () => (await handler.stats()).openStreams === 0, "the stream to close");
      assert.ok(errors.some((error) => String(error).includes("storage down")));
    } finally {
      await handler.close();
    }
  });

  it("a complete body whose appends reject still answers, without event ids, and reports", async () => {
    const faults = new Faults();
    const errors: unknown[] = [];
    const { handler, release } = setup(flakyEventLog(faults), errors);
    try {
      const session = await initialize(handler);
      release.resolve(); // the tool finishes in the task it emits in: one complete body
      faults.set("append", "reject");
      const response = await handler(postRequest(
        {
          jsonrpc: "2.0",
          id: 3,
          method: "tools/call",
          params: { name: "steps", _meta: { progressToken: "t" } },
        },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      assert.equal(response.status, 200);
      const { text, ended } = await readTextUntil(response.body!.getReader(), () => false, 2_000);
      assert.equal(ended, true);
      assert.match(text, /"progress":3/, "the notifications still arrive");
      assert.match(text, /"text":"done"/, "and the result");
      assert.doesNotMatch(text, /^id:/m, "no event id: nothing was logged to resume from");
      assert.equal((await handler.stats()).openStreams, 0);
      assert.ok(errors.some((error) => String(error).includes("storage down")));
    } finally {
      await handler.close();
    }
  });
});
