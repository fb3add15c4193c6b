/**
 * recordEndLater: the end of a stream the log failed under is recorded once
 * storage answers again (the errors, then the end, in one call), retried
 * only while storage is unavailable, and given up (reported) past its bound.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { MemoryEventLog } from "../../../src/storage/mod.ts";
import { MAX_RETRY_MS, recordEndLater } from "../../../src/legacy/stream_end_retry.ts";
import { StorageUnavailableError } from "../../../src/storage_unavailable.ts";
import { until } from "../../helpers.ts";

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
  recordEndLater(log, "s", "st", ['{"id":1}'], (error) => reported.push(error));
  await until(
    async () => (await log.replayAfter("s", "st:0"))?.complete === true,
    "the end",
    10_000,
  );
  const replay = await log.replayAfter("s", "st:0");
  assert.deepEqual(replay?.events.map((event) => event.data), ['{"id":1}']);
  assert.equal(calls(), 3, "two failures, then the write");
  assert.deepEqual(reported, []);
});

it("does not retry a failure that is not a storage outage: it is reported", async () => {
  const { log, calls } = flakyLog(() => new TypeError("a bug"));
  const reported: unknown[] = [];
  recordEndLater(log, "s", "st", [], (error) => reported.push(error));
  await until(() => Promise.resolve(reported.length === 1), "the report", 10_000);
  assert.equal(calls(), 1);
  assert.ok(reported[0] instanceof TypeError);
});

it("gives up past its bound, reporting the last failure", async () => {
  const { log, calls } = flakyLog(() => new StorageUnavailableError("down"));
  const reported: unknown[] = [];
  let now = 0;
  recordEndLater(log, "s", "st", [], (error) => reported.push(error), () => now);
  await until(() => Promise.resolve(calls() === 1), "the first attempt", 10_000);
  now = MAX_RETRY_MS; // the clock jumps past the bound before the next attempt
  await until(() => Promise.resolve(reported.length === 1), "the report", 10_000);
  assert.equal(calls(), 2, "one more attempt, then no more");
  assert.ok(reported[0] instanceof StorageUnavailableError);
});
