/**
 * The bench's target rows (bench/run/headline.ts) judged on made-up rows, as issue 71 restated
 * them: the peer target against the fastest peer as spec-following clients call it (not mcp-lite's
 * JSON path), the guard rows against the guarded floors at 0.80 with the counted ratio beside them
 * (the plain floors bounds without a target), the SSE and progress rows and the idle streams' RSS
 * against the resumable floors (the floors that keep nothing bounds), a short row whose rounds reach
 * its line said to be within its spread, the retired rows unjudged, tether's 100k ÷ 100 scaling
 * against 0.9 or the legacy floor's own ratio below it; and the pairs each workload measures again.
 */

import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { LoadResult } from "../../../bench/lib/load.ts";
import { headline } from "../../../bench/run/headline.ts";
import { streamRssRatio, streamRssRounds } from "../../../bench/run/cells.ts";
import {
  MEMORY_PLANS,
  PLANS,
  type ServerKey,
  SPEC_PEERS,
  workloadsOf,
} from "../../../bench/run/plans.ts";
import { FULL, SMOKE } from "../../../bench/run/settings.ts";
import { plannedRuntime, runPlan } from "../../../bench/run/duration.ts";
import { describeCommands } from "../../../bench/plan.ts";
import { memoryStepsOf } from "../../../bench/run/memory_streams.ts";
import {
  type LoadRow,
  loadRows,
  pairRows,
  scaleRechecks,
  type StreamRow,
  streamRows,
} from "../../../bench/run/results.ts";
import {
  GUARD_LINE,
  isClose,
  PAIR_MARGIN,
  pairLines,
  PEER_LINE,
  RECHECK_MARGIN,
  SCALE_TARGET,
  scaleTarget,
} from "../../../bench/run/targets.ts";
import { loadTable, readmeTable, streamsTable } from "../../../bench/run/tables.ts";
import { exitReason } from "../../../bench/run/measure.ts";
import { closePairs, fastestPeerOf } from "../../../bench/run/paired.ts";
import { oneProcessEach } from "../../../bench/run/throughput.ts";

const settings = { ...SMOKE, generator: "wrk" as const };

/** A result whose every slice served `perCpu` answers per server CPU-second. */
function result(perCpu: number, slices = 1): LoadResult {
  return {
    okPerSecond: perCpu,
    requestsPerSecond: perCpu,
    p50: 1,
    p99: 2,
    okPerCpuSecond: perCpu,
    serverCores: 1,
    generatorCores: 0.2,
    ok: perCpu,
    bad: 0,
    errors: 0,
    timeouts: 0,
    seconds: slices,
    sliceRates: Array(slices).fill(perCpu),
    sliceCpuRates: Array(slices).fill(perCpu),
  };
}

function load(workload: LoadRow["workload"], server: ServerKey, perCpu: number): void {
  loadRows.push({ runtime: "node", workload, server, result: result(perCpu), generator: "wrk" });
}

/** a's and b's results of a paired run whose rounds gave `ratios` per server CPU-second. */
function pairResults(ratios: number[]): [LoadResult, LoadResult] {
  const ra = result(1);
  const rb = result(1);
  ra.sliceCpuRates = ratios.map((r) => r * 1000);
  rb.sliceCpuRates = ratios.map(() => 1000);
  return [ra, rb];
}

function pair(
  workload: LoadRow["workload"],
  a: ServerKey,
  b: ServerKey,
  ratios: number[],
  again: number[][] = [],
): void {
  pairRows.push({
    runtime: "node",
    workload,
    a,
    b,
    results: pairResults(ratios),
    ...(again.length === 0 ? {} : { rechecks: again.map(pairResults) }),
  });
}

function stream(server: ServerKey, rssPerStream: number, rssRounds: number[] = []): void {
  const row: StreamRow = {
    runtime: "node",
    server,
    streams: 1000,
    seconds: 10,
    openSeconds: 0.5,
    rssPerStream,
    rssOrdinaryGcPerStream: rssPerStream,
    heapPerStream: 1000,
    rssAfterPerStream: rssPerStream,
    heapAfterPerStream: 1000,
    cpuPerStreamSecond: 1e-5,
    serverCores: 0.01,
    window: 8,
    ok: 1000,
    bad: 0,
    errors: 0,
    rssRounds,
  };
  streamRows.push(row);
}

/** The cell of the headline row whose name starts with `start`. */
function cell(text: string, start: string): string {
  const line = text.split("\n").find((l) => l.startsWith(`| ${start}`));
  assert.ok(line !== undefined, `no row starting ${start}`);
  return line.split(" | ").at(-1)!.replace(/ \|$/, "");
}

