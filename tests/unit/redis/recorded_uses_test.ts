/**
 * An instance's records among sessions' bus holders (src/redis/bus/recorded_uses.ts): a use is
 * recorded again once the record is a quarter of the holding bound old, a use not recorded still
 * counts for a release, and the memory is bounded.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RecordedUses, REMEMBERED } from "../../../src/redis/bus/recorded_uses.ts";

describe("RecordedUses", () => {
  it("a session never recorded is due; within a quarter bound it is not; then it is again", () => {
    const uses = new RecordedUses(40_000);
    assert.equal(uses.due("s", 1_000), true);
    uses.recorded("s", 1_000);
    assert.equal(uses.due("s", 10_999), false);
    assert.equal(uses.due("s", 11_000), true, "a quarter of 40 s after the record");
    assert.equal(uses.due("other", 1_000), true);
  });

  it("a use not recorded counts for a release; the record's time stays the recorded one", () => {
    const uses = new RecordedUses(40_000);
    uses.recorded("s", 1_000);
    assert.equal(uses.usedSince("s", 2_000), false);
    assert.equal(uses.due("s", 5_000), false);
    assert.equal(uses.usedSince("s", 2_000), true, "used at 5 s, not recorded");
    assert.equal(uses.usedSince("s", 5_001), false);
    assert.equal(uses.recordedAt("s"), 1_000);
    uses.recorded("s", 500); // an older record changes nothing
    assert.equal(uses.recordedAt("s"), 1_000);
  });

  it("forget makes the next use due", () => {
    const uses = new RecordedUses(40_000);
    uses.recorded("s", 1_000);
    uses.forget("s");
    assert.equal(uses.due("s", 1_001), true);
    assert.equal(uses.usedSince("s", 0), false);
  });

  it("remembers at most REMEMBERED sessions: the oldest record goes first", () => {
    const uses = new RecordedUses(40_000);
    for (let i = 0; i <= REMEMBERED; i++) uses.recorded(`s${i}`, 1_000 + i);
    assert.equal(uses.recordedAt("s0"), undefined, "the oldest went");
    assert.equal(uses.recordedAt("s1"), 1_001);
    uses.recorded("s1", 200_000); // recorded again: now the newest
    uses.recorded("extra", 200_001);
    assert.equal(uses.recordedAt("s1"), 200_000);
    assert.equal(uses.recordedAt("s2"), undefined);
  });
});
