/** The in-memory DpopReplayStore meets its contract, and fails closed when full of live proofs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryDpopReplayStore } from "../../src/storage/mod.ts";
import { describeDpopReplayStore } from "./dpop_replay_store_contract.ts";

describeDpopReplayStore("MemoryDpopReplayStore", () => new MemoryDpopReplayStore());

describe("MemoryDpopReplayStore bounds", () => {
  it("refuses a claim past maxEntries live proofs, and takes one again once the oldest expired", async () => {
    const store = new MemoryDpopReplayStore({ maxEntries: 2 });
    const owner = { key: "user:alice", share: 10 };
    assert.equal(await store.claim("a", 1_000, 0, owner), true);
    assert.equal(await store.claim("b", 2_000, 0, owner), true);
    await assert.rejects(store.claim("c", 2_000, 0, owner), /holds 2 live proofs/);
    assert.equal(
      await store.claim("a", 3_000, 500, owner),
      false,
      "a is still held, never forgotten early",
    );
    assert.equal(
      await store.claim("c", 3_000, 1_000, owner),
      true,
      "a expired at 1000 and made room",
    );
    assert.equal(store.size, 2);
  });

  it("refuses a maxEntries that is not a positive integer", () => {
    assert.throws(() => new MemoryDpopReplayStore({ maxEntries: 0 }), TypeError);
  });
});
