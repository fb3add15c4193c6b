/**
 * The contract every DpopReplayStore meets (memory here, Redis in
 * tests/e2e/oauth/dpop_redis_test.ts): a key is claimed once, keys are
 * independent, and a key is free again once its expiry has passed (by the
 * real clock, since Redis expires keys by its own). Not a test file itself.
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DpopReplayStore } from "../../src/storage/mod.ts";

/** The suite for stores made by `make` (a fresh, empty store per test). */
export function describeDpopReplayStore(name: string, make: () => DpopReplayStore): void {
  describe(`${name} (DpopReplayStore contract)`, () => {
    it("claims a key once until it expires", async () => {
      const store = make();
      const now = Date.now();
      assert.equal(await store.claim("k", now + 60_000, now), true);
      assert.equal(await store.claim("k", now + 60_000, now), false);
      assert.equal(await store.claim("k", now + 60_000, now + 1_000), false);
    });

    it("keeps keys apart", async () => {
      const store = make();
      const now = Date.now();
      assert.equal(await store.claim("a", now + 60_000, now), true);
      assert.equal(await store.claim("b", now + 60_000, now), true);
      assert.equal(await store.claim("a", now + 60_000, now), false);
    });

    it("frees a key once its expiry has passed", async () => {
      const store = make();
      const start = Date.now();
      assert.equal(await store.claim("k", start + 50, start), true);
      const deadline = start + 5_000;
      let again = false;
      while (!again && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const now = Date.now();
        again = await store.claim("k", now + 60_000, now);
      }
      assert.equal(again, true, "claimable again within 5 s of a 50 ms expiry");
    });
  });
}
