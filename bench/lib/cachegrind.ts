/**
 * Reads a `valgrind --tool=cachegrind` output file for bench/instructions.ts:
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

/** Symbols of V8's optimizing compilers (its interpreter and baseline code are not counted here). */
const COMPILER = /v8::internal::(compiler|maglev)::|turboshaft/;

/**
 * Instructions counted in functions of V8's optimizing compilers, from the
 * cachegrind output `file` (`--cache-sim=no`, so each cost line is
 * `<line> <Ir>`); undefined when the file names no such function (a
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
      // A cost line: the source line, then the count.
      total += Number(line.slice(line.indexOf(" ") + 1));
    } else if (line.startsWith("fl=")) {
      inCompiler = false;
    }
  }
  return seen ? total : undefined;
}
