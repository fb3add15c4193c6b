/**
 * On a bus addressed to owners (one with `release`), an instance that gets a
 * session's message and holds nothing of that session a moment later
 * releases it, once, with the time the message came (so a request that came
 * in since keeps it a holder); one that holds the session, or a message that
 * names none, releases nothing; a bus without `release` is never asked.
 * The moment elapses on a manual clock (the delivery's `scheduler`).
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { MemoryBus } from "../../../src/storage/mod.ts";
import { RELEASE_AFTER_MS, SharedDelivery } from "../../../src/bus/delivery.ts";
import { until, VirtualScheduler } from "../../helpers.ts";

/** A memory bus that records what it is told to release. */
class ReleasingBus extends MemoryBus {
  released: { sessionId: string; unusedSince: number }[] = [];
  release(sessionId: string, unusedSince: number): Promise<void> {
    this.released.push({ sessionId, unusedSince });
    return Promise.resolve();
  }
}

it("a session's message to an instance that holds nothing of it: the session is released once", async () => {
  const here = new ReleasingBus();
  const there = here.peer();
  const held = new Set(["kept"]);
  const scheduler = new VirtualScheduler({ manual: true });
  const delivery = new SharedDelivery(
    here,
    () => Promise.resolve(0),
    (error) => assert.fail(String(error)),
    (sessionId) => held.has(sessionId),
    scheduler,
  );
  try {
    await delivery.ready();
    const before = Date.now();
    await there.publish({ type: "cancel", sessionId: "idle", requestId: 1 });
    await there.publish({ type: "notify", sessionId: "idle", notification: { method: "n" } });
    await there.publish({ type: "cancel", sessionId: "kept", requestId: 2 });
    await there.publish({ type: "resource-updated", uri: "test://r" });
    await there.publish({ type: "session-ended", sessionId: "ended" });
    await until(() => scheduler.pending === 1, "the release to be considered");
    await scheduler.advance(RELEASE_AFTER_MS - 1);
    assert.equal(here.released.length, 0, "not before RELEASE_AFTER_MS");
    await scheduler.advance(1);
    await until(() => here.released.length > 0, "the release");
    await scheduler.advance(RELEASE_AFTER_MS); // any second release would be due too
    assert.equal(here.released.length, 1, JSON.stringify(here.released));
    assert.equal(here.released[0].sessionId, "idle");
    assert.ok(here.released[0].unusedSince >= before, "the time the message came, not later");
  } finally {
    delivery.close();
  }
});
