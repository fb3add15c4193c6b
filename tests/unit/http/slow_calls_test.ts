/**
 * SlowCalls tells a call it has run long from ticks of one interval timer,
 * without reading a clock per call: never before the delay, only calls still
 * running, and the timer stops once nothing runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlowCalls } from "../../../src/http/slow_calls.ts";
import { sleep, until } from "../../helpers.ts";

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

/** Waits (at most 2 s) until `call` has been told `times` times; asserts the first came no earlier than the delay. */
async function toldAfterDelay(call: Call, times = 1): Promise<void> {
  await until(() => call.toldAt.length >= times, `the call to be told ${times} time(s)`, 2_000);
  const waited = call.toldAt[0] - call.addedAt;
  assert.ok(waited >= DELAY_MS - TIMER_SLACK_MS, `told after ${waited} ms`);
}

describe("SlowCalls", () => {
  it("tells a running call only once the delay has passed, and keeps telling it", async () => {
    const calls = new SlowCalls<Call>(DELAY_MS);
    const call = new Call();
    calls.add(call);
    try {
      await toldAfterDelay(call, 2);
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
      await toldAfterDelay(late);
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
      await toldAfterDelay(slow);
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

  it("adding a watched call again counts it once; deleting one that is not watched changes nothing", () => {
    const calls = new SlowCalls<Call>(DELAY_MS);
    const other = new SlowCalls<Call>(DELAY_MS);
    const call = new Call();
    try {
      calls.add(call);
      calls.add(call);
      assert.equal(calls.size, 1);
      other.delete(call); // watched elsewhere: left alone
      assert.equal(calls.size, 1);
      assert.ok(calls.has(call));
      calls.delete(call);
      calls.delete(call);
      assert.equal(calls.size, 0);
      assert.ok(!calls.has(call));
    } finally {
      calls.stop();
      other.stop();
    }
  });

  it("a call whose slow() ends another's watch: that one is not told", async () => {
    const calls = new SlowCalls<Call>(DELAY_MS);
    const second = new Call();
    const first = new (class extends Call {
      override slow(): void {
        super.slow();
        calls.delete(second);
      }
    })();
    calls.add(first);
    calls.add(second);
    try {
      await toldAfterDelay(first);
      assert.deepEqual(second.toldAt, []);
      assert.equal(calls.size, 1);
    } finally {
      calls.stop();
    }
  });
});
