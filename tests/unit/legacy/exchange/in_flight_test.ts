/** The in-flight request registry: cancellation by (session, id), refusal of reused ids and of a full session, token-guarded release. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type InFlightHandle,
  InFlightRegistry,
} from "../../../../src/legacy/exchange/in_flight.ts";

function isHandle(value: unknown): value is InFlightHandle {
  return typeof value === "object" && value !== null;
}

/** The handle of a registration that must have been accepted. */
function handleOf(value: unknown): InFlightHandle {
  assert.ok(isHandle(value), `expected a registration, got ${String(value)}`);
  return value;
}

describe("InFlightRegistry", () => {
  it("cancel aborts the registered request with reason cancelled", () => {
    const registry = new InFlightRegistry();
    const handle = handleOf(registry.register("s1", 1));
    assert.equal(registry.cancel("s1", 1), true);
    assert.equal(handle.signal.aborted, true);
    assert.equal(handle.signal.reason, "cancelled");
  });

  it("cancel of an unknown request, or of another session's, does nothing", () => {
    const registry = new InFlightRegistry();
    const handle = handleOf(registry.register("s1", 1));
    assert.equal(registry.cancel("s2", 1), false);
    assert.equal(registry.cancel("s1", 2), false);
    assert.equal(registry.cancel("s1", "1"), false, "string and number ids are distinct");
    assert.equal(handle.signal.aborted, false);
  });

  it("a request id still in flight in the session is refused, and the first stays reachable", () => {
    const registry = new InFlightRegistry();
    const first = handleOf(registry.register("s1", 7));
    assert.equal(registry.register("s1", 7), "duplicate-id");
    assert.equal(registry.size, 1);
    assert.equal(
      registry.cancel("s1", 7),
      true,
      "the first registration must still be cancellable",
    );
    assert.equal(first.signal.reason, "cancelled");
    // Aborted but still running: the id stays taken until the first request returns.
    assert.equal(registry.register("s1", 7), "duplicate-id");
    first.release();
    assert.equal(registry.size, 0);
    assert.ok(isHandle(registry.register("s1", 7)), "once released, the id may be used again");
  });

  it("the same id in another session, or typed differently, is not a duplicate", () => {
    const registry = new InFlightRegistry();
    assert.ok(isHandle(registry.register("s1", 7)));
    assert.ok(isHandle(registry.register("s2", 7)));
    assert.ok(isHandle(registry.register("s1", "7")));
    assert.equal(registry.size, 3);
  });

  it("releasing one registration leaves the others in flight and cancellable", () => {
    const registry = new InFlightRegistry();
    const a = handleOf(registry.register("s1", 1));
    const b = handleOf(registry.register("s1", 2));
    a.release();
    a.release();
    assert.equal(registry.size, 1);
    assert.equal(registry.cancel("s1", 2), true);
    assert.equal(b.signal.aborted, true);
    assert.equal(a.signal.aborted, false);
  });

  it("a session going from one request to several and back keeps every entry reachable", () => {
    // One request is kept as it is, two or more in a Map: each way across must lose nothing.
    const registry = new InFlightRegistry();
    const a = handleOf(registry.register("s1", 1, "tools/call"));
    const b = handleOf(registry.register("s1", 2, "tools/list"));
    assert.equal(registry.inFlightOf("s1"), 2);
    a.release();
    assert.equal(registry.inFlightOf("s1"), 1);
    assert.equal(
      registry.register("s1", 2),
      "duplicate-id",
      "the one left is still known by its id",
    );
    const again = handleOf(registry.register("s1", 1));
    const c = handleOf(registry.register("s1", "1"));
    assert.equal(registry.inFlightOf("s1"), 3);
    assert.deepEqual(registry.describe().map(({ id }) => id).sort(), [1, 2, "1"].sort());
    assert.equal(registry.cancel("s1", 2), true);
    assert.equal(b.signal.reason, "cancelled");
    b.release();
    c.release();
    assert.equal(registry.inFlightOf("s1"), 1);
    assert.equal(registry.cancelSession("s1"), 1);
    assert.equal(again.signal.reason, "session-ended");
    assert.equal(a.signal.aborted, false, "a released entry is not aborted with its session");
    again.release();
    assert.equal(registry.size, 0);
    assert.equal(registry.has("s1"), false);
    assert.equal(registry.inFlightOf("s1"), 0);
  });

  it("maxPerSession 1 refuses a second request while the first runs", () => {
    const registry = new InFlightRegistry({ maxPerSession: 1 });
    const a = handleOf(registry.register("s1", 1));
    assert.equal(registry.register("s1", 2), "session-full");
    assert.equal(registry.register("s1", 1), "duplicate-id");
    assert.equal(registry.refusedAtCap, 1);
    a.release();
    assert.ok(isHandle(registry.register("s1", 2)));
  });

  it("a session at maxPerSession refuses more requests until one is released", () => {
    const registry = new InFlightRegistry({ maxPerSession: 2 });
    const a = handleOf(registry.register("s1", 1));
    handleOf(registry.register("s1", 2));
    assert.equal(registry.register("s1", 3), "session-full");
    assert.ok(isHandle(registry.register("s2", 3)), "another session has its own allowance");
    assert.equal(registry.inFlightOf("s1"), 2);
    a.release();
    assert.ok(isHandle(registry.register("s1", 3)));
    assert.equal(registry.register("s1", 4), "session-full");
  });

  it("aborted requests count until they return: ending a session cannot hide running work", () => {
    const registry = new InFlightRegistry({ maxPerSession: 2 });
    const a = handleOf(registry.register("s1", 1));
    handleOf(registry.register("s1", 2));
    registry.cancelSession("s1");
    assert.equal(a.signal.reason, "session-ended");
    assert.equal(registry.size, 2, "both handlers are still running");
    assert.equal(registry.register("s1", 3), "session-full");
    registry.cancelAll();
    assert.equal(a.signal.reason, "session-ended", "a second abort does not change the reason");
    a.release();
    assert.equal(registry.size, 1);
  });

  it("release removes the entry once; releasing twice does not corrupt the count", () => {
    const registry = new InFlightRegistry();
    const a = handleOf(registry.register("s1", 1));
    registry.register("s1", 2);
    a.release();
    a.release();
    assert.equal(registry.size, 1);
    assert.equal(registry.cancel("s1", 1), false);
    assert.equal(registry.cancel("s1", 2), true);
  });

  it("cancelSession aborts only that session's requests, with reason session-ended", () => {
    const registry = new InFlightRegistry();
    const a1 = handleOf(registry.register("a", 1));
    const a2 = handleOf(registry.register("a", 2));
    const b1 = handleOf(registry.register("b", 1));
    assert.equal(registry.cancelSession("a"), 2);
    assert.equal(a1.signal.reason, "session-ended");
    assert.equal(a2.signal.aborted, true);
    assert.equal(b1.signal.aborted, false);
    assert.equal(registry.size, 3, "aborted handlers still run until they return");
    a1.release();
    a2.release();
    assert.equal(registry.size, 1);
    assert.equal(registry.has("a"), false);
    assert.equal(registry.cancelSession("a"), 0);
  });

  it("cancelAll aborts everything with reason server-closed", () => {
    const registry = new InFlightRegistry();
    const handles = [
      handleOf(registry.register("a", 1)),
      handleOf(registry.register("b", 1)),
      handleOf(registry.register("b", "x")),
    ];
    registry.cancelAll();
    for (const handle of handles) assert.equal(handle.signal.reason, "server-closed");
    for (const handle of handles) handle.release();
    assert.equal(registry.size, 0);
  });

  it("a session whose requests returned reads as idle everywhere, and serves its next request", () => {
    const registry = new InFlightRegistry();
    const first = handleOf(registry.register("a", 1));
    const other = handleOf(registry.register("b", 1));
    first.release();
    assert.equal(registry.has("a"), false);
    assert.equal(registry.inFlightOf("a"), 0);
    assert.deepEqual([...registry.sessionKeys()], ["b"]);
    assert.equal(registry.cancel("a", 1), false);
    assert.equal(registry.cancelSession("a"), 0);
    assert.deepEqual(registry.describe(), [{ id: 1, method: undefined }]);
    const next = handleOf(registry.register("a", 1));
    assert.equal(registry.has("a"), true);
    assert.equal(registry.cancel("a", 1), true);
    assert.equal(next.signal.reason, "cancelled");
    assert.equal(other.signal.aborted, false);
  });

  it("idle sessions are forgotten in sweeps, so the registry stays bounded while sessions come and go", () => {
    const registry = new InFlightRegistry();
    // One call in each of 10,000 sessions, one after another, and one session busy throughout.
    const busy = handleOf(registry.register("busy", 1));
    let most = 0;
    for (let i = 0; i < 10_000; i++) {
      handleOf(registry.register(`s${i}`, 1)).release();
      most = Math.max(most, registry.known);
    }
    assert.ok(most <= 1025, `at most one sweep's worth of sessions is remembered (saw ${most})`);
    assert.equal(registry.size, 1);
    assert.equal(registry.has("busy"), true, "a sweep keeps the sessions with requests in flight");
    assert.equal(registry.cancel("busy", 1), true);
    assert.equal(busy.signal.reason, "cancelled");
  });

  it("a session that calls again and again keeps one key, without a sweep", () => {
    const registry = new InFlightRegistry();
    for (let i = 0; i < 5_000; i++) handleOf(registry.register("a", i)).release();
    assert.equal(registry.known, 1);
    assert.equal(registry.size, 0);
  });
});
