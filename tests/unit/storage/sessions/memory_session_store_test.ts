/** The in-memory session store: cap, expiry, sweep, state copies and limits. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemorySessionStore } from "../../../../src/storage/sessions/memory_session_store.ts";
import type {
  ExpiredSession,
  SessionRecord,
} from "../../../../src/storage/sessions/session_store.ts";

const ids = (swept: ExpiredSession[]): string[] => swept.map((session) => session.id);

function record(id: string, expiresAt: number, createdAt = 0): SessionRecord {
  return {
    id,
    ownerKey: "user:alice",
    protocolVersion: "2025-11-25",
    clientCapabilities: {},
    createdAt,
    expiresAt,
  };
}

describe("MemorySessionStore: records", () => {
  it("creates up to maxSessions and refuses beyond", async () => {
    const store = new MemorySessionStore();
    assert.equal(await store.create(record("a", 1000), 2, 0), true);
    assert.equal(await store.create(record("b", 1000), 2, 0), true);
    assert.equal(await store.create(record("c", 1000), 2, 0), false);
    assert.equal(await store.size(), 2);
    assert.equal(await store.get("c", 0), undefined);
  });

  it("a full store refuses while expired records still count, and accepts once sweep has reported them", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", 500), 2, 0);
    await store.create(record("b", 5000), 2, 0);
    assert.equal(
      await store.create(record("c", 5000), 2, 1000),
      false,
      "expired but unswept records still count",
    );
    assert.deepEqual(ids(await store.sweep(1000)), ["a"], "sweep reports what it removes");
    assert.equal(await store.create(record("c", 5000), 2, 1000), true);
    assert.ok(await store.get("c", 1000));
  });

  it("get returns a live record; an expired one reads as missing and stays until sweep reports it", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", 1000), 10, 0);
    assert.equal((await store.get("a", 999))?.id, "a");
    assert.equal(await store.get("a", 1000), undefined);
    assert.equal(await store.size(), 1, "not removed silently: the handler must hear of it");
    assert.deepEqual(ids(await store.sweep(1000)), ["a"]);
    assert.equal(await store.size(), 0);
    assert.equal(await store.get("never", 0), undefined);
  });

  it("touch moves the deadline", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", 1000), 10, 0);
    await store.touch("a", 3000);
    assert.equal((await store.get("a", 2999))?.expiresAt, 3000);
    await store.touch("missing", 5000); // no effect, no throw
    assert.equal(await store.size(), 1);
  });

  it("sweep returns exactly the expired ids and keeps the live ones", async () => {
    const store = new MemorySessionStore();
    await store.create(record("old1", 100), 10, 0);
    await store.create(record("live", 10_000), 10, 0);
    await store.create(record("old2", 200), 10, 0);
    assert.deepEqual(ids(await store.sweep(200)).sort(), ["old1", "old2"]);
    assert.deepEqual(await store.sweep(200), []);
    assert.equal(await store.size(), 1);
    assert.ok(await store.get("live", 200));
  });

  it("update applies the log level and de-duplicated subscriptions", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", 1000), 10, 0);
    await store.update("a", { logLevel: "error" });
    await store.update("a", { subscribe: "x://1" });
    await store.update("a", { subscribe: "x://1" });
    await store.update("a", { subscribe: "x://2" });
    await store.update("a", { unsubscribe: "x://1" });
    const found = await store.get("a", 0);
    assert.equal(found?.logLevel, "error");
    assert.deepEqual(found?.subscriptions, ["x://2"]);
  });

  it("delete reports whether the session existed and drops its state", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", 1000), 10, 0);
    await store.writeState("a", "k", 1, 1000);
    assert.equal(await store.delete("a"), true);
    assert.equal(await store.delete("a"), false);
    assert.equal(await store.readState("a", "k"), undefined);
  });

  it("close drops every session", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", 1000), 10, 0);
    await store.close();
    assert.equal(await store.size(), 0);
  });
});

describe("MemorySessionStore: state", () => {
  async function storeWith(id = "a") {
    const store = new MemorySessionStore();
    await store.create(record(id, 1_000_000), 10, 0);
    return store;
  }

  it("values are copies: mutating the written or the read value does not change the stored one", async () => {
    const store = await storeWith();
    const value = { list: [1, 2] };
    await store.writeState("a", "k", value, 1000);
    value.list.push(3);
    const read1 = await store.readState("a", "k") as { list: number[] };
    assert.deepEqual(read1, { list: [1, 2] });
    read1.list.push(99);
    const read2 = await store.readState("a", "k");
    assert.deepEqual(read2, { list: [1, 2] });
    assert.notEqual(read1, read2);
  });

  it("updateState is atomic: concurrent increments are all counted", async () => {
    const store = await storeWith();
    await Promise.all(
      Array.from(
        { length: 100 },
        () => store.updateState("a", "n", (n) => ((n as number) ?? 0) + 1, 1000),
      ),
    );
    assert.equal(await store.readState("a", "n"), 100);
  });

  it("updateState passes a copy and returns a copy", async () => {
    const store = await storeWith();
    await store.writeState("a", "k", { n: 1 }, 1000);
    let seen: { n: number } | undefined;
    const returned = await store.updateState("a", "k", (current) => {
      seen = current as { n: number };
      return { n: seen.n + 1 };
    }, 1000) as { n: number };
    seen!.n = 500;
    returned.n = 600;
    assert.deepEqual(await store.readState("a", "k"), { n: 2 });
  });

  it("writing undefined deletes the key", async () => {
    const store = await storeWith();
    await store.writeState("a", "k", "v", 1000);
    await store.writeState("a", "k", undefined, 1000);
    assert.equal(await store.readState("a", "k"), undefined);
  });

  it("a write past maxBytes rejects with a RangeError and keeps the previous value", async () => {
    const store = await storeWith();
    await store.writeState("a", "k", "x".repeat(10), 50);
    await assert.rejects(store.writeState("a", "k", "x".repeat(100), 50), RangeError);
    assert.equal(await store.readState("a", "k"), "x".repeat(10));
    await assert.rejects(store.updateState("a", "k", () => "y".repeat(100), 50), RangeError);
    assert.equal(await store.readState("a", "k"), "x".repeat(10));
  });

  it("the limit is per session and counts every key; deleting frees room", async () => {
    const store = await storeWith();
    await store.create(record("b", 1_000_000), 10, 0);
    await store.writeState("a", "k1", "x".repeat(30), 50);
    await assert.rejects(store.writeState("a", "k2", "x".repeat(30), 50), RangeError);
    await store.writeState("b", "k2", "x".repeat(30), 50); // another session has its own budget
    await store.writeState("a", "k1", undefined, 50);
    await store.writeState("a", "k2", "x".repeat(30), 50);
    assert.equal(await store.readState("a", "k2"), "x".repeat(30));
  });

  it("overwriting a key counts only its new size", async () => {
    const store = await storeWith();
    for (let i = 0; i < 20; i++) await store.writeState("a", "k", "x".repeat(30), 50);
    assert.equal(await store.readState("a", "k"), "x".repeat(30));
  });

  it("a value that is not JSON-serialisable rejects with a TypeError", async () => {
    const store = await storeWith();
    await assert.rejects(store.writeState("a", "k", () => 1, 1000), TypeError);
    await assert.rejects(store.writeState("a", "k", 10n, 1000), TypeError);
  });

  it("a swept session's state goes with it: the id made again starts empty, with its whole budget", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", 100), 10, 0);
    await store.writeState("a", "k", "x".repeat(40), 50);
    assert.deepEqual(ids(await store.sweep(100)), ["a"]);
    await store.create(record("a", 1_000), 10, 100);
    assert.equal(await store.readState("a", "k"), undefined);
    await store.writeState("a", "j", "y".repeat(40), 50); // would not fit beside the old key
    assert.equal(await store.readState("a", "j"), "y".repeat(40));
  });

  it("state of a different or unknown session is separate", async () => {
    const store = await storeWith();
    await store.create(record("b", 1_000_000), 10, 0);
    await store.writeState("a", "k", "from a", 1000);
    assert.equal(await store.readState("b", "k"), undefined);
    await store.writeState("missing", "k", "v", 1000);
    assert.equal(await store.readState("missing", "k"), undefined);
    let called = false;
    assert.equal(await store.updateState("missing", "k", () => (called = true), 1000), undefined);
    assert.equal(called, false);
  });
});
