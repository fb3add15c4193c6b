/**
 * The scale model (bench/scale_model/model.ts) on fixed costs: its arithmetic, not a timing. At
 * 500 instances the budget books take one BOOK per batch per instance (not one per write), each
 * instance holds at most 6 connections per master (not 2 + 32), a session's holders are the
 * instances that used it within 30 s, no owner key exists without authentication, and a Cluster
 * size carries the target unless one key alone is over a master's CPU; docs/redis.md holds the
 * table costs.json gives.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Costs } from "../../../bench/scale_model/costs.ts";
import { LIMITS, masterOfSlot, play, TARGET, TODAY } from "../../../bench/scale_model/model.ts";
import { markdown } from "../../../bench/scale_model/table.ts";
import { main } from "../../../bench/scale_model.ts";

/** Costs chosen for round arithmetic. */
const COSTS: Costs = {
  measured: "fixed for the test",
  jsonCall: { commands: 11, scripts: 1, redisMicros: 20, bytes: 700 },
  sessionCreate: { commands: 16, scripts: 3, redisMicros: 60, bytes: 690 },
  progressBurst: {
    commands: 44,
    scripts: 2,
    redisMicros: 100,
    bytes: 2_500,
    books: 0.5,
    bookMicros: 50,
  },
  progressSpread: {
    commands: 97,
    scripts: 8,
    redisMicros: 600,
    bytes: 6_500,
    books: 0.5,
    bookMicros: 50,
  },
  progressSpreadEvicting: {
    commands: 110,
    scripts: 9,
    redisMicros: 700,
    bytes: 7_000,
    books: 1,
    bookMicros: 100,
  },
  rateTake: { commands: 3, scripts: 1, redisMicros: 20, bytes: 200 },
  bytesPerSession: 1_000,
  connectionsPerInstance: 2,
  given: {
    keepMicros: 10,
    heartbeatMicros: 30,
    followerMicrosPerSecond: 30,
    pollMicros: 5,
    payloadBytesPerEvent: 200,
    bytesPerHolder: 50,
    bytesPerEvent: 150,
    bytesPerConnection: 40_000,
    sources: "fixed for the test",
  },
};

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, expected), `${what}: ${actual}`);

