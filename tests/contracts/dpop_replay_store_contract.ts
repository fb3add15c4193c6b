/**
 * The contract every DpopReplayStore meets (memory in memory_dpop_replay_store_test.ts, Redis in
 * tests/e2e/oauth/dpop_redis_test.ts, Postgres in tests/e2e/postgres/postgres_task_contracts_test.ts):
 * a key is claimed once, keys are independent, a key is free again once its expiry has passed
 * (by the real clock, since Redis expires keys by its own), and an owner holds at most its share
 * of live proofs (concurrent claims included), which refuses that owner only and frees as its
 * proofs expire. Not a test file
 * itself.
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DpopReplayStore } from "../../src/storage/mod.ts";

const ALICE = { key: "user:alice", share: 100 };

/** The suite for stores made by `make` (a fresh, empty store per test). */
export function describeDpopReplayStore(name: string, make: () => DpopReplayStore): void {
  describe(`${name} (DpopReplayStore contract)`, () => {
    it("claims a key once until it expires", async () => {
      const store = make();
      const now = Date.now();
      assert.equal(await store.claim("k", now + 60_000, now, ALICE), true);
      assert.equal(await store.claim("k", now + 60_000, now, ALICE), false);
      assert.equal(await store.claim("k", now + 60_000, now + 1_000, ALICE), false);
    });

    it("keeps keys apart", async () => {
      const store = make();
      const now = Date.now();
      assert.equal(await store.claim("a", now + 60_000, now, ALICE), true);
      assert.equal(await store.claim("b", now + 60_000, now, ALICE), true);
      assert.equal(await store.claim("a", now + 60_000, now, ALICE), false);
    });

    it("frees a key once its expiry has passed", async () => {
      const store = make();
      const start = Date.now();
      assert.equal(await store.claim("k", start + 50, start, ALICE), true);
      const deadline = start + 5_000;
      let again: boolean | "share-full" = false;
      while (again !== true && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const now = Date.now();
        again = await store.claim("k", now + 60_000, now, ALICE);
      }
      assert.equal(again, true, "claimable again within 5 s of a 50 ms expiry");
    });

    it("refuses an owner past its share, and no other owner", async () => {
      const store = make();
      const now = Date.now();
      const alice = { key: "user:alice", share: 3 };
      const bob = { key: "user:bob", share: 3 };
      for (const key of ["a1", "a2", "a3"]) {
        assert.equal(await store.claim(key, now + 60_000, now, alice), true);
      }
      assert.equal(await store.claim("a4", now + 60_000, now, alice), "share-full");
      assert.equal(
        await store.claim("b1", now + 60_000, now, bob),
        true,
        "another owner is served",
      );
      assert.equal(
        await store.claim("a1", now + 60_000, now, alice),
        false,
        "a replay is a replay",
      );
      assert.equal(
        await store.claim("a4", now + 60_000, now, alice),
        "share-full",
        "the refused claim took no place",
      );
    });

    it("keeps an owner to its share under concurrent claims: never more than fits", async () => {
      const store = make();
      const now = Date.now();
      const alice = { key: "user:alice", share: 5 };
      const claims = Array.from(
        { length: 20 },
        (_, i) => store.claim(`c${i}`, now + 60_000, now, alice),
      );
      const answers = await Promise.all(claims);
      assert.equal(answers.filter((answer) => answer === true).length, 5);
      assert.equal(answers.filter((answer) => answer === "share-full").length, 15);
    });

    it("frees an owner's share as its proofs expire", async () => {
      const store = make();
      const start = Date.now();
      const alice = { key: "user:alice", share: 1 };
      // Redis expires the owner's set by its own clock, from when the claim ran: a refusal is
      // owed only to a claim answered within the proof's life, which a loaded machine may pass.
      const life = 500;
      assert.equal(await store.claim("a1", start + life, start, alice), true);
      const refused = await store.claim("a2", start + 60_000, start, alice);
      if (Date.now() < start + life) assert.equal(refused, "share-full");
      const deadline = start + 5_000;
      let again: boolean | "share-full" = "share-full";
      while (again !== true && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const now = Date.now();
        again = await store.claim("a2", now + 60_000, now, alice);
      }
      assert.equal(again, true, "a place again within 5 s of a 500 ms expiry");
    });
  });
}
