/**
 * Formatting and lookups the report shares: numbers, ratios, per-round spreads, verdicts against
 * a target, and finding a row of results.ts.
 * @module
 */

import { execFileSync } from "node:child_process";
import { type LoadResult, median } from "../lib/load.ts";
import { ROOT, type Runtime } from "../lib/proc.ts";
import type { ServerKey } from "./plans.ts";
import type { Generator } from "./settings.ts";
import { type LoadRow, loadRows, type PairRow, pairRows } from "./results.ts";

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}
export function fmtMs(n: number): string {
  return Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : "n/a";
}
export function fmtRatio(n: number | undefined): string {
  return n !== undefined && Number.isFinite(n) ? `${n.toFixed(2)}×` : "n/a";
}
export function fmtMicros(seconds: number): string {
  return Number.isFinite(seconds) ? `${(seconds * 1e6).toFixed(1)} µs` : "n/a";
}
export function fmtBytes(n: number): string {
  return Number.isFinite(n) ? `${Math.round(n).toLocaleString("en-US")} B` : "n/a";
}

export function findRow(
  runtime: Runtime,
  workload: LoadRow["workload"],
  server: ServerKey,
  sessions?: number,
): LoadRow | undefined {
  return loadRows.find((r) =>
    r.runtime === runtime && r.workload === workload && r.server === server &&
    (sessions === undefined || r.sessions === sessions)
  );
}

/** A row's figures, for a ratio: none when the row is missing or void (see {@linkcode LoadRow.void}). */
export function find(
  runtime: Runtime,
  workload: LoadRow["workload"],
  server: ServerKey,
  sessions?: number,
): LoadResult | undefined {
  const row = findRow(runtime, workload, server, sessions);
  return row?.void === undefined ? row?.result : undefined;
}

/**
 * Why no ratio of `servers`' rows of `workload` is taken, e.g. "not judged: sdk-json: its server
 * exited during the run: out of memory"; undefined when every row that exists has figures.
 */
export function voidReason(
  runtime: Runtime,
  workload: LoadRow["workload"],
  servers: readonly ServerKey[],
): string | undefined {
  for (const server of servers) {
    const voided = findRow(runtime, workload, server)?.void;
    if (voided !== undefined) return `not judged: ${server}: ${voided}`;
  }
  return undefined;
}

/** " [wrk]", " [autocannon]" or " [wrk + autocannon]": the generators behind a headline figure. */
export function generatorTag(
  runtime: Runtime,
  workload: LoadRow["workload"],
  servers: readonly ServerKey[],
  sessions?: readonly number[],
): string {
  const used = new Set<Generator>();
  servers.forEach((server, i) => {
    const row = findRow(runtime, workload, server, sessions?.[i]);
    if (row !== undefined) used.add(row.generator);
  });
  return used.size === 0 ? "" : ` [${[...used].join(" + ")}]`;
}

export function ratio(
  a: LoadResult | undefined,
  b: LoadResult | undefined,
  cpu = false,
): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  return cpu ? a.okPerCpuSecond / b.okPerCpuSecond : a.okPerSecond / b.okPerSecond;
}

/** a's rate ÷ b's in each round of one interleaved run (their slices of a round ran in it). */
export function perRoundRatios(
  a: LoadResult | undefined,
  b: LoadResult | undefined,
  cpu = false,
): number[] {
  if (a === undefined || b === undefined) return [];
  const as = cpu ? a.sliceCpuRates : a.sliceRates;
  const bs = cpu ? b.sliceCpuRates : b.sliceRates;
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    if (bs[i] > 0 && Number.isFinite(as[i])) ratios.push(as[i] / bs[i]);
  }
  return ratios;
}

/** Min–max of the per-round ratios (slices of one round ran back to back), e.g. "rounds 1.60–2.30, ". */
export function roundRange(
  a: LoadResult | undefined,
  b: LoadResult | undefined,
  cpu = false,
): string {
  const ratios = perRoundRatios(a, b, cpu);
  return ratios.length < 2 ? "" : `rounds ${spread(ratios)}, `;
}

/** How a paired figure was taken, e.g. "median of 12 rounds, 0.82–0.88". */
export function roundsSummary(ratios: readonly number[]): string {
  return `median of ${ratios.length} rounds, ${spread(ratios)}`;
}

/** "min–max" of some ratios, e.g. "0.84–0.97". */
export function spread(ratios: readonly number[]): string {
  return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
}

