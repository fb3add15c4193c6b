/**
 * bench/lab/lib/callgrind.ts on a dump written as callgrind 3.19 writes one with
 * `--cache-sim=yes --branch-sim=yes --dump-instr=yes` (positions `instr
 * line`, compressed names, relative positions, a call's inclusive cost after
 * `calls=`), and on V8 perf map lines: each instruction's cost counted once,
 * in the function it ran in, JIT code named by the map.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  cycleEstimate,
  nameAt,
  parsePerfMap,
  selfCosts,
  totalCost,
} from "../../../bench/lab/lib/callgrind.ts";

const DUMP = [
  "# callgrind format",
  "version: 1",
  "creator: callgrind-3.19.0",
  "positions: instr line",
  "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim",
  "summary: 4528 2 0 201 1 0 0 0 0 1505 1 1 1",
  "",
  "ob=(3) /usr/lib/x86_64-linux-gnu/libc.so.6",
  "fl=(214) ./string/../sysdeps/x86_64/multiarch/memchr-avx2.S",
  "fn=(1726) __memchr_avx2",
  "0x152080 68 1500 0 0 200",
  "+3 +2 1500 0 0 0 0 0 0 0 0 1500",
  "+2 +3 1500",
  "ob=(10)",
  "fl=(163) ???",
  "fn=(904) 0x0000000001dfb000",
  "0x7f0000001000 0 10 2 0 1 1 0 0 0 0 3 1",
  "cob=(3)",
  "cfi=(214)",
  "cfn=(1726)",
  "calls=1 0x152080 0",
  "+4 0 999 0 0 9 9 0 0 0 0 0 0",
  "+8 * 5 0 0 0 0 0 0 0 0 1 0 1 1",
  "0x7f0000002000 0 6 0 0 1 0 0 1",
  "ob=(3)",
  "fn=(1726)",
  "0x152090 * 7",
  "",
  "totals: 4528 2 0 201 1 0 0 0 0 1505 1 1 1",
].join("\n");

const MAP = parsePerfMap(
  [
    "7f0000001000 10 JS:*walk file:///src/entry/steps.ts:339:25",
    "not a line",
    "7f0000003000 40 Builtin:JsonParse",
    "",
  ].join("\n"),
);

describe("selfCosts", () => {
  const costs = selfCosts(
    DUMP,
    (object, symbol, address) => nameAt(MAP, address) ?? `${object} ${symbol}`,
  );

  it("sums each function's own instructions and misses over its cost lines, names kept across lines", () => {
    assert.deepEqual(costs.get("/usr/lib/x86_64-linux-gnu/libc.so.6 __memchr_avx2"), {
      instructions: 4507,
      i1Misses: 200,
      d1Misses: 0,
      llMisses: 0,
      mispredicts: 0,
    });
  });

  it("names JIT code by the perf map, and leaves a call's inclusive cost out", () => {
    // 10 + 5: the 999 after `calls=` ran in __memchr_avx2, and is counted there.
    assert.deepEqual(costs.get("JS:*walk file:///src/entry/steps.ts:339:25"), {
      instructions: 15,
      i1Misses: 1,
      d1Misses: 1,
      llMisses: 0,
      mispredicts: 2,
    });
  });

  it("keeps code outside the map under its object and symbol", () => {
    assert.deepEqual(costs.get("(10) 0x0000000001dfb000"), {
      instructions: 6,
      i1Misses: 1,
      d1Misses: 0,
      llMisses: 1,
      mispredicts: 0,
    });
    assert.equal(costs.size, 3);
  });
});

describe("totalCost", () => {
  it("adds every function's own cost, field by field, to the dump's whole", () => {
    const costs = selfCosts(
      DUMP,
      (object, symbol, address) => nameAt(MAP, address) ?? `${object} ${symbol}`,
    );
    assert.deepEqual(totalCost(costs.values()), {
      instructions: 4528,
      i1Misses: 202,
      d1Misses: 1,
      llMisses: 1,
      mispredicts: 2,
    });
  });
});

describe("parsePerfMap and nameAt", () => {
  it("reads start, size and name, skipping lines that are not entries", () => {
    assert.deepEqual(MAP.map(({ start, size }) => [start, size]), [
      [0x7f0000001000, 0x10],
      [0x7f0000003000, 0x40],
    ]);
  });

  it("finds an address inside an entry, and none past its end or before the first", () => {
    assert.equal(nameAt(MAP, 0x7f000000300f), "Builtin:JsonParse");
    assert.equal(nameAt(MAP, 0x7f0000001010), undefined);
    assert.equal(nameAt(MAP, 0x1000), undefined);
  });
});

describe("cycleEstimate", () => {
  it("weighs first-level misses and mispredictions 10, last-level misses 100", () => {
    assert.equal(
      cycleEstimate({ instructions: 1000, i1Misses: 3, d1Misses: 2, llMisses: 1, mispredicts: 5 }),
      1000 + 10 * (3 + 2 + 5) + 100,
    );
  });
});
