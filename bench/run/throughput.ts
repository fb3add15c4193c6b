/**
 * The throughput phase: each workload measured interleaved across servers (wrk or autocannon),
 * paired runs of the close pairs, the refusal probes and the warm-up. Adds rows to results.ts.
 * @module
 */

import { join } from "node:path";
import { type LoadResult, measureInterleaved, median } from "../lib/load.ts";
import { probeRefusals, type ServerRefusals } from "../lib/refusals.ts";
import { measureWithWrk } from "../lib/wrk.ts";
import { allocatePort, type Runtime, type ServerProcess, startServer } from "../lib/proc.ts";
import { MCP_PATH, POST_HEADERS } from "../lib/protocol.ts";
import { findRow, fmtInt, fmtMs, fmtRatio, perRoundRatios, roundsSummary } from "./format.ts";
import { isClose, pairLines } from "./targets.ts";
import {
  type Generator,
  PEERS,
  PLANS,
  type ProcessPlan,
  type ServerKey,
  type Settings,
  SPEC_PEERS,
  type TimingKind,
  type Workload,
  workloadsOf,
} from "./plans.ts";
import {
  commands,
  fail,
  type LoadRow,
  loadRows,
  type PairRow,
  pairRows,
  refusalRows,
  versions,
} from "./results.ts";
import {
  createSessionsOverHttp,
  echoTraffic,
  elapsed,
  initTraffic,
  JSON_ONLY_HEADERS,
  largeTraffic,
  mrtrSequence,
  probe,
  progressTraffic,
  statelessTraffic,
  type Traffic,
  withVersion,
} from "./traffic.ts";

/**
 * Records what went wrong in `server`'s run of `result` as a failure of the bench, and returns why
 * its figures are void, if they are: the server exited during the run (a crash, say out of memory,
 * leaves partial rates that read as anything) or no answer was correct. Wrong answers, errors and
 * timeouts alone fail the bench but leave the correct answers' figures standing.
 */
export function check(
  label: string,
  result: LoadResult,
  server: ServerProcess,
): string | undefined {
  const problems: string[] = [];
  let voided: string | undefined;
  if (result.ok === 0) problems.push(voided = "no correct response");
  if (result.bad > 0) problems.push(`${result.bad} wrong responses (first: ${result.badSample})`);
  if (result.errors > 0) problems.push(`${result.errors} connection errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  if (server.exited()) {
    voided = `its server exited during the run: ${exitReason(server.stderr())}`;
    problems.push(`server exited: ${server.stderr().slice(-500)}`);
  }
  if (problems.length > 0) fail(`${label}: ${problems.join("; ")}`);
  return voided;
}

/** What V8 prints when a process dies at its heap limit. */
const OUT_OF_MEMORY = /out of memory|heap limit|allocation failure/i;

/** Why a dead server died, from its stderr: "out of memory", or its last line, shortened for a table cell. */
export function exitReason(stderr: string): string {
  if (OUT_OF_MEMORY.test(stderr)) return "out of memory";
  const last = stderr.split("\n").map((line) => line.trim()).findLast((line) => line !== "");
  if (last === undefined) return "no output";
  return last.length > 80 ? `${last.slice(0, 77)}...` : last;
}

/**
 * Above this many cores the load generator is taken to be the bottleneck: wrk
 * runs one thread, autocannon runs on the driver's main thread, so neither
 * can use more than one core.
 */
export const GENERATOR_BOUND_CORES = 0.85;

/** Whether the load generator, not the server, limited `result`. */
export function generatorBound(result: LoadResult): boolean {
  return result.generatorCores >= GENERATOR_BOUND_CORES;
}

/** The load generator's share of the CPU the server and it used together, e.g. "18%". */
export function generatorShare(result: LoadResult): string {
  const total = result.generatorCores + result.serverCores;
  return total > 0 ? `${Math.round((100 * result.generatorCores) / total)}%` : "n/a";
}

export function logLoad(row: LoadRow): void {
  const r = row.result;
  const what = row.workload === "scale" ? `scale@${row.sessions}` : row.workload;
  console.log(
    `${elapsed()} ${row.runtime.padEnd(4)} ${what.padEnd(12)} ${row.server.padEnd(10)} ${
      fmtInt(r.okPerSecond).padStart(7)
    }/s` +
      `  p50 ${fmtMs(r.p50)}  p99 ${fmtMs(r.p99)}  ${fmtInt(r.okPerCpuSecond)}/cpu-s  srv ${
        r.serverCores.toFixed(2)
      } cores` +
      `  ${row.generator} ${r.generatorCores.toFixed(2)} cores (${generatorShare(r)})${
        generatorBound(r) ? "  GENERATOR-BOUND" : ""
      }${r.bad + r.errors > 0 ? `  BAD ${r.bad} ERR ${r.errors}` : ""}`,
  );
}

export interface Running {
  plan: ProcessPlan;
  server: ServerProcess;
  base: string;
}

export async function start(
  runtime: Runtime,
  plan: ProcessPlan,
  bigHeap = false,
): Promise<Running | undefined> {
  try {
    const server = await startServer(runtime, join("bench/servers", plan.entry), plan.args, {
      port: allocatePort(),
      bigHeap,
    });
    console.log(
      `${elapsed()} ${runtime} ${plan.server} ${
        plan.args.join(" ")
      } ready on :${server.port} (pid ${server.pid})`,
    );
    versions.set(runtime, server.version);
    if (!commands.has(runtime)) commands.set(runtime, server.command);
    return { plan, server, base: `http://127.0.0.1:${server.port}` };
  } catch (error) {
    fail(`${runtime} ${plan.server}: ${String(error)}`);
    return undefined;
  }
}

