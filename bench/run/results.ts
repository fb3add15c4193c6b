/**
 * What a run has measured so far: the rows of each phase, the failures, each runtime's version and
 * server command. Shared by the phases (which add rows) and the report (which reads them).
 * @module
 */

import type { LoadResult } from "../lib/load.ts";
import type { ServerRefusals } from "../lib/refusals.ts";
import type { Runtime } from "../lib/proc.ts";
import type { ServerKey, Workload } from "./plans.ts";
import type { Generator } from "./settings.ts";

export interface LoadRow {
  runtime: Runtime;
  workload: Exclude<Workload, "memory" | "streams"> | "scale";
  server: ServerKey;
  /** For scaling rows: live sessions. */
  sessions?: number;
  result: LoadResult;
  /** The load generator that produced the figures. */
  generator: Generator;
  /**
   * Why the row's figures mean nothing (its server exited during the run, or answered nothing
   * correctly): set, the row is printed as failed and no ratio is taken from it.
   */
  void?: string;
}

export interface MemoryRow {
  runtime: Runtime;
  server: ServerKey;
  sessions: number;
  rssPerSession: number;
  heapPerSession: number;
  /** Sessions created per second by the in-process admin route for this step. */
  createRate: number;
  gc: boolean;
}

/** One server's figures of the concurrent-streams phase. */
export interface StreamRow {
  runtime: Runtime;
  server: ServerKey;
  streams: number;
  seconds: number;
  /** Seconds until every stream had its first event. */
  openSeconds: number;
  /**
   * Memory Δ per stream while all are open, from a baseline before (forced GC both times: on V8
   * the memory-reducing GC, which releases the young generation's pages).
   */
  rssPerStream: number;
  /** The same RSS Δ read after an ordinary forced GC (V8's young generation left as it is). */
  rssOrdinaryGcPerStream: number;
  heapPerStream: number;
  /** RSS and heap Δ per stream once all have ended. */
  rssAfterPerStream: number;
  heapAfterPerStream: number;
  /** Server CPU-seconds per stream per second of holding them all open. */
  cpuPerStreamSecond: number;
  /** Server CPU in cores over that window. */
  serverCores: number;
  /** Seconds of the CPU window. */
  window: number;
  ok: number;
  bad: number;
  errors: number;
  /** Each round's RSS Δ per stream, in round order (the other fields are the rounds' medians). */
  rssRounds: number[];
}

/**
 * A target pair of one workload measured on its own, in adjacent slices
 * (see {@linkcode pairedRuns}); `results` are a's and b's, slice by slice.
 */
export interface PairRow {
  runtime: Runtime;
  workload: LoadRow["workload"];
  a: ServerKey;
  b: ServerKey;
  results: [LoadResult, LoadResult];
  /**
   * The same run measured again, each time in fresh processes, when its median landed near a line
   * the pair is judged against (bench/run/targets.ts, `isClose`): a's and b's results per run.
   */
  rechecks?: [LoadResult, LoadResult][];
  /** As {@linkcode LoadRow.void}: set when either server's run failed so; nothing is judged on it. */
  void?: string;
}

/**
 * A scale pair (tools/call at the last memory step ÷ at the base, per server CPU-second) measured
 * again in fresh processes (the scale row is always judged on three runs): the per-round ratios
 * of one such run.
 */
export interface ScaleRecheck {
  runtime: Runtime;
  server: "tether" | "floor-legacy";
  ratios: number[];
}

export const loadRows: LoadRow[] = [];
export const pairRows: PairRow[] = [];
export const scaleRechecks: ScaleRecheck[] = [];
/** What each server of the steady workload answered to the requests the spec says to refuse. */
export const refusalRows: { runtime: Runtime; server: ServerKey; refusals: ServerRefusals }[] = [];
export const streamRows: StreamRow[] = [];
export const memoryRows: MemoryRow[] = [];
export const failures: string[] = [];
export const versions = new Map<Runtime, string>();
export const commands = new Map<Runtime, string>();

export function fail(message: string): void {
  failures.push(message);
  console.error(`FAIL ${message}`);
}