describe("the scale model (bench/scale_model.ts)", () => {
  it("books per batch per instance, not per write", () => {
    const row = play(500, COSTS);
    // 15,000 streamed calls/s × 11 events × 150 B = 24.75 MB/s: 256 MiB hold 10.85 s, so the
    // budget is full and every batch also evicts: twice the BOOKs, as measured with a full budget.
    assert.equal(row.evicting, true);
    close(row.resumableSeconds, 268_435_456 / 24_750_000, "resumable seconds");
    // Per instance 30 calls/s × 11 × 200 B = 66,000 B/s: a 64 KiB batch 1.007 times a second,
    // each over 29.8 streams, so 16 × (1 − (15/16)^29.8) of the 16 books get a BOOK.
    const batches = 66_000 / 65_536;
    const booksPerBatch = 16 * (1 - (15 / 16) ** (30 / batches));
    const perBook = 500 * batches * (booksPerBatch / 16) * 2;
    close(row.booksPerSecond, perBook, "BOOKs a second per book");
    assert.ok(row.booksPerSecond < 1_000, String(row.booksPerSecond)); // not 11,000+ per book
    assert.equal(row.hottestKey.key, "tether:eg:{0}");
    close(row.hottestKey.cores, perBook * 100 / 1e6, "a book's cores"); // 100 µs ÷ 1 a BOOK
    // A budget that holds 30 minutes never evicts: the plain call's BOOKs (0.5, 50 µs) and cost.
    const roomy = play(500, COSTS, TARGET, { ...TODAY, maxTotalBytes: 2 ** 40 });
    assert.equal(roomy.evicting, false);
    close(roomy.booksPerSecond, perBook / 2, "BOOKs a second per book, not evicting");
    // A book then takes perBook ÷ 2 × 100 µs = 0.043 core: the largest principal's rate key
    // (2,500 takes a second × 20 µs = 0.05) is hotter.
    assert.equal(roomy.hottestKey.key, "tether:rate:{<largest principal>}");
  });

  it("holds a session by the instances that used it within 30 s", () => {
    const row = play(500, COSTS);
    // 0.05 requests a second per session, round robin over 500: the toucher and those of the
    // last 30 s, 2.5, not the ~150 of every instance that ever served it.
    close(row.holders, 1 + 499 * (1 - Math.exp(-0.05 * 30 / 500)), "holders");
    assert.ok(row.holders < 3);
  });

  it("opens at most 6 connections per instance per master, fewer as masters spread reads", () => {
    const row = play(500, COSTS);
    assert.equal(row.connectionsPerMaster, 500 * 6);
    assert.ok(row.connectionsSteady >= 500 && row.connectionsSteady <= 3_000);
    // Two instances on one master, each following 10 streams: shared + bus reader + 3 reads +
    // the control connection.
    const two = play(2, COSTS);
    assert.equal(two.masters, 1);
    assert.equal(two.why, "one master carries it");
    close(two.connectionsSteady, 12, "connections at 2 instances");
    // Their 7 slots past the 3 reads each are polled while idle: 2.5 XREADs a second each.
    const unpolled = play(2, { ...COSTS, given: { ...COSTS.given, pollMicros: 0 } });
    close((two.redisCores - unpolled.redisCores) * 1e6, 2 * 7 * 5 / 0.4, "polled µs a second");
  });

  it("names the masters for 500 instances, and no size once one key passes a master's CPU", () => {
    const row = play(500, COSTS);
    assert.ok(row.masters !== undefined && row.masters <= LIMITS.maxMasters, row.why);
    assert.ok(row.hottestCores <= LIMITS.coresPerMaster);
    assert.match(row.why, /^CPU/);
    // One fewer master would put more than a master's budget on the busiest.
    const fewer = /would put (\d\.\d+) cores on/.exec(row.why);
    assert.ok(fewer !== null && Number(fewer[1]) > LIMITS.coresPerMaster, row.why);
    // BOOKs ten times as dear: one book alone is over a master's CPU.
    const dearer = play(500, {
      ...COSTS,
      progressSpreadEvicting: { ...COSTS.progressSpreadEvicting, bookMicros: 1_000 },
    });
    assert.equal(dearer.masters, undefined);
    assert.match(
      dearer.why,
      /^tether:eg:\{0\} alone needs 0\.86 cores, over a master's 0\.6, and one key is never split$/,
    );
  });

  it("keeps no owner key without authentication; the largest principal's rate key next", () => {
    const cheapBooks = {
      ...COSTS,
      progressSpread: { ...COSTS.progressSpread, bookMicros: 0 },
      progressSpreadEvicting: { ...COSTS.progressSpreadEvicting, bookMicros: 0 },
    };
    // 5% of 50,000 requests a second, 20 µs a take: 0.05 cores on one key.
    const authenticated = play(500, cheapBooks);
    assert.equal(authenticated.hottestKey.key, "tether:rate:{<largest principal>}");
    close(authenticated.hottestKey.cores, 2_500 * 20 / 1e6, "the rate key's cores");
    const anonymous = play(500, cheapBooks, { ...TARGET, authenticated: false, dominantShare: 0 });
    assert.equal(anonymous.hottestKey.key, "tether:sessions:{0}");
    close(
      anonymous.hottestKey.cores,
      (50_000 * Math.exp(-15 / 20) + 1_000_000 / 3_600) * 10 / 16 / 1e6,
      "an index bucket's cores",
    );
    // No owner index at all: only the bucket's KEEP of each renewal, nothing for the owner.
    const renewals = 50_000 * Math.exp(-15 / 20);
    const creates = 1_000_000 / 3_600;
    const authenticatedAlike = play(500, cheapBooks, { ...TARGET, dominantShare: 0 });
    // (Within 0.1%: the two sizes differ, and with them the few polled slots of the followers.)
    const owner = (authenticatedAlike.redisCores - anonymous.redisCores) * 1e6;
    const expected = renewals * 10 + (renewals + creates) * 10;
    assert.ok(Math.abs(owner - expected) < expected / 1_000, `owner µs a second: ${owner}`);
  });

  it("splits the slots in equal contiguous ranges", () => {
    assert.equal(masterOfSlot(0, 3), 0);
    assert.equal(masterOfSlot(5_461, 3), 0);
    assert.equal(masterOfSlot(5_462, 3), 1);
    assert.equal(masterOfSlot(16_383, 3), 2);
    assert.equal(masterOfSlot(16_383, 1), 0);
  });

  it("prints a row per instance count and the assumptions", () => {
    const text = markdown(COSTS);
    const rows = text.split("\n").filter((line) => /^\| (2|8|50|500) \|/.test(line));
    assert.equal(rows.length, 4);
    assert.match(rows[3], /\| `tether:eg:\{0\}` 0\.09 \| 860 \|/);
    assert.match(
      text,
      /Assumptions\. Each instance carries 1\/500 of the target: 50,000 requests\/s/,
    );
    assert.match(text, /Given, not measured by the script: fixed for the test\.$/);
  });

  it("docs/redis.md holds the table bench/scale_model/costs.json gives", async () => {
    assert.equal(await main(["--check"]), 0);
  });
});
