/**
 * The paired runs: each close target pair of a workload measured again alone in adjacent slices,
 * and measured in fresh processes again when its median lands near a line it is judged against
 * (bench/notes/2026-11-27-rows-near-their-line.md). Adds pair rows to results.ts.
 * @module
 */

import { type LoadResult, median } from "../lib/load.ts";
import { measureWithWrk } from "../lib/wrk.ts";
import type { Runtime } from "../lib/proc.ts";
import { find, findRow, fmtRatio, perRoundRatios, ratio, roundsSummary } from "./format.ts";
import { isClose, PAIR_MARGIN, pairLines } from "./targets.ts";
import { PEERS, type ServerKey, SPEC_PEERS } from "./plans.ts";
import type { Settings } from "./settings.ts";
import { fail, type LoadRow, type PairRow, pairRows } from "./results.ts";
import { elapsed, probe } from "./traffic.ts";
import {
  check,
  type Entry,
  label,
  type Running,
  start,
  trafficOf,
  warm,
  wrkTarget,
} from "./measure.ts";

/** The workloads whose target pairs are measured again on their own (see {@linkcode pairedRuns}). */
export type PairedWorkload = "steady" | "stateless" | "progress" | "large" | "large-1m";

/**
 * The target pairs of a workload, each judged on its own paired run: steady and stateless, tether
 * against its floor and against the fastest peer as spec-following clients call it (by the rows
 * just measured side by side: ≥ 1.2× it is ≥ 1.2× every peer); progress, tether against the
 * progress floor and SDK v1; the large results, tether against the large-result floor, JSON and
 * SSE. The SSE rows' floors come in a run of three (tether, the resumable floor, the floor), judged
 * on each of its pairs (the resumable floor ÷ the floor: what keeping what a resume needs costs);
 * three slices a round rather than the six of three pairs. The guard rows (steady, stateless) are
 * such a run too: tether, the guarded floor, the floor.
 */
export function closePairs(runtime: Runtime, workload: PairedWorkload): ServerKey[][] {
  if (workload === "progress") {
    return [["tether", "floor-legacy-resumable", "floor-legacy"], ["tether", "sdk"]];
  }
  const sse: ServerKey[] = ["tether-sse", "floor-legacy-sse-resumable", "floor-legacy-sse"];
  if (workload === "large" || workload === "large-1m") return [["tether", "floor-legacy"], sse];
  // The guard rows: tether, the guarded floor, the floor (their bound: what the guards cost).
  const pairs: ServerKey[][] = [
    workload === "steady"
      ? ["tether", "floor-legacy-guarded", "floor-legacy"]
      : ["tether", "floor-guarded", "floor"],
  ];
  const peer = fastestPeerOf(runtime, workload, SPEC_PEERS);
  if (peer !== undefined) pairs.push(["tether", peer]);
  return pairs;
}

/**
 * The peer (of `peers`: every peer row unless told) whose row of `workload`
 * has the most answers per server CPU-second.
 */
export function fastestPeerOf(
  runtime: Runtime,
  workload: LoadRow["workload"],
  peers: readonly ServerKey[] = PEERS,
): ServerKey | undefined {
  let best: LoadRow | undefined;
  for (const peer of peers) {
    const row = findRow(runtime, workload, peer);
    if (
      row === undefined || row.void !== undefined || !Number.isFinite(row.result.okPerCpuSecond)
    ) {
      continue;
    }
    if (best === undefined || row.result.okPerCpuSecond > best.result.okPerCpuSecond) best = row;
  }
  return best?.server;
}

/**
 * Measures each of the workload's close target pairs (or runs of three) again, alone in adjacent
 * slices (a b, b a, …; a b c, b c a, …). Side by side with a dozen servers, a pair's slices of one
 * round are up to a dozen seconds apart, and on a shared host one server's rate moves by half
 * within a minute (a neighbour's load, the clock): adjacent slices share most of that drift, so
 * the median of their per-round ratios is the pair's figure.
 */
export async function pairedRuns(
  entries: Entry[],
  workload: PairedWorkload,
  settings: Settings,
): Promise<void> {
  if (settings.generator !== "wrk" || entries.length === 0) return;
  if (!settings.heavyPairs && workload !== "steady" && workload !== "stateless") return;
  const runtime = entries[0].row.runtime;
  for (const servers of closePairs(runtime, workload)) {
    // A server left out of this run (--only) leaves its run's other pairs measured.
    const run = servers.map((server) => entries.find((e) => e.row.server === server))
      .filter((e): e is Entry => e?.traffic.wrk !== undefined);
    if (run.length < 2) continue;
    const far = settings.smoke ? undefined : farFromLines(runtime, workload, run);
    if (far !== undefined) {
      console.log(
        `${elapsed()} ${runtime.padEnd(4)} side by side ${far}: far from its line, not paired`,
      );
      continue;
    }
    const results = await measureWithWrk(
      run.map((e) => wrkTarget(e, settings)),
      settings.pairs,
      (i, error) => fail(`${label(run[i].row)} (paired): wrk run failed: ${error}`),
    );
    const voids = run.map((e, i) =>
      check(`${label(e.row)} (paired)`, results[i], e.running.server)
    );
    const rows: PairRow[] = [];
    for (let i = 0; i < run.length; i++) {
      for (let j = i + 1; j < run.length; j++) {
        const [a, b] = [run[i].row.server, run[j].row.server];
        const pairRow: PairRow = { runtime, workload, a, b, results: [results[i], results[j]] };
        const voided = voids[i] === undefined ? voids[j] : voids[i];
        if (voided !== undefined) pairRow.void = `${voids[i] === undefined ? b : a}: ${voided}`;
        pairRows.push(pairRow);
        const ratios = perRoundRatios(results[i], results[j], true);
        if (ratios.length === 0 || voided !== undefined) continue; // a failed run, reported above
        rows.push(pairRow);
        console.log(
          `${elapsed()} ${runtime.padEnd(4)} paired       ${a} ÷ ${b}: ${
            fmtRatio(median(ratios))
          } per CPU-s (${roundsSummary(ratios)})`,
        );
      }
    }
    await recheckNearLines(run, rows, workload, settings);
  }
}

