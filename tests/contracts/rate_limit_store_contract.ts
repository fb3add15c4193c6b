/**
 * The contract every RateLimitStore meets (memory here, Redis in
 * tests/e2e/redis/): a budget of `limit` per window spent unit by unit, a
 * refusal that says when to retry, several units at once all or none (a
 * batch), refill by the caller's clock (injected, never slept), keys and
 * quotas independent. Not a test file itself.
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RateLimitStore } from "../../src/storage/mod.ts";

/** The suite for stores made by `make` (a fresh, empty store per test). */
export function describeRateLimitStore(name: string, make: () => RateLimitStore): void {
  const start = 1_700_000_000_000;
  const quota = { limit: 3, windowSeconds: 60 };

  describe(`${name} (RateLimitStore contract)`, () => {
    it("spends a budget unit by unit, then refuses with when to retry", async () => {
      const store = make();
      const takes = [];
      for (let i = 0; i < 3; i++) takes.push(await store.take("k", quota, start));
      assert.deepEqual(takes.map((take) => [take.ok, take.remaining]), [[true, 2], [true, 1], [
        true,
        0,
      ]]);
      assert.deepEqual(takes.map((take) => take.retryAfterMs), [0, 0, 0]);
      const refused = await store.take("k", quota, start);
      assert.equal(refused.ok, false);
      assert.equal(refused.remaining, 0);
      assert.equal(refused.retryAfterMs, 20_000, "one unit back after window / limit");
      assert.equal(refused.resetMs, 60_000, "the whole budget back after a window");
    });

    it("gives a unit back per window / limit, by the caller's clock", async () => {
      const store = make();
      for (let i = 0; i < 3; i++) assert.equal((await store.take("k", quota, start)).ok, true);
      assert.equal((await store.take("k", quota, start + 19_999)).ok, false);
      const back = await store.take("k", quota, start + 20_000);
      assert.equal(back.ok, true);
      assert.equal(back.remaining, 0);
      assert.equal((await store.take("k", quota, start + 20_000)).ok, false);
      // A whole idle window later the budget is full again, and never more than full.
      const full = await store.take("k", quota, start + 200_000);
      assert.deepEqual([full.ok, full.remaining], [true, 2]);
    });

    it("keeps keys apart", async () => {
      const store = make();
      for (let i = 0; i < 3; i++) await store.take("alice", quota, start);
      assert.equal((await store.take("alice", quota, start)).ok, false);
      const bob = await store.take("bob", quota, start);
      assert.deepEqual([bob.ok, bob.remaining], [true, 2]);
    });

    it("a refusal spends nothing: the retry time does not grow", async () => {
      const store = make();
      const one = { limit: 1, windowSeconds: 10 };
      assert.equal((await store.take("k", one, start)).ok, true);
      for (let i = 0; i < 5; i++) {
        assert.equal((await store.take("k", one, start + 1_000)).retryAfterMs, 9_000);
      }
      assert.equal((await store.take("k", one, start + 10_000)).ok, true);
    });

    it("a window the limit does not divide still allows exactly the limit", async () => {
      const store = make();
      const seven = { limit: 7, windowSeconds: 1 };
      let allowed = 0;
      for (let i = 0; i < 10; i++) if ((await store.take("k", seven, start)).ok) allowed++;
      assert.equal(allowed, 7);
    });

    it("spends several units at once, all or none (a batch)", async () => {
      const store = make();
      const four = { limit: 4, windowSeconds: 60 };
      const three = await store.take("k", four, start, 3);
      assert.deepEqual([three.ok, three.remaining, three.resetMs], [true, 1, 45_000]);
      const two = await store.take("k", four, start, 2);
      assert.deepEqual([two.ok, two.remaining, two.retryAfterMs], [false, 0, 15_000]);
      const one = await store.take("k", four, start);
      assert.deepEqual([one.ok, one.remaining], [true, 0], "the refusal spent nothing");
      const back = await store.take("k", four, start + 30_000, 2);
      assert.deepEqual([back.ok, back.remaining], [true, 0], "two units back after 2 × 15 s");
    });

    it("a clock that steps back refills nothing", async () => {
      const store = make();
      const one = { limit: 1, windowSeconds: 60 };
      assert.equal((await store.take("k", one, start)).ok, true);
      assert.equal((await store.take("k", one, start - 30_000)).ok, false);
    });
  });
}
