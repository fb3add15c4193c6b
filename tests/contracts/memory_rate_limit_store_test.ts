/** The in-memory RateLimitStore meets its contract, and forgets the least recently used key past maxKeys. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryRateLimitStore } from "../../src/storage/mod.ts";
import { describeRateLimitStore } from "./rate_limit_store_contract.ts";

describeRateLimitStore("MemoryRateLimitStore", () => new MemoryRateLimitStore());

describe("MemoryRateLimitStore bounds", () => {
  it("past maxKeys the least recently used key is forgotten (a full budget again)", async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    const one = { limit: 1, windowSeconds: 60 };
    assert.equal((await store.take("a", one, 0)).ok, true);
    assert.equal((await store.take("b", one, 0)).ok, true);
    assert.equal((await store.take("a", one, 0)).ok, false, "a used last");
    assert.equal((await store.take("c", one, 0)).ok, true, "b is forgotten, not a");
    assert.equal((await store.take("a", one, 0)).ok, false);
    assert.equal((await store.take("b", one, 0)).ok, true);
  });

  it("refuses a maxKeys that is not a positive integer", () => {
    assert.throws(() => new MemoryRateLimitStore({ maxKeys: 0 }), RangeError);
  });
});
