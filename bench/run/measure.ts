/**
 * What every timed run of the throughput and memory phases is made of: starting a server process,
 * making its traffic, warming it, measuring entries side by side (wrk or autocannon), checking each
 * result (a void figure when the server died or answered nothing right) and logging its row.
 * @module
 */

import { join } from "node:path";
import { type LoadResult, measureInterleaved } from "../lib/load.ts";
import { measureWithWrk } from "../lib/wrk.ts";
import { allocatePort, type Runtime, type ServerProcess, startServer } from "../lib/proc.ts";
import { MCP_PATH, POST_HEADERS } from "../lib/protocol.ts";
import { fmtInt, fmtMs } from "./format.ts";
import type { ProcessPlan, Workload } from "./plans.ts";
import type { Generator, Settings, TimingKind } from "./settings.ts";
import { commands, fail, type LoadRow, loadRows, versions } from "./results.ts";
import {
  createSessionsOverHttp,
  echoTraffic,
  elapsed,
  initTraffic,
  JSON_ONLY_HEADERS,
  largeTraffic,
  mrtrSequence,
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

/** Prints one measured row: rate, latency, rate per server CPU-second, and both processes' cores. */
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

/** A started server process, the plan it was started from, and its base URL. */
export interface Running {
  plan: ProcessPlan;
  server: ServerProcess;
  base: string;
}

/**
 * Servers of one runtime starting at once, at most (a smoke run starts a phase's servers together,
 * and its phases side by side): each start is mostly CPU, so more than a few on two cores only
 * make every one of them slower to be ready.
 */
const STARTING_AT_ONCE = 2;
/** Per runtime: its servers starting now, and the starts waiting for one of them to end. */
const starts = new Map<Runtime, { starting: number; waiting: (() => void)[] }>();

/**
 * Starts `plan`'s server on `runtime` at a free port; undefined (and a failure of the bench) when it
 * does not come up.
 */
export async function start(
  runtime: Runtime,
  plan: ProcessPlan,
  bigHeap = false,
): Promise<Running | undefined> {
  // A start that ends hands its place to the next one waiting.
  let slots = starts.get(runtime);
  if (slots === undefined) starts.set(runtime, slots = { starting: 0, waiting: [] });
  if (slots.starting < STARTING_AT_ONCE) slots.starting++;
  else await new Promise<void>((resolve) => slots.waiting.push(resolve));
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
  } finally {
    const next = slots.waiting.shift();
    if (next === undefined) slots.starting--;
    else next();
  }
}

/** `plans`' servers started (together when `settings.concurrent`), those that came up, in order. */
export async function startAll(
  runtime: Runtime,
  plans: readonly ProcessPlan[],
  settings: Pick<Settings, "concurrent">,
): Promise<Running[]> {
  const started: (Running | undefined)[] = [];
  if (settings.concurrent) started.push(...await Promise.all(plans.map((p) => start(runtime, p))));
  else for (const plan of plans) started.push(await start(runtime, plan));
  return started.filter((r): r is Running => r !== undefined);
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

/** A row's name in logs and failures, e.g. "deno steady tether" or "bun scale@100000 tether". */
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

/**
 * Drives one server for the steady timing's warm-up, figures discarded (so compiled code is in a
 * baseline); nothing when it has none (a smoke run).
 */
export async function warm(running: Running, traffic: Traffic, settings: Settings): Promise<void> {
  const target = {
    port: running.server.port,
    pid: running.server.pid,
    path: MCP_PATH,
    connections: settings.connections,
  };
  const onError = (_: number, error: unknown) => {
    throw error;
  };
  if (settings.generator === "wrk" && traffic.wrk !== undefined) {
    const seconds = settings.wrk.steady.warmup;
    if (seconds === 0) return;
    await measureWithWrk(
      [{ ...target, ...traffic.wrk }],
      { warmup: 0, rounds: 1, slice: seconds },
      onError,
    );
  } else {
    const seconds = settings.steady.warmup;
    if (seconds === 0) return;
    await measureInterleaved(
      [{ ...target, sequence: traffic.sequence }],
      { warmup: 0, rounds: 1, slice: seconds },
      onError,
    );
  }
}