/** The cell of the bound row (no target, its reason first) whose name after the reason starts with `rest`. */
function bound(text: string, rest: string): string {
  const line = text.split("\n").find((l) =>
    l.startsWith("| (bound, no target: ") && l.includes(`) ${rest}`)
  );
  assert.ok(line !== undefined, `no bound row ${rest}`);
  const value = line.split(" | ").at(-1)!.replace(/ \|$/, "");
  assert.doesNotMatch(value, /met|short/, "a bound carries no verdict");
  return value;
}

describe("bench targets (bench/run/headline.ts)", () => {
  beforeEach(() => {
    loadRows.length = 0;
    pairRows.length = 0;
    streamRows.length = 0;
    scaleRechecks.length = 0;
  });

  it("judges the peers as spec-following clients call them, not mcp-lite's JSON path", () => {
    load("steady", "tether", 30_000);
    load("steady", "mcp-lite-json", 40_000); // the fastest path: retired
    load("steady", "mcp-lite", 20_000);
    load("steady", "tmcp", 24_000);
    load("steady", "floor-legacy", 33_000);
    assert.equal(fastestPeerOf("node", "steady"), "mcp-lite-json");
    assert.equal(fastestPeerOf("node", "steady", SPEC_PEERS), "tmcp");
    assert.deepEqual(closePairs("node", "steady"), [
      ["tether", "floor-legacy-guarded", "floor-legacy"],
      ["tether", "tmcp"],
    ]);
    const text = headline(["node"], settings);
    assert.match(
      cell(text, "sessionful tools/call: tether (auto → JSON) ÷ every peer"),
      /^1\.25× met.*fastest: tmcp/,
    );
    // 30k ÷ 33k = 0.91 against the plain floor: a bound now, unjudged (issue 71, answer 2).
    assert.match(
      bound(text, "sessionful tools/call: tether (auto → JSON) ÷ the legacy floor"),
      /^0\.91× \(/,
    );
    const retired = text.split("\n").find((l) => l.includes("fastest peer's fastest path"))!;
    assert.match(retired, /no target, retired: .*never issued/);
    assert.match(retired, /0\.75× \[wrk\]/);
    assert.doesNotMatch(retired, /short|met/);
  });

  it("judges a paired target on the median of its per-round ratios", () => {
    load("steady", "tether", 30_000);
    load("steady", "tmcp", 20_000);
    pair("steady", "tether", "tmcp", [1.1, 1.15, 1.3]);
    load("stateless", "tether", 30_000);
    load("stateless", "floor-guarded", 40_000);
    pair("stateless", "tether", "floor-guarded", [0.78, 0.81, 0.9]);
    const text = headline(["node"], settings);
    // Short, and its rounds reach its line: said so (issue 71, answer 3), not hidden.
    assert.match(
      cell(text, "sessionful tools/call: tether (auto → JSON) ÷ every peer"),
      /^1\.15× \*\*short\*\*, within its rounds' spread of the line \(1\.10–1\.30\) \(paired: median of 3 rounds/,
    );
    // 0.81 against the guarded floor: met at 0.80 (short at the old 0.85).
    assert.match(
      cell(text, "stateless tools/call (2026-07-28): tether ÷ the guarded floor"),
      /^0\.81× met \(paired/,
    );
  });

  it("judges a pair measured again in fresh processes on the median of its runs' medians", () => {
    load("stateless", "tether", 30_000);
    load("stateless", "floor", 40_000);
    load("stateless", "floor-guarded", 40_000);
    // First run 0.78 (short), again 0.84 and 0.82: the median of the three runs, 0.82, is met.
    pair("stateless", "tether", "floor-guarded", [0.76, 0.78, 0.8], [[0.84, 0.84, 0.9], [0.82]]);
    pair("stateless", "tether", "floor", [0.8, 0.82, 0.84], [[0.88, 0.88, 0.9], [0.86]]);
    load("large", "tether", 1_000);
    load("large", "floor-legacy", 1_000);
    // First run 0.81 (met), again 0.76 and 0.78: judged 0.78, short; its rounds (0.76–0.81)
    // reach the line, which the row says.
    pair("large", "tether", "floor-legacy", [0.81], [[0.76], [0.78]]);
    // Short and every round under the line: no such note.
    load("large-1m", "tether", 1_000);
    load("large-1m", "floor-legacy", 1_000);
    pair("large-1m", "tether", "floor-legacy", [0.7, 0.72], [[0.74]]);
    const text = headline(["node"], settings);
    assert.match(
      cell(text, "stateless tools/call (2026-07-28): tether ÷ the guarded floor"),
      /^0\.82× met \(paired: median of 3 rounds, 0\.76–0\.80; first run 0\.78×; again in fresh processes: 0\.84×, 0\.82×; judged on the median of 3 runs; among all servers/,
    );
    assert.match(
      cell(text, "256 KiB result, JSON: tether (auto) ÷ the large-result floor"),
      /^0\.78× \*\*short\*\*, within its rounds' spread of the line \(0\.76–0\.81\) \(paired: median of 1 rounds, 0\.81–0\.81; first run 0\.81×; again in fresh processes: 0\.76×, 0\.78×; judged on the median of 3 runs;/,
    );
    assert.match(
      cell(text, "1 MiB result, JSON: tether (auto) ÷ the large-result floor"),
      /^0\.72× \*\*short\*\* \(paired/,
    );
    // The README's table quotes the figure the row is judged on, not the first run's.
    const readme = readmeTable(["node"], settings).split("\n")
      .find((line) => line.startsWith("| 2026 floor"));
    assert.match(readme ?? "", /\| 40\.0k \(paired 0\.86×\) \|$/);
  });

  it("measures a paired run again only when a line it is judged against is within the margin", () => {
    assert.deepEqual(pairLines("steady", "tether", "floor-legacy-guarded"), [GUARD_LINE]);
    assert.deepEqual(pairLines("stateless", "tether", "floor-guarded"), [GUARD_LINE]);
    assert.equal(GUARD_LINE, 0.8);
    // The floors that drop the guards, or keep no event for a resume, are bounds: no line.
    assert.deepEqual(pairLines("stateless", "tether", "floor"), []);
    assert.deepEqual(pairLines("steady", "tether", "floor-legacy"), []);
    assert.deepEqual(pairLines("progress", "tether", "floor-legacy"), []);
    assert.deepEqual(pairLines("large", "tether-sse", "floor-legacy-sse"), []);
    assert.deepEqual(pairLines("large", "tether", "floor-legacy"), [0.8]);
    assert.deepEqual(pairLines("steady", "tether", "tmcp"), [1.2]);
    assert.deepEqual(pairLines("steady", "tether", "sdk-json"), [1.2, 2]);
    assert.deepEqual(pairLines("progress", "tether", "sdk"), [5]);
    assert.deepEqual(pairLines("progress", "tether", "floor-legacy-resumable"), [0.8]);
    assert.deepEqual(pairLines("large-1m", "tether-sse", "floor-legacy-sse-resumable"), [0.8]);
    // The bounds (a floor ÷ a floor) are judged against nothing.
    assert.deepEqual(pairLines("steady", "floor-legacy-guarded", "floor-legacy"), []);
    assert.deepEqual(pairLines("large", "floor-legacy-sse-resumable", "floor-legacy-sse"), []);
    assert.equal(RECHECK_MARGIN, 0.2);
    // Within 20% of the line, on either side; not beyond it, nor a figure that is no number.
    assert.equal(isClose(0.69, [0.85]), true);
    assert.equal(isClose(1.01, [0.85]), true);
    assert.equal(isClose(0.67, [0.85]), false);
    assert.equal(isClose(1.03, [0.85]), false);
    assert.equal(isClose(4.1, [5]), true);
    assert.equal(isClose(3.9, [5]), false);
    assert.equal(isClose(1.9, [1.2, 2]), true);
    assert.equal(isClose(1.5, [1.2, 2]), false);
    assert.equal(isClose(NaN, [0.85]), false);
    assert.equal(isClose(0.85, []), false);
  });

  it("judges the guard rows against the guarded floors at 0.80, the counted ratio beside; the plain floors unjudged", () => {
    assert.deepEqual(closePairs("node", "stateless")[0], ["tether", "floor-guarded", "floor"]);
    load("steady", "tether", 30_000);
    load("steady", "floor-legacy", 37_000);
    load("steady", "floor-legacy-guarded", 34_000);
    pair("steady", "tether", "floor-legacy-guarded", [0.86, 0.88, 0.9]);
    pair("steady", "floor-legacy-guarded", "floor-legacy", [0.9, 0.93, 0.95]);
    pair("steady", "tether", "floor-legacy", [0.8, 0.82, 0.84]);
    load("stateless", "tether", 30_000);
    load("stateless", "floor", 40_000);
    load("stateless", "floor-guarded", 36_000);
    pair("stateless", "tether", "floor-guarded", [0.8, 0.83, 0.84]);
    const text = headline(["node"], settings);
    // Against the plain floor: a bound with its reason, no verdict.
    assert.match(
      bound(text, "sessionful tools/call: tether (auto → JSON) ÷ the legacy floor"),
      /^0\.82× \(paired/,
    );
    assert.match(text, /\| \(bound, no target: this floor drops the guards against abuse/);
    assert.match(
      cell(text, "(bound) sessionful tools/call: the guarded legacy floor"),
      /^0\.93× \(paired: median of 3 rounds/,
    );
    // Judged at 0.80, the reason in the row, the counted ratio beside it as information.
    assert.match(
      text,
      /\| sessionful tools\/call: tether \(auto → JSON\) ÷ the guarded legacy floor per server CPU-s ≥ 0\.8 \(the guards tether keeps on by default are part of its yardstick; .*0\.85 the aspiration/,
    );
    const guarded = cell(
      text,
      "sessionful tools/call: tether (auto → JSON) ÷ the guarded legacy floor",
    );
    assert.match(guarded, /^0\.88× met \(paired/);
    assert.match(guarded, /; instructions counted 0\.89× \(bench\/lab\/instructions\.ts, a7e73d7/);
    // 0.83 is met at 0.80 (it was short at 0.85).
    assert.match(
      cell(text, "stateless tools/call (2026-07-28): tether ÷ the guarded floor"),
      /^0\.83× met \(paired.*; instructions not counted on node/,
    );
    assert.match(
      cell(headline(["deno"], settings), "stateless tools/call (2026-07-28): tether ÷ the guarded"),
      /^n\/a n\/a \(raw n\/a\); instructions counted 0\.88× \(bench\/lab\/instructions\.ts/,
    );
    assert.match(bound(text, "stateless tools/call (2026-07-28): tether ÷ the floor"), /^0\.75× /);
    // Not measured on its own: judged on the side-by-side figures (36k ÷ 40k).
    assert.match(cell(text, "(bound) stateless tools/call (2026-07-28)"), /^0\.90× \(raw 0\.90×\)/);
  });

  it("holds the JSON results to their floor (0.8×), the progress tool to 5× SDK v1; the plain SSE floors bound", () => {
    load("large", "tether", 800);
    load("large", "floor-legacy", 1000);
    load("large", "tether-sse", 700);
    load("large", "floor-legacy-sse", 1000);
    load("large", "ceiling", 2000);
    load("large", "ceiling-sse", 2000);
    load("large-1m", "tether", 200);
    load("large-1m", "floor-legacy", 300);
    load("progress", "tether", 4000);
    load("progress", "floor-legacy", 8000);
    load("progress", "sdk", 700);
    load("progress", "ceiling", 16_000);
    const text = headline(["node"], settings);
    assert.match(
      cell(text, "256 KiB result, JSON: tether (auto) ÷ the large-result floor"),
      /^0\.80× met/,
    );
    // The floors that keep no event for a resume: bounds, no target (issue 71, answer 1).
    assert.match(
      bound(text, "256 KiB result, SSE: tether (sse) ÷ the large-result floor"),
      /^0\.70× \(/,
    );
    assert.match(
      cell(text, "1 MiB result, JSON: tether (auto) ÷ the large-result floor"),
      /^0\.67× \*\*short\*\*/,
    );
    assert.match(bound(text, "1 MiB result, SSE"), /^n\/a/);
    assert.match(bound(text, "100-progress tool: tether ÷ the progress floor"), /^0\.50× \(/);
    assert.match(text, /\| \(bound, no target: this floor keeps no event for a resume/);
    assert.match(cell(text, "100-progress tool: tether ÷ SDK v1"), /^5\.71× met/);
    const ceiling = text.split("\n").find((l) =>
      l.includes("tether ÷ ceiling per server CPU-s ≥ 0.25")
    )!;
    assert.match(ceiling, /no target, retired/);
    assert.match(
      cell(text, "(no target) where the difference goes"),
      /^progress 0\.50× \[wrk\]; 256 KiB 0\.50× \[wrk\], 0\.50× \[wrk\]; 1 MiB n\/a \[wrk\], n\/a$/,
    );
    // The SSE rows' floors in one run of three: its every pair judged (bench/run/paired.ts).
    assert.deepEqual(closePairs("node", "progress"), [
      ["tether", "floor-legacy-resumable", "floor-legacy"],
      ["tether", "sdk"],
    ]);
    assert.deepEqual(closePairs("node", "large-1m"), [
      ["tether", "floor-legacy"],
      ["tether-sse", "floor-legacy-sse-resumable", "floor-legacy-sse"],
    ]);
  });

  it("bounds the SSE rows by the resumable floors: tether ÷ them at 0.8×, their cost over the floors unjudged", () => {
    load("large", "tether-sse", 700);
    load("large", "floor-legacy-sse", 1000);
    load("large", "floor-legacy-sse-resumable", 850);
    load("progress", "tether", 4000);
    load("progress", "floor-legacy", 8000);
    load("progress", "floor-legacy-resumable", 5000);
    // Paired runs of three: tether ÷ the resumable floor, the resumable floor ÷ the floor.
    pair("progress", "tether", "floor-legacy-resumable", [0.78, 0.82, 0.9]);
    pair("progress", "floor-legacy-resumable", "floor-legacy", [0.6, 0.62, 0.64]);
    const text = headline(["node"], settings);
    // The rows against the floors that keep nothing are bounds now, unjudged.
    assert.match(
      bound(text, "256 KiB result, SSE: tether (sse) ÷ the large-result floor"),
      /^0\.70× \(/,
    );
    assert.match(bound(text, "100-progress tool: tether ÷ the progress floor"), /^0\.50× \(/);
    // The judged rows say why they are judged against the resumable floors.
    assert.match(
      text,
      /\| 100-progress tool: tether ÷ the resumable progress floor per server CPU-s ≥ 0\.8 \(judged against the resumable floor: a resume with Last-Event-ID on any instance/,
    );
    assert.match(
      cell(text, "256 KiB result, SSE: tether (sse) ÷ the resumable large-result floor"),
      /^0\.82× met \(raw 0\.82×\) \[wrk\]$/,
    );
    assert.match(
      cell(text, "(bound) 256 KiB result, SSE: the resumable large-result floor"),
      /^0\.85× \(/,
    );
    assert.match(cell(text, "1 MiB result, SSE: tether (sse) ÷ the resumable"), /^n\/a/);
    assert.match(
      cell(text, "100-progress tool: tether ÷ the resumable progress floor"),
      /^0\.82× met \(paired: median of 3 rounds, 0\.78–0\.90; among all servers 0\.80×/,
    );
    assert.match(
      cell(text, "(bound) 100-progress tool: the resumable progress floor"),
      /^0\.62× \(paired: median of 3 rounds, 0\.60–0\.64; among all servers 0\.63×/,
    );
    // The bound rows carry no verdict.
    assert.doesNotMatch(cell(text, "(bound) 100-progress tool"), /met|short/);
  });

  it("holds tether's RSS per idle stream to 1.5× the resumable floor's; the bare server's a bound", () => {
    stream("tether", 30_000);
    stream("ceiling", 20_000);
    assert.match(
      bound(headline(["node"], settings), "RSS per idle SSE stream"),
      /^1\.50× \(tether 30,000 B, bare 20,000 B\)/,
    );
    streamRows.length = 0;
    stream("tether", 30_000);
    stream("ceiling", 10_000);
    // 3× the bare server's: unjudged (the bare server keeps no event for a resume).
    assert.match(bound(headline(["node"], settings), "RSS per idle SSE stream"), /^3\.00× \(/);
    // Beside it: the resumable floor ÷ the bare server (unjudged), and tether ÷ that floor.
    assert.match(cell(headline(["node"], settings), "(bound) RSS per idle"), /^n\/a$/);
    assert.match(cell(headline(["node"], settings), "RSS per idle SSE stream, the same"), /^n\/a$/);
    stream("floor-legacy-resumable", 12_000);
    const floorBound = cell(headline(["node"], settings), "(bound) RSS per idle");
    assert.match(floorBound, /^1\.20× \(floor 12,000 B\)/);
    assert.doesNotMatch(floorBound, /met|short/);
    assert.match(
      cell(headline(["node"], settings), "RSS per idle SSE stream, the same"),
      /^2\.50× \*\*short\*\* \(tether 30,000 B, floor 12,000 B\)/,
    );
    streamRows.pop();
    stream("floor-legacy-resumable", 20_000);
    assert.match(
      cell(headline(["node"], settings), "RSS per idle SSE stream, the same"),
      /^1\.50× met/,
    );
    assert.equal(streamRssRatio(30_000, 0), undefined); // a bare server that grew by nothing
    assert.equal(streamRssRatio(30_000, -5), undefined);
    assert.equal(streamRssRatio(undefined, 10), undefined);
    assert.equal(streamRssRatio(-1_720, 6_963), undefined); // fell below its baseline
    assert.equal(streamRssRatio(Number.POSITIVE_INFINITY, 10), undefined);
    assert.equal(streamRssRatio(0, 10), 0);
  });

  it("judges the idle streams on the median of the per-round ratios when the rows have rounds", () => {
    // The rounds' medians would read 31,000 ÷ 20,000 = 1.55 (short); round by round the ratios
    // are 1.00, 1.55 and 1.45, whose median is met.
    stream("tether", 31_000, [20_000, 31_000, 43_500]);
    stream("ceiling", 20_000, [20_000, 20_000, 30_000]);
    stream("floor-legacy-resumable", 25_000, [10_000, 25_000, 30_000]);
    const text = headline(["node"], settings);
    assert.match(
      bound(text, "RSS per idle SSE stream"),
      /^1\.45× \(by round: median of 3 rounds, 1\.00–1\.55; tether 31,000 B, bare 20,000 B\)/,
    );
    // The floor ÷ bare: 0.50, 1.25, 1.00; tether ÷ the floor: 2.00, 1.24, 1.45.
    assert.match(
      cell(text, "(bound) RSS per idle"),
      /^1\.00× \(by round: median of 3 rounds, 0\.50–1\.25; floor 25,000 B\)/,
    );
    assert.match(
      cell(text, "RSS per idle SSE stream, the same"),
      /^1\.45× met \(by round: median of 3 rounds, 1\.24–2\.00; tether 31,000 B, floor 25,000 B\)/,
    );
    assert.deepEqual(
      streamRssRounds(streamRows[0], streamRows[1]).map((r) => Number(r.toFixed(3))),
      [1, 1.55, 1.45],
    );
    // A round whose bare server grew by nothing says nothing, and is left out.
    streamRows.length = 0;
    stream("tether", 30_000, [30_000, 30_000]);
    stream("ceiling", 20_000, [0, 20_000]);
    assert.deepEqual(streamRssRounds(streamRows[0], streamRows[1]), [1.5]);
    assert.match(
      bound(headline(["node"], settings), "RSS per idle SSE stream"),
      /^1\.50× \(one round;/,
    );
    // Short against the resumable floor, its rounds on both sides of 1.5: said so.
    stream("floor-legacy-resumable", 18_000, [15_000, 25_000]);
    assert.match(
      cell(headline(["node"], settings), "RSS per idle SSE stream, the same"),
      /^1\.60× \*\*short\*\*, within its rounds' spread of the line \(1\.20–2\.00\) \(by round/,
    );
  });

  it("takes no ratio from a row whose server died in its workload, and says why", () => {
    const oom = "its server exited during the run: out of memory";
    load("init", "tether", 4_000);
    load("init", "sdk", 600);
    load("init", "sdk-json", 25); // partial rates of a process that ran out of heap
    loadRows.at(-1)!.void = oom;
    const text = headline(["node"], settings);
    assert.equal(
      cell(text, "initialize + initialized: tether ÷ SDK v1 enableJsonResponse"),
      `n/a (not judged: sdk-json: ${oom}) [wrk]`,
    );
    assert.match(cell(text, "initialize + initialized: tether ÷ SDK v1 default"), /^6\.67× met/);
    const table = loadTable(["node"], "init").split("\n").filter((l) => l.startsWith("|"));
    const dead = table.find((l) => l.includes(`failed: ${oom}`))!;
    assert.ok(dead, table.join("\n"));
    const pipes = (line: string) => line.split("|").length;
    assert.equal(pipes(dead), pipes(table[0]), dead);
    // A voided peer is not the fastest, and a voided paired run judges nothing.
    load("steady", "tether", 30_000);
    load("steady", "tmcp", 20_000);
    load("steady", "mcp-lite", 50_000);
    loadRows.at(-1)!.void = oom;
    assert.equal(fastestPeerOf("node", "steady", SPEC_PEERS), "tmcp");
    load("stateless", "tether", 30_000);
    load("stateless", "floor-guarded", 40_000);
    pair("stateless", "tether", "floor-guarded", [0.9, 0.9, 0.9]);
    pairRows.at(-1)!.void = `floor-guarded: ${oom}`;
    assert.match(
      cell(
        headline(["node"], settings),
        "stateless tools/call (2026-07-28): tether ÷ the guarded floor",
      ),
      new RegExp(
        `^n/a \\(not judged: floor-guarded: ${oom} \\(paired\\)\\) \\[wrk\\]; instructions`,
      ),
    );
  });

  it("names a dead server's reason in a few words", () => {
    const v8 =
      "<--- Last few GCs --->\n[1:0x1]  5000 ms: Mark-Compact 4000 (4100) -> 3990 (4090) MB, " +
      "(average mu = 0.067, current mu = 0.017) allocation failure; scavenge might not succeed\n\n";
    assert.equal(exitReason(v8), "out of memory");
    assert.equal(exitReason("listening\nError: boom\n"), "Error: boom");
    assert.equal(exitReason(""), "no output");
    assert.equal(exitReason("x".repeat(200)).length, 80);
  });

  it("prints the streams table with a cell under every column: the rounds and the ordinary-GC RSS", () => {
    stream("tether", 31_000, [20_000, 31_000, 43_500]);
    streamRows[0].rssOrdinaryGcPerStream = 77_000;
    stream("ceiling", 20_000, [20_000, 20_000, 30_000]);
    const lines = streamsTable(["node"]).split("\n").filter((line) => line.startsWith("|"));
    const cells = (line: string) => line.split(" | ").length;
    assert.equal(lines.length, 4); // header, rule, two servers
    for (const line of lines.slice(2)) assert.equal(cells(line), cells(lines[0]), line);
    const header = lines[0].split(" | ");
    const tether = lines[2].split(" | ");
    assert.equal(
      tether[header.indexOf("RSS Δ / stream (open), each round")],
      "20,000 B, 31,000 B, 43,500 B",
    );
    assert.equal(tether[header.indexOf("RSS Δ / stream (open), ordinary forced GC")], "77,000 B");
  });

  it("holds tether's 100k ÷ 100 scaling to 0.9, or to the legacy floor's own ratio below it", () => {
    const big = settings.memorySteps.at(-1)!;
    const base = settings.memoryBase;
    /** A scale row whose slices served `rates` per server CPU-second. */
    const scale = (server: ServerKey, sessions: number, rates: number[]) => {
      const r = result(rates[0], rates.length);
      r.sliceCpuRates = rates;
      r.okPerCpuSecond = rates[Math.floor(rates.length / 2)]; // the median, as measured
      loadRows.push({
        runtime: "node",
        workload: "scale",
        server,
        sessions,
        result: r,
        generator: "wrk",
      });
    };
    const row = () => cell(headline(["node"], settings), "tether tools/call at");
    scale("tether", base, [10_000, 10_000, 10_000]);
    scale("tether", big, [8_400, 8_500, 8_600]);
    // No floor measured: the plain 0.9.
    assert.match(row(), /^0\.85× \*\*short\*\*.*legacy floor n\/a/);
    // The floor scales 0.80 (its fixed cost per call is 5 µs less): tether's 0.85 meets that bound.
    scale("floor-legacy", base, [20_000, 20_000, 20_000]);
    scale("floor-legacy", big, [16_000, 16_000, 16_000]);
    const met = row();
    assert.match(
      met,
      /^0\.85× met \(paired: median of 3 rounds.*legacy floor 0\.80× \(median of 3 rounds, 0\.80–0\.80\), so the bound is 0\.80×; CPU added per call at \d+: tether 17\.6 µs, floor 12\.5 µs\) \[wrk\]$/,
    );
    assert.ok(met.includes(`CPU added per call at ${big}:`), met);
    // A floor that scales 0.95: tether is held to 0.9 again.
    loadRows.length = 0;
    scale("tether", base, [10_000]);
    scale("tether", big, [8_500]);
    scale("floor-legacy", base, [20_000]);
    scale("floor-legacy", big, [19_000]);
    assert.match(
      row(),
      /^0\.85× \*\*short\*\*.*legacy floor 0\.95× \(median of 1 rounds, 0\.95–0\.95\); CPU/,
    );
    // Measured again in fresh processes: tether 0.92 and 0.88, the floor 0.97 and 0.93; each pair
    // is the median of its three runs (tether 0.88, the floor 0.95), judged against 0.9.
    scaleRechecks.push(
      { runtime: "node", server: "tether", ratios: [0.92, 0.92] },
      { runtime: "node", server: "floor-legacy", ratios: [0.97] },
      { runtime: "node", server: "tether", ratios: [0.88] },
      { runtime: "node", server: "floor-legacy", ratios: [0.93] },
      { runtime: "bun", server: "tether", ratios: [0.1] }, // another runtime's: not this row's
    );
    assert.match(
      row(),
      /^0\.88× \*\*short\*\*, within its rounds' spread of the line \(0\.85–0\.92\) \(paired: median of 1 rounds, 0\.85–0\.85; first run 0\.85×; again in fresh processes: 0\.92×, 0\.88×; judged on the median of 3 runs; .*legacy floor 0\.95× \(median of 1 rounds, 0\.95–0\.95; first run 0\.95×; again: 0\.97×, 0\.93×; the median of 3 runs\); CPU/,
    );
    assert.equal(scaleTarget(0.81), 0.81);
    assert.equal(scaleTarget(0.97), SCALE_TARGET);
    assert.equal(scaleTarget(undefined), SCALE_TARGET);
    assert.equal(scaleTarget(NaN), SCALE_TARGET);
  });

  it("a smoke run drops each process's full-only workloads", () => {
    const plan = {
      server: "ceiling" as const,
      entry: "ceiling.ts",
      args: [],
      workloads: ["large" as const, "large-1m" as const],
      sessionful: true,
      fullOnly: ["large-1m" as const],
    };
    assert.deepEqual(workloadsOf(plan, { smoke: true, wide: true }), ["large"]);
    assert.deepEqual(workloadsOf(plan, { smoke: false, wide: false }), ["large", "large-1m"]);
  });

  it("a full run drops the workloads only a --wide run (or a smoke run) serves", () => {
    const plan = {
      server: "ceiling" as const,
      entry: "ceiling.ts",
      args: [],
      workloads: ["steady" as const, "progress" as const, "init" as const],
      sessionful: true,
      wideOnly: ["progress" as const, "init" as const],
    };
    assert.deepEqual(workloadsOf(plan, { smoke: false, wide: false }), ["steady"]);
    assert.deepEqual(workloadsOf(plan, { smoke: false, wide: true }), plan.workloads);
    assert.deepEqual(workloadsOf(plan, { smoke: true, wide: true }), plan.workloads);
    // Every target row's servers are in a full run: only rows without a target are left out.
    for (const p of PLANS) {
      for (const w of p.wideOnly ?? []) {
        assert.ok(!["floor", "floor-legacy", "tether", "tether-sse"].includes(p.server), w);
      }
    }
  });

  it("a smoke run serves every server's workloads, one process per server and flags", () => {
    const served = (plans: readonly (typeof PLANS)[number][]) =>
      plans.flatMap((plan) => workloadsOf(plan, SMOKE).map((w) => `${plan.server} ${w}`)).sort();
    const merged = oneProcessEach(PLANS);
    assert.deepEqual(served(merged), served(PLANS));
    const flags = new Set(
      PLANS.map((plan) => `${plan.server} ${plan.entry} ${plan.args.join(" ")}`),
    );
    assert.equal(merged.length, flags.size);
    assert.ok(merged.length < PLANS.length);
    const tether = merged.filter((plan) => plan.server === "tether" && plan.args.length === 0);
    assert.equal(tether.length, 1);
    assert.deepEqual(workloadsOf(tether[0], SMOKE), [
      "steady",
      "progress",
      "large",
      "large-1m",
      "stateless",
      "mrtr",
    ]);
    // A full run keeps its processes apart: the stateless rows' come fresh.
    assert.equal(
      PLANS.filter((plan) => plan.server === "tether" && plan.args.length === 0).length,
      2,
    );
  });

  it("SDK v1's memory process stops at 10,000 sessions and times no scale pair", () => {
    const sdk = MEMORY_PLANS.find((plan) => plan.server === "sdk-json")!;
    const tether = MEMORY_PLANS.find((plan) => plan.server === "tether")!;
    assert.deepEqual(memoryStepsOf(sdk, FULL), [1_000, 10_000]);
    assert.deepEqual(memoryStepsOf(tether, FULL), FULL.memorySteps);
    assert.equal(sdk.scalePair, false);
    // A smoke run's steps are all under the bound.
    assert.deepEqual(memoryStepsOf(sdk, SMOKE), SMOKE.memorySteps);
  });

  it("a pair far from its line side by side is not paired; a near one is", () => {
    assert.ok(isClose(1.5, [PEER_LINE], PAIR_MARGIN)); // 25% above 1.2
    assert.ok(!isClose(1.7, [PEER_LINE], PAIR_MARGIN)); // 42% above
    assert.ok(!isClose(0.6, [GUARD_LINE])); // beyond the recheck margin (20%)
    assert.ok(isClose(0.6, [GUARD_LINE], PAIR_MARGIN)); // still paired (29% under)
  });

  it("the plan of a full npm run bench is estimated from its settings", () => {
    const full = plannedRuntime(FULL);
    const wide = plannedRuntime({ ...FULL, wide: true });
    assert.ok(wide.throughput > full.throughput); // --wide adds the rows without a target
    const run = runPlan(FULL, ["deno", "bun", "node"]);
    assert.ok(run.high > run.low); // the rechecks' end
    // Every command's estimate against its budget, its programs' from package.json's flags.
    const text = describeCommands();
    assert.match(text, /^npm run bench: estimated [\d.]+ to [\d.]+ min \(budget 30 min\)/);
    assert.match(text, /npm run bench:scale: estimated [\d.]+ min \(budget 20 min\)/);
    assert.match(
      text,
      /plan: a Redis Cluster on deno, bun, node: 3 workloads on 3 sides, 2 s each/,
    );
    assert.match(text, /npm run bench:gateway: estimated [\d.]+ min \(budget 10 min\)/);
    assert.doesNotMatch(text, /not estimated/);
  });
});
