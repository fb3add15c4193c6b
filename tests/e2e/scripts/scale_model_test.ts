/**
 * The scale model (bench/scale_model/model.ts) on fixed costs: its arithmetic, not a timing. At
 * 500 instances today's code is carried by no Cluster size, with the reason (a budget book over a
 * master's CPU, connections per master over `maxclients` whatever the masters); a small deployment
 * fits on one master; the anonymous owner key is the hot key without authentication; and
 * docs/redis.md holds the table costs.json gives.
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
    books: 1,
    bookMicros: 30,
  },
  progressSpread: {
    commands: 275,
    scripts: 24,
    redisMicros: 600,
    bytes: 10_000,
    books: 12,
    bookMicros: 300,
  },
  bytesPerSession: 1_000,
  connectionsPerInstance: 2,
  given: {
    keepMicros: 10,
    heartbeatMicros: 30,
    followerMicrosPerSecond: 30,
    polledFollowerMicrosPerSecond: 600,
    bytesPerHolder: 50,
    bytesPerEvent: 150,
    bytesPerConnection: 40_000,
    sources: "fixed for the test",
  },
};

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, expected), `${what}: ${actual}`);

describe("the scale model (bench/scale_model.ts)", () => {
  it("plays the target forward: Redis CPU, events, holders, connections", () => {
    const row = play(500, COSTS);
    assert.equal(row.requestsPerSecond, 50_000);
    assert.equal(row.sessions, 1_000_000);
    // 15,000 streamed calls/s × 11 events × 150 B = 24.75 MB/s: 256 MiB hold 10.85 s, so the
    // budget is full and every write also evicts (its session work and BOOK counted twice).
    assert.equal(row.evicting, true);
    close(row.resumableSeconds, 268_435_456 / 24_750_000, "resumable seconds");
    // Uniform: 35,000 JSON × 20 + 15,000 × (600 − 300) × 2 + 277.8 creates × 60 + 6,666.7
    // heartbeats × 30 + 5,000 followed × 30 + 23,618 renewals × 10 µs/s; the 16 books
    // 15,000 × 12 writes × 25 µs × 2; the 16 index buckets (23,618 + 277.8) × 10 µs/s.
    const renewals = 50_000 * Math.exp(-15 / 20);
    const creates = 1_000_000 / 3_600;
    const uniform = 700_000 + 9_000_000 + creates * 60 + 200_000 + 150_000 + renewals * 10;
    const books = 15_000 * 12 * 25 * 2;
    close(row.redisCores, (uniform + books + (renewals + creates) * 10) / 1e6, "Redis cores");
    assert.deepEqual(row.hottestKey.key, "tether:eg:{0}");
    close(row.hottestKey.cores, books / 16 / 1e6, "a book's cores");
    // 180 requests per session over 500 instances in turn: about 151 distinct holders.
    close(row.holders, 500 * (1 - (1 - 1 / 500) ** 180), "holders");
    // Every cluster client connects to every master: 500 × (2 + 10 followed) now, × (2 + 32) at
    // the tail pool's high-water mark.
    assert.equal(row.connectionsSteady, 6_000);
    assert.equal(row.connectionsPerMaster, 17_000);
  });

  it("names no Cluster size for 500 instances today, and why", () => {
    const row = play(500, COSTS);
    assert.equal(row.masters, undefined);
    assert.match(
      row.why,
      /^17,000 connections per master \(500 × \(2 \+ 32 tails\)\) whatever the masters, over maxclients 10,000$/,
    );
    // Figures are given at what the mean load needs (0.6 core a master): 33 masters, where the
    // master holding the most books is far over.
    assert.equal(row.at, Math.ceil(row.redisCores / LIMITS.coresPerMaster));
    assert.ok(row.hottestCores > 3 * LIMITS.coresPerMaster, String(row.hottestCores));
    // Books twice as dear: one book alone is over a master's CPU, named first.
    const dearer = play(500, {
      ...COSTS,
      progressSpread: { ...COSTS.progressSpread, bookMicros: 600 },
    });
    assert.match(
      dearer.why,
      /^tether:eg:\{0\} alone needs 1\.13 cores, over a master's 0\.6, and one key is never split; 17,000 connections/,
    );
    // With a tail pool of 2 the connections fit (500 × 4); the books (0.56 core each) then need
    // masters enough that no two share one: 558, set by the master holding the most hot keys.
    const fewTails = play(500, COSTS, TARGET, { ...TODAY, tailPool: 2 });
    assert.equal(fewTails.connectionsPerMaster, 2_000);
    assert.equal(fewTails.masters, 558);
    assert.match(fewTails.why, /^CPU of the master holding the most hot keys: 557 would put 0\.60/);
  });

  it("fits a small deployment on one master, and sizes a middle one by its busiest master", () => {
    const two = play(2, COSTS);
    assert.equal(two.masters, 1);
    assert.equal(two.why, "one master carries it");
    assert.equal(two.connectionsSteady, 2 * (2 + 10));
    assert.equal(two.connectionsPerMaster, 2 * (2 + 32));
    assert.equal(two.evicting, false);
    const fifty = play(50, COSTS);
    assert.ok(fifty.masters !== undefined && fifty.masters > 1);
    assert.ok(fifty.hottestCores <= LIMITS.coresPerMaster);
    // One fewer master would put more than a master's budget on the busiest.
    assert.match(fifty.why, /would put \d\.\d\d cores on/);
  });

  it("puts every session's owner data on one key without authentication", () => {
    const cheapBooks = {
      ...COSTS,
      progressSpread: { ...COSTS.progressSpread, bookMicros: 0 },
    };
    assert.equal(play(500, cheapBooks).hottestKey.key, "tether:sessions:{0}");
    const anonymous = play(500, cheapBooks, { ...TARGET, authenticated: false });
    // Both index writes of every renewal and creation: (23,618 + 277.8) × 10 µs/s on one key.
    assert.equal(anonymous.hottestKey.key, "tether:so:{anonymous}");
    close(
      anonymous.hottestKey.cores,
      (50_000 * Math.exp(-15 / 20) + 1_000_000 / 3_600) * 10 / 1e6,
      "the owner key's cores",
    );
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
    assert.match(rows[3], /\| \*\*none\*\*: 17,000 connections per master/);
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
