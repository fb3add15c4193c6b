/**
 * The counts of bench/lab/instructions.ts: one valgrind run's instructions (and the part V8's
 * optimizing compilers did, and the simulated misses with `--cache-sim`), and how rows of them
 * are summed up and compared.
 * @module
 */

import { rmSync } from "node:fs";
import { compilerInstructions, type SimulatedEvents, simulatedEvents } from "./cachegrind.ts";
import { cycleEstimate } from "./callgrind.ts";

/** One run's count, and the part of it V8's optimizing compilers did (undefined: a stripped binary). */
export interface Count {
  total: number;
  compiling: number | undefined;
  /** With `--cache-sim`: the simulated misses. */
  sim?: SimulatedEvents;
}

/** The count of one run from valgrind's `stderr` and its cachegrind `output` file (removed). */
export function countOf(stderr: string, what: string, output: string): Count {
  const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  if (refs === null) throw new Error(`${what}: no count from valgrind:\n${stderr.slice(-2000)}`);
  const compiling = compilerInstructions(output);
  rmSync(output, { force: true });
  return { total: Number(refs[1].replaceAll(",", "")), compiling, sim: simulatedEvents(stderr) };
}

/** The simulated misses per request of `counts` (medians), and the cycle estimate. */
export function simulatedRow(counts: readonly Count[]): string {
  if (counts.some((count) => count.sim === undefined)) return "";
  const mid = (pick: (sim: SimulatedEvents) => number) =>
    median(counts.map((count) => pick(count.sim!))).toFixed(0);
  // bench/lab/lib/callgrind.ts's estimate, from this count's instructions and misses.
  const cycles = median(
    counts.map((count) => cycleEstimate({ instructions: count.total, ...count.sim! })),
  );
  return `  (misses: I1 ${mid((sim) => sim.i1Misses)}, D1 ${mid((sim) => sim.d1Misses)}, LL ${
    mid((sim) => sim.llMisses)
  }, branches ${mid((sim) => sim.mispredicts)}; cycle estimate ${(cycles / 1000).toFixed(1)}k)`;
}

/** The median per-request count without the compilers' part; undefined when a binary is stripped. */
export function steady(counts: readonly Count[]): number | undefined {
  if (counts.some((count) => count.compiling === undefined)) return undefined;
  return median(counts.map((count) => count.total - count.compiling!));
}

/** `now` against `before`: the difference and its percentage, signed. */
export function signed(now: number, before: number): string {
  const change = now - before;
  const sign = change > 0 ? "+" : "";
  return `${sign}${(change / 1000).toFixed(1)}k (${sign}${(100 * change / before).toFixed(1)}%)`;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
