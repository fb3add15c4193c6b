/**
 * ModernInFlight records a request that outlived its grace with the bus's
 * tracker (once, however often it is told), forgets it when it ends (after
 * the recording, never before), cancels it when a cancellation came first
 * (the tracker says so), and lets it run on when recording fails.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { RequestTracker } from "../../../src/bus/delivery.ts";
import type { RequestId } from "../../../src/jsonrpc/messages.ts";
import { ModernInFlight, type RunningRequest } from "../../../src/modern/in_flight.ts";
import { until } from "../../helpers.ts";

/** A running request that remembers its aborts. */
function request(id: RequestId): RunningRequest & { aborts: string[] } {
  const aborts: string[] = [];
  return {
    ownerKey: "user:alice",
    id,
    method: "tools/call",
    slowWatch: undefined,
    aborts,
    slow() {},
    abort(reason: string) {
      aborts.push(reason);
    },
  };
}

/** A tracker whose answers the test gives, logging each call. */
function tracker(answer: () => Promise<boolean>): RequestTracker & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    track(ownerKey, requestId) {
      log.push(`track ${ownerKey} ${requestId}`);
      return answer();
    },
    untrack(ownerKey, requestId) {
      log.push(`untrack ${ownerKey} ${requestId}`);
      return Promise.resolve();
    },
  };
}

it("a request that outlived its grace is recorded once and forgotten when it ends", async () => {
  const requests = tracker(() => Promise.resolve(true));
  const work = new ModernInFlight(10, requests);
  const call = request(1);
  work.add(call);
  work.outlived(call);
  work.outlived(call);
  assert.deepEqual(requests.log, ["track user:alice 1"]);
  work.delete(call);
  await until(() => requests.log.length === 2, "untracked");
  assert.deepEqual(requests.log, ["track user:alice 1", "untrack user:alice 1"]);
  assert.deepEqual(call.aborts, []);
  work.stop();
});

it("a request not watched, or with no tracker, is not recorded", () => {
  const requests = tracker(() => Promise.resolve(true));
  const work = new ModernInFlight(10, requests);
  work.outlived(request(2));
  assert.deepEqual(requests.log, []);
  const untracked = new ModernInFlight(10);
  const call = request(3);
  untracked.add(call);
  untracked.outlived(call); // nothing to record with: no throw
  untracked.stop();
  work.stop();
});

it("a cancellation that came first cancels the request, which is never untracked", async () => {
  const requests = tracker(() => Promise.resolve(false));
  const marked = new ModernInFlight(10, requests);
  const call = request("m");
  marked.add(call);
  marked.outlived(call);
  await until(() => call.aborts.length === 1, "cancelled");
  assert.deepEqual(call.aborts, ["cancelled"]);
  marked.delete(call);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(requests.log, ["track user:alice m"]);
  marked.stop();
});

it("a recording that fails is reported and the request runs on", async () => {
  const errors: unknown[] = [];
  const requests = tracker(() => Promise.reject(new Error("redis away")));
  const work = new ModernInFlight(10, requests, (error) => errors.push(error));
  const call = request(4);
  work.add(call);
  work.outlived(call);
  await until(() => errors.length === 1, "reported");
  assert.deepEqual(call.aborts, []);
  work.delete(call);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(requests.log, ["track user:alice 4"], "nothing to untrack");
  work.stop();
});
