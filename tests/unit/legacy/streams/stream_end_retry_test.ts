/**
 * recordEndLater: the end of a stream the log failed under is recorded once
 * storage answers again (the errors, then the end, in one call), retried
 * only while storage is unavailable, and given up (reported) past its bound.
 * Its backoff elapses on a manual clock (the `scheduler` argument), not in real time.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import { MAX_RETRY_MS, recordEndLater } from "../../../../src/legacy/streams/stream_end_retry.ts";
import { StorageUnavailableError } from "../../../../src/storage_unavailable.ts";
import { until, VirtualScheduler } from "../../../helpers.ts";

/** A memory log whose appends fail with `failure()` while it returns an error. */
function flakyLog(failure: () => Error | undefined) {
  const log = new MemoryEventLog();
  let calls = 0;
  const appendMany = log.appendMany.bind(log);
  log.appendMany = (...args: Parameters<typeof appendMany>) => {
    calls++;
    const error = failure();
    return error === undefined ? appendMany(...args) : Promise.reject(error);
  };
  return { log, calls: () => calls };
}

it("records the errors and the end once storage answers again", async () => {
  let failures = 2;
  const { log, calls } = flakyLog(() =>
    failures-- > 0 ? new StorageUnavailableError("down") : undefined
  );
  await log.open("s", "st");
  const reported: unknown[] = [];
  const scheduler = new VirtualScheduler({ manual: true });
  recordEndLater(log, "s", "st", ['{"id":1}'], (error) => reported.push(error), scheduler);
  await scheduler.advance(249);
  assert.equal(calls(), 0, "the first attempt waits 250 ms");
  await scheduler.advance(1);
  assert.equal(calls(), 1);
  await scheduler.advance(250);
  assert.equal(calls(), 2, "then 250 ms more");
  await scheduler.advance(499);
  assert.equal(calls(), 2, "then twice as long");
  await scheduler.advance(1);
  await until(
    async () => (await log.replayAfter("s", "st:0"))?.complete === true,
    "the end",
  );
  const replay = await log.replayAfter("s", "st:0");
  assert.deepEqual(replay?.events.map((event) => event.data), ['{"id":1}']);
  assert.equal(calls(), 3, "two failures, then the write");
  assert.deepEqual(reported, []);
});

it("does not retry a failure that is not a storage outage: it is reported", async () => {
  const { log, calls } = flakyLog(() => new TypeError("a bug"));
  const reported: unknown[] = [];
  const scheduler = new VirtualScheduler({ manual: true });
  recordEndLater(log, "s", "st", [], (error) => reported.push(error), scheduler);
  await scheduler.advance(250);
  await until(() => Promise.resolve(reported.length === 1), "the report");
  await scheduler.advance(60_000);
  assert.equal(calls(), 1);
  assert.equal(scheduler.pending, 0, "no retry left");
  assert.ok(reported[0] instanceof TypeError);
});

it("gives up past its bound, reporting the last failure", async () => {
  const { log, calls } = flakyLog(() => new StorageUnavailableError("down"));
  const reported: unknown[] = [];
  const scheduler = new VirtualScheduler({ manual: true });
  recordEndLater(log, "s", "st", [], (error) => reported.push(error), scheduler);
  await scheduler.advance(250);
  await until(() => Promise.resolve(calls() === 1), "the first attempt");
  scheduler.time = MAX_RETRY_MS; // the clock jumps past the bound before the next attempt
  await scheduler.advance(250);
  await until(() => Promise.resolve(reported.length === 1), "the report");
  await scheduler.advance(60_000);
  assert.equal(calls(), 2, "one more attempt, then no more");
  assert.ok(reported[0] instanceof StorageUnavailableError);
});