/**
 * A paired run measured again in fresh processes (bench/run/paired.ts, `recheckNearLines`):
 * the median of all its runs' medians, and the lead of its cell's detail naming the runs; undefined
 * when it was measured once.
 * @example
 * ```ts ignore
 * rechecked(row, true); // { value: 0.86, detail: "first run 0.82×; again in fresh processes: 0.88×, 0.86×; judged on the median of 3 runs; " }
 * ```
 */
export function rechecked(
  row: PairRow,
  perCpu: boolean,
): { value: number; detail: string } | undefined {
  if (row.rechecks === undefined || row.rechecks.length === 0) return undefined;
  const again = row.rechecks.map((results) => median(perRoundRatios(...results, perCpu)));
  const runs = [median(perRoundRatios(...row.results, perCpu)), ...again];
  return { value: median(runs), detail: runsDetail(runs[0], again) };
}

/**
 * The lead of a cell naming a row's runs, the first one's median before the fresh ones'.
 * @example
 * ```ts
 * runsDetail(0.82, [0.88, 0.86]);
 * // "first run 0.82×; again in fresh processes: 0.88×, 0.86×; judged on the median of 3 runs; "
 * ```
 */
export function runsDetail(first: number, again: readonly number[]): string {
  return `first run ${fmtRatio(first)}; again in fresh processes: ${
    again.map(fmtRatio).join(", ")
  }; judged on the median of ${again.length + 1} runs; `;
}

/**
 * The figure a paired row is judged on: the median of its runs' medians when it was measured again
 * in fresh processes ({@linkcode rechecked}), else the median of its per-round ratios.
 */
export function pairedFigure(row: PairRow, perCpu: boolean): number {
  return rechecked(row, perCpu)?.value ?? median(perRoundRatios(...row.results, perCpu));
}

/** The pair's run of its own, when {@linkcode pairedRuns} measured it. */
export function findPair(
  runtime: Runtime,
  workload: LoadRow["workload"],
  a: ServerKey,
  b: ServerKey,
): PairRow | undefined {
  return pairRows.find((r) =>
    r.runtime === runtime && r.workload === workload && r.a === a && r.b === b
  );
}

/**
 * A judged ratio and its verdict, e.g. "0.93× met"; with three decimals when
 * two would round it onto a target it misses ("0.898× **short**", not "0.90×"). A short figure
 * whose rounds reach its line says so ({@linkcode withinSpread}): on 2 shared cores such a row is
 * reported, not chased (issue 71, answer 3).
 * @example
 * ```ts
 * judgedRatio(0.93, 0.8); // "0.93× met"
 * judgedRatio(0.78, 0.8, [0.7, 0.78, 0.9]);
 * // "0.78× **short**, within its rounds' spread of the line (0.70–0.90)"
 * ```
 */
export function judgedRatio(
  value: number | undefined,
  target: number | undefined,
  rounds: readonly number[] = [],
  atMost = false,
): string {
  if (target === undefined) return fmtRatio(value);
  const shown = value !== undefined && Number.isFinite(value) && !atMost && value < target &&
      Number(value.toFixed(2)) >= target
    ? `${value.toFixed(3)}×`
    : fmtRatio(value);
  const judged = verdict(value, target, atMost);
  const note = judged === "**short**" && withinSpread(target, rounds)
    ? `, within its rounds' spread of the line (${spread(rounds)})`
    : "";
  return `${shown} ${judged}${note}`;
}

/**
 * Whether `line` lies within the range of `rounds` (at least two): the rounds of the row fall on
 * both sides of it, so one run does not say which side the row is on.
 * @example
 * ```ts
 * withinSpread(0.8, [0.7, 0.9]); // true
 * withinSpread(0.8, [0.6, 0.75]); // false
 * ```
 */
export function withinSpread(line: number, rounds: readonly number[]): boolean {
  const finite = rounds.filter(Number.isFinite);
  return finite.length >= 2 && Math.min(...finite) <= line && line <= Math.max(...finite);
}

export function verdict(value: number | undefined, target: number, atMost = false): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  return (atMost ? value <= target : value >= target) ? "met" : "**short**";
}

/** The tether commit measured (read-only git), flagged when src/ or mod.ts has uncommitted changes. */
export function commit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "mod.ts"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    return dirty.trim() === "" ? head : `${head} + uncommitted changes in src/`;
  } catch {
    return "unknown";
  }
}
