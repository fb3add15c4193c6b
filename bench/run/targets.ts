/**
 * The lines the headline holds its paired rows to (bench/run/headline.ts), in one place, so the
 * throughput phase can tell which of its paired runs landed too close to a line for one run to
 * settle (see {@linkcode isClose}) and measure those again in fresh processes.
 * @module
 */

import { PEERS, type ServerKey } from "./plans.ts";
import type { LoadRow } from "./results.ts";

/**
 * tether ÷ each guarded floor, both eras (issue 71, answer 2: the guards tether keeps on by
 * default are part of the yardstick; the plain floors, which drop them, are bounds without a
 * target). Judged timed, on paired medians.
 */
export const GUARD_LINE = 0.8;
/**
 * Where the guard rows aim (issue 71, answer 2): not judged; the instruction-count ratio beside the
 * timed one tells how far the code is from it without the machine's load
 * ({@linkcode GUARD_INSTRUCTIONS}).
 */
export const GUARD_ASPIRATION = 0.85;

/** One counted ratio of instructions per call, tether ÷ a guarded floor, and where it comes from. */
export interface CountedRatio {
  /** tether's instructions per call ÷ the guarded floor's, as a ratio of calls per instruction. */
  ratio: number;
  /** How it was counted: the tool, commit and date. */
  source: string;
}

/**
 * The guard rows' instruction counts, per era and runtime, as last counted
 * (bench/notes/2026-11-27-guard-rows-bound.md, "Counted, not timed"): shown beside the timed rows as
 * information, never judged. Bun does not run under valgrind, so it has none.
 */
export const GUARD_INSTRUCTIONS: Readonly<
  Record<"steady" | "stateless", Partial<Record<"deno" | "node" | "bun", CountedRatio>>>
> = {
  steady: {
    deno: {
      ratio: 0.892,
      source: "bench/lab/instructions.ts, a7e73d7, 2026-11-27: 87.0k ÷ 97.5k per call",
    },
    node: {
      ratio: 0.89,
      source:
        "bench/lab/instructions.ts, a7e73d7, 2026-11-27: about 167k ÷ 188k per call without V8's compiling",
    },
  },
  stateless: {
    deno: {
      ratio: 0.884,
      source: "bench/lab/instructions.ts, a7e73d7, 2026-11-27: 91.6k ÷ 103.6k per call",
    },
  },
};
/** tether ÷ the fastest peer as spec-following clients call it, both eras. */
export const PEER_LINE = 1.2;
/**
 * The heavy workloads: tether ÷ the large-result floor (JSON) and tether ÷ the resumable floors
 * (the SSE answers and the progress tool: issue 71, answer 1, since tether keeps every SSE answer
 * for a `Last-Event-ID` resume on any instance and the plain floors keep nothing, bound nothing it
 * should reach); the plain SSE floors stay as bounds without a target.
 */
export const HEAVY_LINE = 0.8;
/** RSS per idle SSE stream: tether ÷ the resumable legacy floor, at most (issue 71, answer 1). */
export const IDLE_STREAM_LINE = 1.5;
/** The 100-progress tool: tether ÷ SDK v1. */
export const PROGRESS_SDK_LINE = 5;
/** Steady tools/call: tether ÷ SDK v1, JSON and SSE (an earlier target). */
export const STEADY_SDK_LINE = 2;

/** The scaling target of issue 46: tools/call at 100,000 ÷ at 100 sessions per server CPU-s. */
export const SCALE_TARGET = 0.9;

/**
 * The scaling target tether is judged against: {@linkcode SCALE_TARGET}, or the legacy floor's
 * own ratio where that is below it (a server doing only what each call must do with its session
 * cannot reach more on that runtime); the plain target when the floor was not measured.
 * @example
 * ```ts
 * scaleTarget(0.81); // 0.81
 * scaleTarget(0.97); // 0.9
 * ```
 */
export function scaleTarget(floorRatio: number | undefined): number {
  return floorRatio !== undefined && Number.isFinite(floorRatio) && floorRatio < SCALE_TARGET
    ? floorRatio
    : SCALE_TARGET;
}

/**
 * How near its line a paired row's median may be before one run is not taken to settle it, as a
 * share of the line: on this 2-core machine the same tree's close rows move by 0.05–0.15 from run
 * to run (bench/notes/2026-11-27-rows-near-their-line.md), up to 18% of the guard rows' 0.85, so the
 * margin covers that spread.
 */
export const RECHECK_MARGIN = 0.2;

/**
 * How near its line a target pair's side-by-side ratio must lie, as a share of the line, for the
 * pair to be measured again on its own (bench/run/paired.ts): a side-by-side ratio moves by up to
 * about a quarter from its paired median here (2026-11-27: tether ÷ the floor, stateless, Deno
 * 0.91 side by side, 0.82 paired), so a pair farther than this from every line it is held to is
 * settled side by side, and its time goes to the pairs that are not.
 */
export const PAIR_MARGIN = 0.35;

/**
 * The lines the headline judges `a ÷ b` of `workload` against, when they were measured as a
 * paired run (bench/run/paired.ts, `closePairs`); none for the bounds (a floor ÷ a floor).
 * @example
 * ```ts
 * pairLines("stateless", "tether", "floor-guarded"); // [0.8]
 * pairLines("stateless", "tether", "floor"); // []: a bound
 * pairLines("progress", "tether", "sdk"); // [5]
 * pairLines("progress", "tether", "floor-legacy"); // []: a bound
 * pairLines("large", "floor-legacy-sse-resumable", "floor-legacy-sse"); // []
 * ```
 */
export function pairLines(workload: LoadRow["workload"], a: ServerKey, b: ServerKey): number[] {
  if (a !== "tether" && a !== "tether-sse") return [];
  switch (workload) {
    case "steady":
    case "stateless":
      if (a !== "tether") return [];
      if (!PEERS.includes(b)) {
        return b === "floor-guarded" || b === "floor-legacy-guarded" ? [GUARD_LINE] : [];
      }
      return workload === "steady" && b === "sdk-json" ? [PEER_LINE, STEADY_SDK_LINE] : [PEER_LINE];
    case "progress":
      if (a !== "tether") return [];
      if (b === "sdk") return [PROGRESS_SDK_LINE];
      return b === "floor-legacy-resumable" ? [HEAVY_LINE] : [];
    case "large":
    case "large-1m":
      // JSON against the large-result floor; SSE against the resumable one only.
      return a === "tether" || b === "floor-legacy-sse-resumable" ? [HEAVY_LINE] : [];
    default:
      return [];
  }
}

/**
 * Whether `value` lies within `margin` ({@linkcode RECHECK_MARGIN} unless told) of any of `lines`
 * (above or below): one run does not settle which side it is on.
 * @example
 * ```ts
 * isClose(0.73, [0.85]); // true
 * isClose(1.03, [0.85]); // false: met by more than 20%
 * isClose(0.67, [0.85]); // false: short by more than 20%
 * ```
 */
export function isClose(
  value: number,
  lines: readonly number[],
  margin: number = RECHECK_MARGIN,
): boolean {
  return Number.isFinite(value) &&
    lines.some((line) => Math.abs(value - line) < margin * line);
}
