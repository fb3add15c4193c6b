/**
 * Reads V8's `--trace-opt --trace-deopt` output (bench/lab/tier_up.ts): what the
 * optimizing compilers finished in a stretch of it. A compile is counted once,
 * by its `[completed compiling …]` line (TurboFan also prints `[completed
 * optimizing …]` for it); a deoptimization by its `[bailout …]` line.
 * @module
 */

/** What V8's compilers did in one stretch of the trace. */
export interface TierWindow {
  /** Functions Maglev (V8's mid tier) finished compiling. */
  maglev: number;
  /** Functions TurboFan (the top tier) finished compiling. */
  turbofan: number;
  /** Deoptimizations (optimized code thrown away, back to a lower tier). */
  deopts: number;
  /** The functions TurboFan compiled, in order; `(anonymous)` for those without a name. */
  turbofanNames: string[];
}

/**
 * The compiles and deoptimizations in `lines` of a trace.
 *
 * @example
 * ```ts
 * import { summarizeTrace } from "./tier_trace.ts";
 * summarizeTrace([
 *   "[completed compiling 0x1 <JSFunction f (sfi = 0x2)> (target TURBOFAN_JS) - took 0.003, 0.231, 0.005 ms]",
 * ]).turbofanNames; // ["f"]
 * ```
 */
export function summarizeTrace(lines: readonly string[]): TierWindow {
  const window: TierWindow = { maglev: 0, turbofan: 0, deopts: 0, turbofanNames: [] };
  for (const line of lines) {
    if (line.startsWith("[bailout")) {
      window.deopts++;
      continue;
    }
    if (!line.startsWith("[completed compiling")) continue;
    if (line.includes("(target MAGLEV)")) window.maglev++;
    else if (line.includes("(target TURBOFAN")) {
      window.turbofan++;
      window.turbofanNames.push(/<JSFunction (\S*) ?\(sfi/.exec(line)?.[1] || "(anonymous)");
    }
  }
  return window;
}

/**
 * The complete lines of `trace` from offset `from` on, and the offset after
 * them: a line still arriving (no newline yet) is left for the next call, so
 * a window never counts half a line and the next one never loses its start.
 *
 * @example
 * ```ts
 * import { completeLines } from "./tier_trace.ts";
 * completeLines("[bailout a]\n[completed comp", 0); // { lines: ["[bailout a]"], next: 12 }
 * ```
 */
export function completeLines(trace: string, from: number): { lines: string[]; next: number } {
  const next = Math.max(from, trace.lastIndexOf("\n") + 1);
  return { lines: next === from ? [] : trace.slice(from, next - 1).split("\n"), next };
}
