/** OrphanWatch: one timer abandons every orphan not adopted within the timeout, in order. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { OrphanWatch } from "../../../src/legacy/orphan_watch.ts";
import { deferred, sleep, within } from "../../helpers.ts";

describe("OrphanWatch", () => {
  it("abandons an orphan that is not adopted within the timeout", async () => {
    const watch = new OrphanWatch(20);
    const abandoned = deferred();
    watch.watch(() => abandoned.resolve());
    assert.equal(watch.size, 1);
    await within(abandoned.promise, 2_000, "the orphan to be abandoned");
    assert.equal(watch.size, 0);
    watch.close();
  });

  it("an orphan adopted before its deadline is never abandoned; adopting twice is harmless", async () => {
    const watch = new OrphanWatch(30);
    let abandoned = 0;
    const control = deferred();
    const adopt = watch.watch(() => abandoned++);
    watch.watch(() => control.resolve()); // the positive control, watched at the same time
    adopt();
    adopt();
    assert.equal(watch.size, 1);
    await within(control.promise, 2_000, "the control orphan to be abandoned");
    await sleep(30);
    assert.equal(abandoned, 0);
    watch.close();
  });

  it("abandons orphans in the order they were watched, each after its own full timeout", async () => {
    let clock = 0;
    const watch = new OrphanWatch(20, () => clock);
    const order: string[] = [];
    const done = deferred();
    watch.watch(() => order.push("a"));
    clock = 10;
    watch.watch(() => order.push("b"));
    clock = 25; // a is due, b is not
    await sleep(40);
    assert.deepEqual(order, ["a"]);
    watch.watch(() => {
      order.push("c");
      done.resolve();
    });
    clock = 100; // everything is due
    await within(done.promise, 2_000, "the last orphan to be abandoned");
    assert.deepEqual(order, ["a", "b", "c"]);
    watch.close();
  });

  it("a callback may watch again: the new orphan waits its own timeout", async () => {
    const watch = new OrphanWatch(15);
    const second = deferred();
    watch.watch(() => watch.watch(() => second.resolve()));
    await within(second.promise, 2_000, "the second orphan to be abandoned");
    assert.equal(watch.size, 0);
    watch.close();
  });

  it("close() forgets every orphan without calling back", async () => {
    const watch = new OrphanWatch(10);
    let abandoned = 0;
    for (let i = 0; i < 3; i++) watch.watch(() => abandoned++);
    watch.close();
    assert.equal(watch.size, 0);
    await sleep(40);
    assert.equal(abandoned, 0);
  });
});
