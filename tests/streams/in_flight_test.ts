/** The in-flight request registry: cancellation by (session, id), and token-guarded release. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { InFlightRegistry } from "../../src/streams/in_flight.ts";

describe("InFlightRegistry", () => {
  it("cancel aborts the registered request with reason cancelled", () => {
    const registry = new InFlightRegistry();
    const handle = registry.register("s1", 1);
    assert.equal(registry.cancel("s1", 1), true);
    assert.equal(handle.signal.aborted, true);
    assert.equal(handle.signal.reason, "cancelled");
  });

  it("cancel of an unknown request, or of another session's, does nothing", () => {
    const registry = new InFlightRegistry();
    const handle = registry.register("s1", 1);
    assert.equal(registry.cancel("s2", 1), false);
    assert.equal(registry.cancel("s1", 2), false);
    assert.equal(registry.cancel("s1", "1"), false, "string and number ids are distinct");
    assert.equal(handle.signal.aborted, false);
  });

  it("a late release of an old registration does not remove a newer one with the same key", () => {
    const registry = new InFlightRegistry();
    const old = registry.register("s1", 7);
    const newer = registry.register("s1", 7);
    assert.equal(registry.size, 1);
    old.release(); // the old request finishes after the id was reused
    assert.equal(registry.size, 1);
    assert.equal(registry.has("s1"), true);
    assert.equal(registry.cancel("s1", 7), true, "the newer registration must still be cancellable");
    assert.equal(newer.signal.aborted, true);
    assert.equal(old.signal.aborted, false);
    newer.release();
    assert.equal(registry.size, 0);
    assert.equal(registry.has("s1"), false);
  });

  it("release removes the entry once; releasing twice does not corrupt the count", () => {
    const registry = new InFlightRegistry();
    const a = registry.register("s1", 1);
    registry.register("s1", 2);
    a.release();
    a.release();
    assert.equal(registry.size, 1);
    assert.equal(registry.cancel("s1", 1), false);
    assert.equal(registry.cancel("s1", 2), true);
  });

  it("cancelSession aborts only that session's requests, with reason session-ended", () => {
    const registry = new InFlightRegistry();
    const a1 = registry.register("a", 1);
    const a2 = registry.register("a", 2);
    const b1 = registry.register("b", 1);
    assert.equal(registry.cancelSession("a"), 2);
    assert.equal(a1.signal.reason, "session-ended");
    assert.equal(a2.signal.aborted, true);
    assert.equal(b1.signal.aborted, false);
    assert.equal(registry.size, 1);
    assert.equal(registry.has("a"), false);
    // Releases after the session ended are harmless.
    a1.release();
    assert.equal(registry.size, 1);
    assert.equal(registry.cancelSession("a"), 0);
  });

  it("cancelAll aborts everything with reason server-closed", () => {
    const registry = new InFlightRegistry();
    const handles = [registry.register("a", 1), registry.register("b", 1), registry.register("b", "x")];
    registry.cancelAll();
    for (const handle of handles) assert.equal(handle.signal.reason, "server-closed");
    assert.equal(registry.size, 0);
  });
});
