/**
 * SlowCalls tells a call it has run long from ticks of one interval timer,
 * without reading a clock per call: never before the delay, only calls still
 * running, and the timer stops once nothing runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlowCalls } from "../../src/streams/slow_calls.ts";

const DELAY_MS = 40;
/** Timers may fire up to a millisecond early on some runtimes. */
const TIMER_SLACK_MS = 2;

class Call {
  toldAt: number[] = [];
  readonly addedAt = performance.now();
  slow(): void {
    this.toldAt.push(performance.now());
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("SlowCalls", () => {
  it("tells a running call only once the delay has passed, and keeps telling it", async () => {
    const calls = new SlowCalls<Call>(DELAY_MS);
    const call = new Call();
    calls.add(call);
    try {
      while (call.toldAt.length < 2) await sleep(5);
      assert.ok(
        call.toldAt[0] - call.addedAt >= DELAY_MS - TIMER_SLACK_MS,
        `told after ${call.toldAt[0] - call.addedAt} ms`,
      );
    } finally {
      calls.stop();
    }
  });

  it("a call added between ticks still waits the whole delay", async () => {
    const calls = new SlowCalls<Call>(DELAY_MS);
    const first = new Call();
    calls.add(first); // starts the timer
    try {
      await sleep(DELAY_MS / 2 - 5); // just before the first tick
      const late = new Call();
      calls.add(late);
      while (late.toldAt.length === 0) await sleep(5);
      assert.ok(
        late.toldAt[0] - late.addedAt >= DELAY_MS - TIMER_SLACK_MS,
        `told after ${late.toldAt[0] - late.addedAt} ms`,
      );
    } finally {
      calls.stop();
    }
  });

  it("a call deleted before the delay is never told, and the timer stops when none runs", async () => {
    const calls = new SlowCalls<Call>(DELAY_MS);
    const quick = new Call();
    const slow = new Call();
    calls.add(quick);
    calls.add(slow);
    calls.delete(quick);
    assert.equal(calls.size, 1);
    try {
      while (slow.toldAt.length === 0) await sleep(5);
      assert.deepEqual(quick.toldAt, []);
      calls.delete(slow);
      assert.equal(calls.size, 0);
      const told = slow.toldAt.length;
      await sleep(DELAY_MS * 2);
      assert.equal(slow.toldAt.length, told);
    } finally {
      calls.stop();
    }
  });
});
