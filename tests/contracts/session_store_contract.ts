/**
 * The contract every `SessionStore` must meet, as a test suite any
 * implementation runs with its own factory: `describeSessionStore(name,
 * factory)`. It pins what the handler relies on: the cap, expiry as data
 * (get hides expired records, sweep reports them with their creation time
 * and deadline, which tell the idle TTL from the absolute one), touch, updates, state
 * copies and size limits, atomic updates, deletion, isolation between
 * sessions, and the share per owner (counted on create, given back by
 * delete and sweep). Not a test file itself; tests/contracts/*_test.ts run it.
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SessionRecord, SessionStore } from "../../src/storage/mod.ts";

/** Makes a fresh, empty store for one test (and disposes it after). */
export type SessionStoreFactory = () => SessionStore | Promise<SessionStore>;

function record(
  id: string,
  expiresAt: number,
  createdAt = 0,
  ownerKey = "user:alice",
): SessionRecord {
  return {
    id,
    ownerKey,
    protocolVersion: "2025-11-25",
    clientCapabilities: {},
    createdAt,
    expiresAt,
  };
}

/** What the store under test claims beyond the interface's required part. */
export interface SessionStoreClaims {
  /** It implements the optional `getAndTouch`. */
  getAndTouch?: boolean;
}

/** Runs the SessionStore contract against stores made by `factory`. */
export function describeSessionStore(
  name: string,
  factory: SessionStoreFactory,
  claims: SessionStoreClaims = {},
): void {
  describe(`SessionStore contract: ${name}`, () => {
    async function withStore(body: (store: SessionStore) => Promise<void>): Promise<void> {
      const store = await factory();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    }

    it("creates and reads a session; an unknown id is undefined", () =>
      withStore(async (store) => {
        assert.equal(await store.create(record("a", 1_000), 10, 0), true);
        assert.equal((await store.get("a", 0))?.ownerKey, "user:alice");
        assert.equal(await store.get("nope", 0), undefined);
        assert.equal(await store.size(), 1);
      }));

    it("refuses to create past maxSessions", () =>
      withStore(async (store) => {
        assert.equal(await store.create(record("a", 1_000), 2, 0), true);
        assert.equal(await store.create(record("b", 1_000), 2, 0), true);
        assert.equal(await store.create(record("c", 1_000), 2, 0), false);
        assert.equal(await store.get("c", 0), undefined);
        assert.equal(await store.size(), 2);
      }));

    it("hides an expired session from get, and sweep reports (id, createdAt, expiresAt) and removes it", () =>
      withStore(async (store) => {
        await store.create(record("old", 100, 7), 10, 7);
        await store.create(record("new", 10_000), 10, 0);
        assert.equal(await store.get("old", 101), undefined);
        assert.ok(await store.get("old", 99), "positive control: before its deadline it is there");
        const swept = await store.sweep(101);
        assert.deepEqual(
          swept.map(({ id, createdAt, expiresAt }) => ({ id, createdAt, expiresAt })),
          [{ id: "old", createdAt: 7, expiresAt: 100 }],
        );
        assert.deepEqual(await store.sweep(101), [], "sweep reports each expired session once");
        assert.equal(await store.size(), 1);
        assert.ok(await store.get("new", 101));
      }));

    it("touch moves the deadline", () =>
      withStore(async (store) => {
        await store.create(record("a", 100), 10, 0);
        await store.touch("a", 500);
        assert.ok(await store.get("a", 400));
        assert.deepEqual(await store.sweep(400), []);
        assert.deepEqual(
          (await store.sweep(500)).map(({ id, expiresAt }) => ({ id, expiresAt })),
          [{ id: "a", expiresAt: 500 }],
          "sweep reports the deadline touch set",
        );
      }));

    if (claims.getAndTouch) {
      it("getAndTouch: the owner's use moves the deadline, another's does not", () =>
        withStore(async (store) => {
          assert.equal(typeof store.getAndTouch, "function", "claimed: getAndTouch");
          const getAndTouch = store.getAndTouch!.bind(store);
          const use = { ownerKey: "user:alice", idleTtlMs: 300, absoluteTtlMs: 1_000 };
          await store.create(record("a", 100, 50), 10, 50);
          assert.equal(await getAndTouch("nope", 60, use), undefined);
          const mallory = await getAndTouch("a", 60, { ...use, ownerKey: "user:mallory" });
          assert.equal(mallory?.ownerKey, "user:alice", "the record, for the caller to refuse");
          assert.equal(
            await store.get("a", 100),
            undefined,
            "another principal's use touched nothing",
          );
          const alice = await getAndTouch("a", 90, use);
          assert.equal(alice?.id, "a");
          assert.equal(alice?.expiresAt, 390, "now + idle");
          assert.ok(await store.get("a", 389));
          for (const now of [380, 600, 850]) await getAndTouch("a", now, use);
          assert.deepEqual(
            (await store.sweep(1_050)).map(({ id, expiresAt }) => ({ id, expiresAt })),
            [{ id: "a", expiresAt: 1_050 }],
            "capped by createdAt + absolute",
          );
          assert.equal(await getAndTouch("a", 1_051, use), undefined, "gone once expired");
        }));
    }

    it("update applies the log level and subscriptions", () =>
      withStore(async (store) => {
        await store.create(record("a", 1_000), 10, 0);
        await store.update("a", { logLevel: "warning" });
        await store.update("a", { subscribe: "x://1" });
        await store.update("a", { subscribe: "x://2" });
        await store.update("a", { subscribe: "x://1" });
        await store.update("a", { unsubscribe: "x://2" });
        const session = await store.get("a", 0);
        assert.equal(session?.logLevel, "warning");
        assert.deepEqual(session?.subscriptions, ["x://1"]);
      }));

    it("state reads are copies, isolated per session, and deleted with undefined", () =>
      withStore(async (store) => {
        await store.create(record("a", 1_000), 10, 0);
        await store.create(record("b", 1_000), 10, 0);
        const value = { list: [1] };
        await store.writeState("a", "k", value, 1_024);
        value.list.push(2);
        const read = await store.readState("a", "k") as { list: number[] };
        assert.deepEqual(read, { list: [1] }, "the store kept a copy");
        read.list.push(3);
        assert.deepEqual(await store.readState("a", "k"), { list: [1] }, "a read is a copy");
        assert.equal(await store.readState("b", "k"), undefined, "sessions are isolated");
        await store.writeState("a", "k", undefined, 1_024);
        assert.equal(await store.readState("a", "k"), undefined);
      }));

    it("state is bounded in bytes: a write past maxBytes is refused and changes nothing", () =>
      withStore(async (store) => {
        await store.create(record("a", 1_000), 10, 0);
        await store.writeState("a", "k", "small", 64);
        await assert.rejects(store.writeState("a", "k", "x".repeat(100), 64), RangeError);
        assert.equal(await store.readState("a", "k"), "small");
        await assert.rejects(store.updateState("a", "k", () => "y".repeat(100), 64), RangeError);
        assert.equal(await store.readState("a", "k"), "small");
      }));

    it("updateState is atomic under concurrent updates", () =>
      withStore(async (store) => {
        await store.create(record("a", 1_000), 10, 0);
        await Promise.all(Array.from({ length: 50 }, () =>
          store.updateState("a", "n", (n) =>
            ((n as number | undefined) ?? 0) + 1, 1_024)));
        assert.equal(await store.readState("a", "n"), 50);
      }));

    it("delete removes the session and its state, once", () =>
      withStore(async (store) => {
        await store.create(record("a", 1_000), 10, 0);
        await store.writeState("a", "k", 1, 1_024);
        assert.equal(await store.delete("a"), true);
        assert.equal(await store.delete("a"), false);
        assert.equal(await store.get("a", 0), undefined);
        assert.equal(await store.readState("a", "k"), undefined);
        assert.equal(await store.size(), 0);
        assert.equal(
          await store.create(record("a2", 1_000), 1, 0),
          true,
          "a deleted session frees its place",
        );
      }));

    it("refuses an owner at maxPerOwner ('owner-full') while another owner still creates", () =>
      withStore(async (store) => {
        assert.equal(await store.create(record("a1", 1_000), 10, 0, 2), true);
        assert.equal(await store.create(record("a2", 1_000), 10, 0, 2), true);
        assert.equal(await store.create(record("a3", 1_000), 10, 0, 2), "owner-full");
        assert.equal(await store.get("a3", 0), undefined, "the refused session is not stored");
        const bob = record("b1", 1_000, 0, "user:bob");
        assert.equal(await store.create(bob, 10, 0, 2), true, "another owner has its own share");
        const anonymous = record("n1", 1_000, 0, "anonymous");
        assert.equal(await store.create(anonymous, 10, 0, 1), true);
        const anonymous2 = record("n2", 1_000, 0, "anonymous");
        assert.equal(await store.create(anonymous2, 10, 0, 1), "owner-full");
        assert.equal(await store.size(), 4);
        assert.equal(await store.create(record("a4", 1_000), 10, 0), true, "no share: no limit");
      }));

    it("an owner's place is given back by delete and by sweep, once each", () =>
      withStore(async (store) => {
        await store.create(record("a1", 100), 10, 0, 2);
        await store.create(record("a2", 1_000), 10, 0, 2);
        assert.equal(await store.create(record("a3", 1_000), 10, 0, 2), "owner-full");
        assert.equal(await store.delete("a2"), true);
        assert.equal(await store.delete("a2"), false, "a second delete gives nothing back");
        assert.equal(await store.create(record("a3", 1_000), 10, 0, 2), true, "after delete");
        assert.equal(await store.create(record("a4", 1_000), 10, 0, 2), "owner-full");
        assert.equal((await store.sweep(101)).length, 1, "a1 expired");
        assert.deepEqual(await store.sweep(101), [], "and is swept once");
        assert.equal(await store.create(record("a4", 1_000), 10, 0, 2), true, "after the sweep");
        assert.equal(await store.create(record("a5", 1_000), 10, 0, 2), "owner-full");
      }));

    it("concurrent creates of one owner never pass its share", () =>
      withStore(async (store) => {
        const created = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.create(record(`c${i}`, 1_000), 100, 0, 5)),
        );
        assert.equal(created.filter((result) => result === true).length, 5);
        assert.equal(created.filter((result) => result === "owner-full").length, 15);
        assert.equal(await store.size(), 5);
      }));
  });
}
