/**
 * Instructions per request, counted by valgrind: a measure of the library's
 * own work that the machine's load does not move (wall-clock and CPU time on
 * this shared machine swing by tens of percent between runs of the same
 * code; this count repeats within about 0.3%). Each case runs a handler in
 * process (bench/lib/instruction_case.ts) twice, with a short and a long
 * request count, under `valgrind --tool=cachegrind --cache-sim=no`; the
 * difference divided by the extra requests is the cost of one warm request,
 * without start-up or JIT warm-up. V8 runs `--single-threaded` so that
 * compilation and GC happen on the counted thread, in the same order each run.
 *
 *   node_modules/node24/bin/node bench/instructions.ts [--runtime deno,node] [--base <git ref>]
 *                                                       [--cases bare,legacy,2026] [--requests 2000,10000]
 *
 * `--base` measures that commit too (in a temporary git worktree) and prints
 * the difference, for a before/after of one change. Needs valgrind (Debian
 * `valgrind`; not installed by CI). Bun (JavaScriptCore) does not run under
 * valgrind. Counts include the runtime's own work for the built `Request`
 * and `Response` (the "bare" case), and system calls count as one
 * instruction, so compare cases and commits, not runtimes.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARIES, ROOT } from "./lib/proc.ts";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const runtimes = opt("runtime", "deno,node").split(",");
const cases = opt("cases", "bare,legacy,2026").split(",");
const [short, long] = opt("requests", "2000,10000").split(",").map(Number);
const baseRef = opt("base", "");
for (const runtime of runtimes) {
  if (runtime !== "deno" && runtime !== "node") {
    throw new Error(`--runtime ${runtime}: only deno and node run under valgrind`);
  }
}
if (!(long > short && short > 0)) throw new Error("--requests: two counts, the second larger");
if (spawnSync("valgrind", ["--version"]).status !== 0) {
  console.error("valgrind is not installed: apt-get install valgrind");
  process.exit(2);
}

const CASE = join(ROOT, "bench/lib/instruction_case.ts");

function command(runtime: string, tree: string, mode: string, count: number): string[] {
  const args = [CASE, tree, mode, String(count)];
  return runtime === "deno"
    ? [BINARIES.deno, "run", "-A", "--v8-flags=--single-threaded", ...args]
    : [BINARIES.node, "--single-threaded", ...args];
}

/** Instructions executed by one run of a case, start-up included. */
function instructions(runtime: string, tree: string, mode: string, count: number): number {
  const run = spawnSync(
    "valgrind",
    [
      "--tool=cachegrind",
      "--cache-sim=no",
      "--smc-check=all-non-file",
      "--cachegrind-out-file=/dev/null",
      ...command(runtime, tree, mode, count),
    ],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const refs = /I\s+refs:\s+([\d,]+)/.exec(run.stderr);
  if (run.status !== 0 || refs === null) {
    throw new Error(`${runtime} ${mode} failed (${run.status}):\n${run.stderr.slice(-2000)}`);
  }
  return Number(refs[1].replaceAll(",", ""));
}

/** Instructions per warm request: the long run minus the short one, per extra request. */
function perRequest(runtime: string, tree: string, mode: string): number {
  // Once without valgrind: Deno transpiles and caches the TypeScript on a first run.
  const [binary, ...args] = command(runtime, tree, mode, 10);
  const warm = spawnSync(binary, args, { cwd: ROOT, encoding: "utf8" });
  if (warm.status !== 0) throw new Error(`${runtime} ${mode}: ${warm.stderr.slice(-2000)}`);
  return (instructions(runtime, tree, mode, long) - instructions(runtime, tree, mode, short)) /
    (long - short);
}

let baseTree: string | undefined;
if (baseRef !== "") {
  baseTree = mkdtempSync(join(tmpdir(), "tether-instructions-"));
  execFileSync("git", ["worktree", "add", "--detach", baseTree, baseRef], {
    cwd: ROOT,
    stdio: "ignore",
  });
  symlinkSync(join(ROOT, "node_modules"), join(baseTree, "node_modules"));
}
const commit = (ref: string) =>
  execFileSync("git", ["rev-parse", "--short", ref], { cwd: ROOT, encoding: "utf8" }).trim();
const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
  cwd: ROOT,
  encoding: "utf8",
}).trim() !== "";

try {
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  console.log(
    `instructions per request (valgrind, ${short} → ${long} requests); this tree ${commit("HEAD")}${
      dirty ? " + uncommitted changes" : ""
    }${baseTree === undefined ? "" : `, base ${commit(baseRef)}`}`,
  );
  for (const runtime of runtimes) {
    let bare: number | undefined;
    for (const mode of cases) {
      const now = perRequest(runtime, ROOT, mode);
      if (mode === "bare") bare = now;
      let row = `${runtime.padEnd(5)} ${mode.padEnd(7)} ${k(now).padStart(7)}`;
      if (bare !== undefined && mode !== "bare") row += `  (above bare ${k(now - bare)})`;
      if (baseTree !== undefined && mode !== "bare") {
        const before = perRequest(runtime, baseTree, mode);
        const change = now - before;
        row += `  base ${k(before)}, change ${change > 0 ? "+" : ""}${k(change)}`;
        if (bare !== undefined) {
          row += ` (${
            ((100 * change) / (before - bare)).toFixed(1)
          }% of the base's work above bare)`;
        }
      }
      console.log(row);
    }
  }
} finally {
  if (baseTree !== undefined) {
    execFileSync("git", ["worktree", "remove", "--force", baseTree], {
      cwd: ROOT,
      stdio: "ignore",
    });
    rmSync(baseTree, { recursive: true, force: true });
  }
}
