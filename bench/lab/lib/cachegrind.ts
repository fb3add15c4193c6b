/**
 * Reads a `valgrind --tool=cachegrind` output file for bench/lab/instructions.ts:
 * the instructions counted in V8's optimizing compilers (TurboFan,
 * Turboshaft, Maglev) as against everything else. A run with `--single-threaded`
 * compiles on the counted thread, so a count over a window of requests holds
 * the JIT work that happened to fall into it: on Node 24 about a fifth of a
 * warm in-process request over 2,000 → 10,000 calls. That work ends once the
 * code is warm; a steady server does not pay it per request. Needs the
 * runtime's symbols: Node's binary has them, Deno's is stripped (undefined).
 * @module
 */

import { readFileSync } from "node:fs";
import type { FunctionCost } from "./callgrind.ts";

/** Symbols of V8's optimizing compilers (its interpreter and baseline code are not counted here). */
const COMPILER = /v8::internal::(compiler|maglev)::|turboshaft/;

/**
 * Instructions counted in functions of V8's optimizing compilers, from the
 * cachegrind output `file` (each cost line is `<line> <Ir>`, followed by the
 * simulated misses when the run simulated caches); undefined when the file names no such function (a
 * stripped binary).
 *
 * @example
 * ```ts
 * import { compilerInstructions } from "./cachegrind.ts";
 * const compiling = compilerInstructions("/tmp/cachegrind.out.1234");
 * ```
 */
export function compilerInstructions(file: string): number | undefined {
  let inCompiler = false;
  let seen = false;
  let total = 0;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("fn=")) {
      inCompiler = COMPILER.test(line);
      seen ||= inCompiler;
    } else if (inCompiler && line.charCodeAt(0) >= 48 && line.charCodeAt(0) <= 57) {
      // A cost line: the source line, then the instruction count (then, with a cache
      // simulation, the misses: only the first count is read).
      const start = line.indexOf(" ") + 1;
      const end = line.indexOf(" ", start);
      total += Number(end === -1 ? line.slice(start) : line.slice(start, end));
    } else if (line.startsWith("fl=")) {
      inCompiler = false;
    }
  }
  return seen ? total : undefined;
}

/**
 * What a cachegrind run with `--cache-sim=yes --branch-sim=yes` simulated,
 * summed over the run: a {@linkcode FunctionCost} without the instructions
 * (its summary gives those apart).
 */
export type SimulatedEvents = Omit<FunctionCost, "instructions">;

/**
 * The simulated events of a cachegrind run, read from its summary on
 * stderr; undefined when the run simulated no caches. A model of the host's
 * caches (first level and last level, as CPUID reports them) and of a
 * simple branch predictor, not the hardware: compare servers and commits
 * with it, not machines.
 *
 * @example
 * ```ts
 * import { simulatedEvents } from "./cachegrind.ts";
 * simulatedEvents("==1== I1  misses:  10\n==1== D1  misses:  20 (15 rd + 5 wr)\n" +
 *   "==1== LL misses:  3 (2 rd + 1 wr)\n==1== Mispredicts:  7 (6 cond + 1 ind)");
 * // { i1Misses: 10, d1Misses: 20, llMisses: 3, mispredicts: 7 }
 * ```
 */
export function simulatedEvents(stderr: string): SimulatedEvents | undefined {
  const read = (label: RegExp) => {
    const found = label.exec(stderr);
    return found === null ? undefined : Number(found[1].replaceAll(",", ""));
  };
  const i1Misses = read(/I1\s+misses:\s+([\d,]+)/);
  const d1Misses = read(/D1\s+misses:\s+([\d,]+)/);
  const llMisses = read(/LL misses:\s+([\d,]+)/);
  const mispredicts = read(/Mispredicts:\s+([\d,]+)/);
  if (
    i1Misses === undefined || d1Misses === undefined || llMisses === undefined ||
    mispredicts === undefined
  ) {
    return undefined;
  }
  return { i1Misses, d1Misses, llMisses, mispredicts };
}