/** One measured target of an interleaved run. */
export interface Entry {
  running: Running;
  row: Omit<LoadRow, "result" | "generator">;
  traffic: Traffic;
}

/**
 * Measures the entries side by side (interleaved slices), records and checks
 * the rows. wrk drives them when it is the chosen generator and every entry
 * is a single-request workload; autocannon otherwise.
 */
export async function interleaved(
  entries: Entry[],
  kind: TimingKind,
  settings: Settings,
): Promise<void> {
  if (entries.length === 0) return;
  const generator: Generator =
    settings.generator === "wrk" && entries.every((e) => e.traffic.wrk !== undefined)
      ? "wrk"
      : "autocannon";
  const onError = (i: number, error: unknown) =>
    fail(`${label(entries[i].row)}: ${generator} run failed: ${String(error)}`);
  const results = generator === "wrk"
    ? await measureWithWrk(
      entries.map((e) => wrkTarget(e, settings)),
      settings.wrk[kind],
      onError,
    )
    : await measureInterleaved(
      entries.map((e) => ({
        port: e.running.server.port,
        pid: e.running.server.pid,
        path: MCP_PATH,
        sequence: e.traffic.sequence,
        connections: settings.connections,
      })),
      settings[kind],
      onError,
    );
  entries.forEach((entry, i) => {
    const row: LoadRow = { ...entry.row, result: results[i], generator };
    loadRows.push(row);
    logLoad(row);
    const voided = check(label(entry.row), results[i], entry.running.server);
    if (voided !== undefined) row.void = voided;
  });
}

/** What wrk drives for an entry whose traffic it can send. */
export function wrkTarget(entry: Entry, settings: Settings) {
  return {
    port: entry.running.server.port,
    pid: entry.running.server.pid,
    path: MCP_PATH,
    connections: settings.connections,
    ...entry.traffic.wrk!,
  };
}

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

export function label(row: Omit<LoadRow, "result" | "generator">): string {
  return `${row.runtime} ${
    row.workload === "scale" ? `scale@${row.sessions}` : row.workload
  } ${row.server}`;
}

/**
 * What drives `workload` on the running server: its session pool made over HTTP (steady,
 * progress, the large results), or each request's own session (init), or none (stateless).
 */
export async function trafficOf(
  r: Running,
  workload: Exclude<Workload, "memory" | "streams">,
  settings: Settings,
): Promise<Traffic> {
  if (workload === "init") {
    const { version } = await createSessionsOverHttp(r.base, 1, r.plan.sessionful);
    return initTraffic(r.plan.sessionful, version, r.plan.initMinSlice);
  }
  if (workload === "stateless") return statelessTraffic();
  if (workload === "mrtr") return { sequence: mrtrSequence() };
  const { ids: pool, version } = await createSessionsOverHttp(
    r.base,
    settings.pool,
    r.plan.sessionful,
  );
  const headers = r.plan.accept === "json" ? JSON_ONLY_HEADERS : POST_HEADERS;
  return workload === "steady"
    ? echoTraffic(pool, withVersion(headers, version))
    : workload === "large" || workload === "large-1m"
    ? largeTraffic(pool, workload)
    : progressTraffic(pool);
}