/**
 * The run's judged pairs as "a ÷ b 1.84×" when every one of them lay farther than
 * {@linkcode PAIR_MARGIN} from each line it is held to side by side (it is judged there, as a smoke
 * run judges the heavy rows); undefined when one lay near, had no figure, or the run has no line.
 */
function farFromLines(
  runtime: Runtime,
  workload: PairedWorkload,
  run: Entry[],
): string | undefined {
  const judged: string[] = [];
  for (let i = 0; i < run.length; i++) {
    for (let j = i + 1; j < run.length; j++) {
      const [a, b] = [run[i].row.server, run[j].row.server];
      const lines = pairLines(workload, a, b);
      if (lines.length === 0) continue;
      const value = ratio(find(runtime, workload, a), find(runtime, workload, b), true);
      if (value === undefined || !Number.isFinite(value) || isClose(value, lines, PAIR_MARGIN)) {
        return undefined;
      }
      judged.push(`${a} ÷ ${b} ${fmtRatio(value)}`);
    }
  }
  return judged.length === 0 ? undefined : judged.join(", ");
}

/**
 * When a judged pair of the run landed near a line it is held to (targets.ts, `isClose`),
 * one run has not settled it (the same tree's close rows move by 0.05–0.15 from run to run here):
 * the run is measured `settings.rechecks` times more, each in fresh processes, and every pair of
 * it keeps those runs (`PairRow.rechecks`), to be judged on the median of its runs' medians.
 * Whether to measure again depends on nearness alone, met or short.
 */
async function recheckNearLines(
  run: Entry[],
  rows: PairRow[],
  workload: PairedWorkload,
  settings: Settings,
): Promise<void> {
  const near = rows.some((row) =>
    isClose(median(perRoundRatios(...row.results, true)), pairLines(workload, row.a, row.b))
  );
  if (!near) return;
  const index = (server: ServerKey) => run.findIndex((e) => e.row.server === server);
  for (let k = 0; k < settings.rechecks; k++) {
    const fresh = await freshRun(run, workload, settings);
    if (fresh === undefined) return; // reported as a failure
    for (const row of rows) {
      const results: [LoadResult, LoadResult] = [fresh[index(row.a)], fresh[index(row.b)]];
      (row.rechecks ??= []).push(results);
      const ratios = perRoundRatios(...results, true);
      console.log(
        `${elapsed()} ${row.runtime.padEnd(4)} paired again ${row.a} ÷ ${row.b}: ${
          fmtRatio(median(ratios))
        } per CPU-s in fresh processes (${roundsSummary(ratios)})`,
      );
    }
  }
}

/**
 * The run's servers started afresh, their traffic made and probed, each warmed, then measured
 * alone in adjacent slices as the first run was, and stopped; undefined when any of it failed
 * (reported as a failure of the bench).
 */
async function freshRun(
  run: Entry[],
  workload: PairedWorkload,
  settings: Settings,
): Promise<LoadResult[] | undefined> {
  const runtime = run[0].row.runtime;
  const started: Running[] = [];
  try {
    const entries: Entry[] = [];
    for (const e of run) {
      const r = await start(runtime, e.running.plan);
      if (r === undefined) return undefined;
      started.push(r);
      const traffic = await trafficOf(r, workload, settings);
      await probe(r.base, traffic.sequence[0]);
      entries.push({ running: r, row: e.row, traffic });
    }
    for (const e of entries) await warm(e.running, e.traffic, settings);
    let failed = false;
    const results = await measureWithWrk(
      entries.map((e) => wrkTarget(e, settings)),
      settings.pairs,
      (i, error) => {
        failed = true;
        fail(`${label(entries[i].row)} (paired, fresh processes): wrk run failed: ${error}`);
      },
    );
    const voids = entries.map((e, i) =>
      check(`${label(e.row)} (paired, fresh processes)`, results[i], e.running.server)
    );
    return failed || voids.some((v) => v !== undefined) ? undefined : results;
  } catch (error) {
    fail(`${runtime} ${workload} (paired, fresh processes): ${String(error)}`);
    return undefined;
  } finally {
    await Promise.all(started.map((r) => r.server.stop()));
  }
}
