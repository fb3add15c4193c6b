/**
 * The bench's port allocator (bench/lib/proc.ts): the range follows `BENCH_FIRST_PORT`, whatever
 * first port it names, and wraps back to that first port, not to the default's.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nextPortAfter, PORT_SPAN } from "../../../bench/lib/proc.ts";

describe("bench port allocator", () => {
  it("cycles through the default range 18801-18899", () => {
    assert.equal(nextPortAfter(18801, 18801), 18802);
    assert.equal(nextPortAfter(18899, 18801), 18801);
    assert.equal(18801 + PORT_SPAN - 1, 18899);
  });

  it("derives the range from any first port, at or above 18899 too", () => {
    const first = 18950;
    const seen: number[] = [];
    let port = first;
    for (let i = 0; i < PORT_SPAN + 1; i++) {
      seen.push(port);
      port = nextPortAfter(port, first);
    }
    assert.equal(seen[1], 18951);
    assert.equal(Math.min(...seen), first);
    assert.equal(Math.max(...seen), first + PORT_SPAN - 1);
    assert.equal(seen[PORT_SPAN], first, "wraps back to the first port");
  });
});
