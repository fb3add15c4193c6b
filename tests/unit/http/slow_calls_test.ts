/**
 * SlowCalls tells a call it has run long from ticks of one timer, without
 * reading a clock per call: never before the delay, only calls still running,
 * and the timer stops once nothing runs. On a manual VirtualScheduler (the
 * handler's `scheduler`): time is advanced, not waited for.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlowCalls } from "../../../src/http/slow_calls.ts";
import { VirtualScheduler } from "../../helpers.ts";

const DELAY_MS = 40;

class Call {
  toldAt: number[] = [];
  readonly addedAt: number;
  readonly #clock: VirtualScheduler;
  constructor(clock: VirtualScheduler) {
    this.#clock = clock;
    this.addedAt = clock.now();
  }
  slow(): void {
    this.toldAt.push(this.#clock.now());
  }
}

/** A watch on a manual clock: ticks every DELAY_MS / 2. */
function watch() {
  const clock = new VirtualScheduler({ manual: true });
  return { clock, calls: new SlowCalls<Call>(DELAY_MS, 2, clock) };
}

describe("SlowCalls", () => {
  it("tells a running call only once the delay has passed, and keeps telling it", async () => {
    const { clock, calls } = watch();
    const call = new Call(clock);
    calls.add(call);
    try {
      await clock.advance(DELAY_MS);
      assert.deepEqual(call.toldAt, [], "not at the delay's own tick: it may have come at once");
      await clock.advance(DELAY_MS / 2);
      assert.deepEqual(call.toldAt, [DELAY_MS * 1.5], "at most half a delay late");
      await clock.advance(DELAY_MS / 2);
      assert.deepEqual(call.toldAt, [DELAY_MS * 1.5, DELAY_MS * 2], "and at each tick after");
    } finally {
      calls.stop();
    }
  });

  it("a call added between ticks still waits the whole delay", async () => {
    const { clock, calls } = watch();
    calls.add(new Call(clock)); // starts the timer
    try {
      await clock.advance(DELAY_MS / 2 - 1); // just before the first tick
      const late = new Call(clock);
      calls.add(late);
      await clock.advance(DELAY_MS);
      assert.deepEqual(late.toldAt, []);
      await clock.advance(DELAY_MS / 2);
      assert.equal(late.toldAt.length, 1);
      assert.ok(late.toldAt[0] - late.addedAt >= DELAY_MS, `told after ${late.toldAt[0]} ms`);
    } finally {
      calls.stop();
    }
  });

  it("a call deleted before the delay is never told, and the timer stops when none runs", async () => {
    const { clock, calls } = watch();
    const quick = new Call(clock);
    const slow = new Call(clock);
    calls.add(quick);
    calls.add(slow);
    calls.delete(quick);
    assert.equal(calls.size, 1);
    try {
      await clock.advance(DELAY_MS * 1.5);
      assert.equal(slow.toldAt.length, 1);
      assert.deepEqual(quick.toldAt, []);
      calls.delete(slow);
      assert.equal(calls.size, 0);
      await clock.advance(DELAY_MS * 2);
      assert.equal(slow.toldAt.length, 1);
      assert.equal(clock.pending, 0, "no timer once nothing runs");
      calls.add(slow); // and a later call starts it again
      assert.equal(clock.pending, 1);
    } finally {
      calls.stop();
    }
    assert.equal(clock.pending, 0, "stop() clears it");
  });

  it("adding a watched call again counts it once; deleting one that is not watched changes nothing", () => {
    const { clock, calls } = watch();
    const other = new SlowCalls<Call>(DELAY_MS, 2, clock);
    const call = new Call(clock);
    try {
      calls.add(call);
      calls.add(call);
      assert.equal(calls.size, 1);
      assert.equal(clock.pending, 1, "one timer");
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
    const { clock, calls } = watch();
    const second = new Call(clock);
    const first = new (class extends Call {
      override slow(): void {
        super.slow();
        calls.delete(second);
      }
    })(clock);
    calls.add(first);
    calls.add(second);
    try {
      await clock.advance(DELAY_MS * 1.5);
      assert.equal(first.toldAt.length, 1);
      assert.deepEqual(second.toldAt, []);
      assert.equal(calls.size, 1);
    } finally {
      calls.stop();
    }
  });

  it("a tick whose call stops the timer sets no next tick; one whose call adds another sets one", async () => {
    const clock = new VirtualScheduler({ manual: true });
    class Watch extends SlowCalls<Call> {
      halt(): void {
        this.stopTimer();
      }
    }
    const calls = new Watch(DELAY_MS, 2, clock);
    const halting = new (class extends Call {
      override slow(): void {
        super.slow();
        calls.halt();
      }
    })(clock);
    calls.add(halting);
    try {
      await clock.advance(DELAY_MS * 1.5);
      assert.equal(halting.toldAt.length, 1);
      assert.equal(clock.pending, 0, "stopped inside its tick: not set again");
      assert.equal(calls.size, 1, "the calls stay");
      calls.delete(halting);
      const added = new Call(clock);
      const adding = new (class extends Call {
        override slow(): void {
          super.slow();
          calls.add(added);
        }
      })(clock);
      calls.add(adding);
      await clock.advance(DELAY_MS * 1.5);
      assert.equal(adding.toldAt.length, 1);
      assert.equal(clock.pending, 1, "one next tick, not two");
    } finally {
      calls.stop();
    }
  });
});
