/**
 * The batching of a stream's sends on its own: what joins a batch, when its
 * flush window ends, how it is logged; and the orphan clock of a stream's
 * guarded work.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  joinBatch,
  logBatch,
  newBatch,
  settleBatch,
  waitToFlush,
} from "../../../../src/legacy/streams/send_batch.ts";
import { type GiveUpReason, WorkGuard } from "../../../../src/legacy/streams/guarded_work.ts";
import { OrphanWatch } from "../../../../src/legacy/streams/orphan_watch.ts";
import { MemoryEventLog } from "../../../../src/storage/event_log/event_log.ts";
import { VirtualScheduler } from "../../../helpers.ts";

describe("a batch of sends", () => {
  it("notes responses only on a stream that answers requests, and goes urgent on any id", () => {
    const listening = newBatch();
    joinBatch(listening, { jsonrpc: "2.0", id: 3, result: {} }, "{}", false);
    assert.equal(listening.urgent, true);
    assert.equal(listening.responseIds, undefined);

    const answering = newBatch();
    joinBatch(answering, '{"method":"notifications/progress"}', "n", true);
    assert.equal(answering.urgent, undefined, "a notification waits out the window");
    joinBatch(answering, { jsonrpc: "2.0", id: "r", method: "ping" }, "q", true);
    joinBatch(answering, { jsonrpc: "2.0", id: 9, result: {} }, "a", true);
    assert.deepEqual(answering.items, ["n", "q", "a"]);
    assert.deepEqual(answering.responseIds, [9], "a request is urgent but answers nothing");
  });

  it("waits out the flush window unless a request or response joins", async () => {
    const clock = new VirtualScheduler({ manual: true });
    const batch = newBatch();
    let waited = false;
    const waiting = waitToFlush(batch, { finished: false }, 50, clock.now(), clock)
      .then(() => (waited = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(waited, false, "the window holds the batch");
    joinBatch(batch, { jsonrpc: "2.0", id: 1, result: {} }, "{}", true);
    await waiting;
    assert.equal(batch.hurry, undefined, "the wait is over");

    const quiet = newBatch();
    const done = waitToFlush(quiet, { finished: false }, 50, clock.now(), clock);
    await clock.advance(50);
    await done;
  });

  it("does not wait for a finished stream, a batch that ends it, or without a previous append", async () => {
    const clock = new VirtualScheduler({ manual: true });
    await waitToFlush(newBatch(), { finished: true }, 50, 0, clock);
    const ending = newBatch();
    ending.finish = () => {};
    await waitToFlush(ending, { finished: false }, 50, 0, clock);
    await waitToFlush(newBatch(), { finished: false }, 50, undefined, clock);
  });

  it("is logged in one call, ending the stream with it when finish() joined", async () => {
    const log = new MemoryEventLog();
    await log.open("s", "a");
    const batch = newBatch();
    joinBatch(batch, "{}", "{}", false);
    joinBatch(batch, "[]", "[]", false);
    assert.deepEqual(await logBatch(log, "s", "a", batch), ["a:1", "a:2"]);

    const last = newBatch();
    let ended = false;
    last.finish = () => (ended = true);
    joinBatch(last, "{}", "{}", false);
    assert.deepEqual(await logBatch(log, "s", "a", last), ["a:3"]);
    const replay = await log.replayAfter("s", "a:0");
    assert.equal(replay?.complete, true, "the stream ended in the same call");
    settleBatch(last);
    await last.done;
    assert.equal(ended, true);
  });
});

describe("a stream's guarded work", () => {
  it("is abandoned once the clock runs out, not when adopted, renewed or finished", async () => {
    const clock = new VirtualScheduler({ manual: true });
    const orphans = new OrphanWatch(100, clock);
    const reasons: GiveUpReason[] = [];
    const stream = { finished: false };
    const guard = new WorkGuard(orphans, stream, { abandon: (reason) => reasons.push(reason) });
    guard.orphaned();
    await clock.advance(60);
    guard.adopted();
    await clock.advance(100);
    assert.deepEqual(reasons, [], "adopted in time");

    guard.orphaned();
    await clock.advance(60);
    guard.renew();
    await clock.advance(60);
    assert.deepEqual(reasons, [], "renewed before the deadline");
    await clock.advance(60);
    assert.deepEqual(reasons, ["abandoned"]);

    stream.finished = true;
    guard.orphaned();
    await clock.advance(200);
    assert.deepEqual(reasons, ["abandoned"], "a finished stream's work is not abandoned");
    orphans.close();
  });
});