/** Throughput phase of one runtime: steady, progress, init, each measured interleaved across servers. */
export async function throughputPhase(
  runtime: Runtime,
  workloads: Workload[],
  servers: ServerKey[],
  settings: Settings,
) {
  const plans = PLANS.filter((p) =>
    (servers.length === 0 || servers.includes(p.server)) &&
    workloadsOf(p, settings).some((w) => workloads.includes(w))
  );
  const running: Running[] = [];
  for (const plan of plans) {
    const r = await start(runtime, plan);
    if (r !== undefined) running.push(r);
  }
  try {
    for (
      const workload of [
        "steady",
        "progress",
        "large",
        "large-1m",
        "init",
        "stateless",
        "mrtr",
      ] as const
    ) {
      if (!workloads.includes(workload)) continue;
      const entries: Entry[] = [];
      for (const r of running.filter((r) => workloadsOf(r.plan, settings).includes(workload))) {
        const row = { runtime, workload, server: r.plan.server };
        try {
          const traffic = await trafficOf(r, workload, settings);
          await probe(r.base, traffic.sequence[0]);
          entries.push({ running: r, row, traffic });
        } catch (error) {
          fail(`${label(row)}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (workload === "steady" || workload === "stateless") {
        await interleaved(entries, "steady", settings);
        await pairedRuns(entries, workload, settings);
      } else if (workload === "progress" || workload === "large" || workload === "large-1m") {
        await interleaved(entries, "short", settings);
        await pairedRuns(entries, workload, settings);
      } else {
        await interleaved(entries, "short", settings);
      }
    }
    // After every timed run: the probes open sessions and send an 8 MiB body.
    if (workloads.includes("steady")) await probeRefusalsOf(runtime, running);
  } finally {
    await Promise.all(running.map((r) => r.server.stop()));
  }
}

/** The refusal probes (bench/lib/refusals.ts) of each running server of the steady workload. */
export async function probeRefusalsOf(
  runtime: Runtime,
  running: readonly Running[],
): Promise<void> {
  for (const r of running.filter((r) => r.plan.workloads.includes("steady"))) {
    const accept = r.plan.accept === "json" ? JSON_ONLY_HEADERS.accept : POST_HEADERS.accept;
    let refusals: ServerRefusals;
    try {
      refusals = await probeRefusals(r.server.port, accept);
    } catch (error) {
      // A failure of the probes is reported like any other, without ending the run's figures.
      fail(`${runtime} ${r.plan.server}: the refusal probes failed: ${String(error)}`);
      continue;
    }
    refusalRows.push({ runtime, server: r.plan.server, refusals });
    const summary = refusals.outcomes.map((o) => `${o.probe} ${o.answer}`).join(", ");
    console.log(
      `${elapsed()} ${runtime.padEnd(4)} refusals     ${r.plan.server}: control ${
        refusals.control ? "ok" : "FAILED"
      }; ${summary}`,
    );
    if (!refusals.control) {
      fail(`${runtime} ${r.plan.server}: the refusal probes' control call failed`);
    }
  }
}

/** Drives one server for about a second, figures discarded (so compiled code is in a baseline). */
export async function warm(running: Running, traffic: Traffic, settings: Settings): Promise<void> {
  const target = {
    port: running.server.port,
    pid: running.server.pid,
    path: MCP_PATH,
    connections: settings.connections,
  };
  const once = { warmup: 0, rounds: 1, slice: 1 };
  const onError = (_: number, error: unknown) => {
    throw error;
  };
  if (settings.generator === "wrk" && traffic.wrk !== undefined) {
    await measureWithWrk([{ ...target, ...traffic.wrk }], once, onError);
  } else {
    await measureInterleaved([{ ...target, sequence: traffic.sequence }], once, onError);
  }
}
