/** OrphanWatch: one timer abandons every orphan not adopted within the timeout, in order. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { OrphanWatch } from "../../../../src/legacy/streams/orphan_watch.ts";
import { deferred, VirtualScheduler, within } from "../../../helpers.ts";

describe("OrphanWatch", () => {
  it("abandons an orphan that is not adopted within the timeout (on the runtime's timers)", async () => {
    const watch = new OrphanWatch(20);
    const abandoned = deferred();
    watch.watch(() => abandoned.resolve());
    assert.equal(watch.size, 1);
    await within(abandoned.promise, 2_000, "the orphan to be abandoned");
    assert.equal(watch.size, 0);
    watch.close();
  });

  it("abandons an orphan at its deadline on the scheduler's clock, not before", async () => {
    const scheduler = new VirtualScheduler({ manual: true });
    const watch = new OrphanWatch(20, scheduler);
    let abandoned = 0;
    watch.watch(() => abandoned++);
    await scheduler.advance(19);
    assert.equal(abandoned, 0, "not before its timeout");
    await scheduler.advance(1);
    assert.equal(abandoned, 1);
    assert.equal(watch.size, 0);
    watch.close();
  });

  it("an orphan adopted before its deadline is never abandoned; adopting twice is harmless", async () => {
    const scheduler = new VirtualScheduler({ manual: true });
    const watch = new OrphanWatch(30, scheduler);
    let abandoned = 0;
    let control = 0;
    const adopt = watch.watch(() => abandoned++);
    watch.watch(() => control++); // the positive control, watched at the same time
    adopt();
    adopt();
    assert.equal(watch.size, 1);
    await scheduler.advance(30);
    assert.equal(control, 1, "the control orphan was abandoned");
    await scheduler.advance(30);
    assert.equal(abandoned, 0);
    watch.close();
  });

  it("abandons orphans in the order they were watched, each after its own full timeout", async () => {
    const scheduler = new VirtualScheduler({ manual: true });
    const watch = new OrphanWatch(20, scheduler);
    const order: string[] = [];
    watch.watch(() => order.push("a"));
    await scheduler.advance(10);
    watch.watch(() => order.push("b"));
    await scheduler.advance(15); // a is due, b is not
    assert.deepEqual(order, ["a"]);
    watch.watch(() => order.push("c"));
    await scheduler.advance(4); // 29: b is due at 30
    assert.deepEqual(order, ["a"]);
    await scheduler.advance(1);
    assert.deepEqual(order, ["a", "b"]);
    await scheduler.advance(75); // everything is due
    assert.deepEqual(order, ["a", "b", "c"]);
    watch.close();
  });

  it("a callback may watch again: the new orphan waits its own timeout", async () => {
    const scheduler = new VirtualScheduler({ manual: true });
    const watch = new OrphanWatch(15, scheduler);
    const second = deferred();
    let secondAt: number | undefined;
    watch.watch(() =>
      watch.watch(() => {
        secondAt = scheduler.now();
        second.resolve();
      })
    );
    await scheduler.advance(29);
    assert.equal(secondAt, undefined, "not before its own timeout");
    await scheduler.advance(1);
    await within(second.promise, 2_000, "the second orphan to be abandoned");
    assert.equal(secondAt, 30);
    assert.equal(watch.size, 0);
    watch.close();
  });

  it("close() forgets every orphan without calling back", async () => {
    const scheduler = new VirtualScheduler({ manual: true });
    const watch = new OrphanWatch(10, scheduler);
    let abandoned = 0;
    for (let i = 0; i < 3; i++) watch.watch(() => abandoned++);
    watch.close();
    assert.equal(watch.size, 0);
    assert.equal(scheduler.pending, 0, "its timer is cleared");
    await scheduler.advance(40);
    assert.equal(abandoned, 0);
  });
});
