/**
 * Instructions per request, counted by valgrind: a measure of the library's
 * own work that the machine's load does not move (wall-clock and CPU time on
 * this shared machine swing by tens of percent between runs of the same
 * code). On Node with `--predictable` the count repeats within about 1%;
 * on Deno it falls into two or three levels from run to run (see
 * bench/notes/2026-11-27-counting-instructions.md), so compare medians of alternating rounds. Each case runs twice, with a
 * short and a long request count, under `valgrind --tool=cachegrind
 * --cache-sim=no`; the difference divided by the extra requests is the cost
 * of one warm request, without start-up. V8 runs `--single-threaded` so that
 * compilation and GC happen on the counted thread, in the same order each
 * run. Warm-up that falls between the two counts is in the figure: the
 * optimizing compilers' work, and code still running unoptimized. On Node 24
 * an in-process 2026-07-28 call counts about 255k over 2,000 → 10,000 calls,
 * 45k–50k of it compiling, and 218k over 5,000 → 25,000 (`--requests
 * 5000,25000`), where two commits compare within ±0.3%. Where the binary has
 * symbols (Node's; Deno's is stripped) each row says how much was compiling,
 * and a comparison with `--base` gives the change without it too
 * (bench/lab/lib/cachegrind.ts): a change that only moves when and how much V8
 * compiles shows there, and is not a cost a warm server pays per request.
 * A served call on Deno reaches its final code only by about the 30,000th
 * call (bench/lab/tier_up.ts traces it): count served cases in the steady state
 * with `--requests 30000,40000`.
 *
 * The in-process cases (`bare`, `legacy`, `2026`) call a handler with built
 * `Request`s (bench/lab/lib/instruction_case.ts). `scale-100` and `scale-100k`
 * send the legacy call to each of 100 or 100,000 sessions in turn (the
 * scaling pair; making 100,000 sessions under valgrind takes minutes, and
 * both runs pay it, so the difference per request leaves it out). The HTTP cases run a bench
 * server and send it real requests (bench/lab/lib/instruction_server.ts), one at
 * a time or, with `--concurrency N`, over N connections with one call in
 * flight each, all `tools/call`s of the echo tool: stateless ones to
 * `http-ceiling` (bench/servers/ceiling.ts), `http-floor`
 * (bench/servers/floor.ts, the checks in one function) and `http-2026`
 * (bench/servers/tether.ts); sessionful ones (one session per connection) to
 * `http-floor-legacy` (floor.ts --era legacy) and `http-legacy` (tether.ts); `http-floor-guarded`
 * and `http-floor-legacy-guarded` are the floors with `--guarded true`, the bounds the guard rows
 * are judged on.
 * They count what the in-process cases cannot: the runtime's HTTP server and
 * its `Request`, whose header reads cost far more on Deno.serve than on a
 * built one, and, at a concurrency above 1, what overlapping calls cost.
 * The heavy workloads' cases call, in sessions, the large tool (256 KiB;
 * `-1m`: 1 MiB) answered as JSON or, `-sse`, as one SSE event, or the
 * 100-progress tool: `http-ceiling-<w>` (fixed bytes; no 1 MiB tool),
 * `http-floor-<w>` (floor.ts: encode the fresh result and each notification,
 * frame, write) and `http-<w>` (tether), each row with its rate against the
 * one before it (floor against ceiling, tether against floor). Use a short
 * `--requests`, e.g. 100,500: a 1 MiB call is slow under valgrind.
 *
 *   node_modules/node24/bin/node bench/lab/instructions.ts [--runtime deno,node] [--base <git ref>] [--predictable] [--rounds 3]
 *        [--cases bare,legacy,2026,scale-100,scale-100k,http-ceiling,http-floor,http-2026,http-floor-legacy,http-legacy,
 *                 http-floor-guarded,http-floor-legacy-guarded,
 *                 http-{ceiling-,floor-,}{large,large-sse,progress},http-{floor-,}{large-1m,large-1m-sse}]
 *        [--requests 2000,10000] [--concurrency 1] [--cache-sim]
 *
 * `--cache-sim` adds cachegrind's cache and branch simulation (first-level
 * 32 KiB instruction and data caches as CPUID reports them here, a last
 * level, a simple branch predictor; about twice as slow): each row then
 * gives the simulated misses per request and a cycle estimate (one per
 * instruction, 10 per first-level miss or misprediction, 100 per last-level
 * miss). Served on Deno, the estimate tracks the timed ratios where the
 * count does not: the 2026-07-28 call counts 0.876 of the guarded floor's
 * instructions and estimates 0.826 of its cycles, against about 0.79 timed
 * (bench/notes/2026-11-27-instructions-are-not-cycles.md).
 *
 * `--base` measures that commit too (in a temporary git worktree) and prints
 * the difference, for a before/after of one change. `--rounds N` measures
 * each case N times (alternating with the base) and reports medians. Needs valgrind (Debian
 * `valgrind`; not installed by CI). Bun (JavaScriptCore) does not run under
 * valgrind. Counts include the runtime's own work for the built `Request`
 * and `Response` (the "bare" case), and system calls count as one
 * instruction, so compare cases and commits, not runtimes.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SimulatedEvents } from "./lib/cachegrind.ts";
import {
  type Count,
  countOf,
  median,
  signed,
  simulatedRow,
  steady,
} from "./lib/instruction_counts.ts";
import { type Drive, runDrivenServer } from "./lib/instruction_server.ts";
import { allocatePort, BINARIES, ROOT } from "../lib/proc.ts";
import { removeTemporaryTrees, temporaryTree } from "./lib/temporary_tree.ts";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const runtimes = opt("runtime", "deno,node").split(",");
const cases = opt("cases", "bare,legacy,2026").split(",");
const [short, long] = opt("requests", "2000,10000").split(",").map(Number);
const baseRef = opt("base", "");
/** V8's deterministic mode (`--predictable`): on Node it makes the count repeat within about 1%. */
const predictable = argv.includes("--predictable");
/** cachegrind's cache and branch simulation: misses per request beside the count (about 2× slower). */
const cacheSim = argv.includes("--cache-sim");
const rounds = Number(opt("rounds", "1"));
/** Connections of the HTTP cases, one call in flight on each. */
const concurrency = Number(opt("concurrency", "1"));
if (!(Number.isInteger(concurrency) && concurrency > 0)) {
  throw new Error("--concurrency: a positive whole number");
}
if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error("--rounds: a positive whole number");
const v8Flags = predictable ? ["--single-threaded", "--predictable"] : ["--single-threaded"];
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

const CASE = join(ROOT, "bench/lab/lib/instruction_case.ts");
/** The cases run in process by instruction_case.ts. */
const IN_PROCESS = ["bare", "legacy", "2026", "scale-100", "scale-100k"];
/** The HTTP cases: the bench server each one runs, its arguments and the calls it gets. */
interface ServerCase {
  file: string;
  args: string[];
  era: Drive["era"];
  /** The tool called (the heavy workloads' tools: legacy era). @default "echo" */
  tool?: Drive["tool"];
  /** The case this one is compared with (measured first when both are asked for). @default "http-ceiling" */
  reference?: string;
}
const CEILING = "bench/servers/ceiling.ts";
const FLOOR = "bench/servers/floor.ts";
const TETHER = "bench/servers/tether.ts";
const SERVERS: Record<string, ServerCase> = {
  "http-ceiling": { file: CEILING, args: [], era: "2026" },
  "http-floor": { file: FLOOR, args: [], era: "2026" },
  "http-2026": { file: TETHER, args: [], era: "2026" },
  "http-floor-legacy": { file: FLOOR, args: ["--era", "legacy"], era: "legacy" },
  "http-legacy": { file: TETHER, args: [], era: "legacy" },
  // The guarded floors (bench/notes/2026-11-27-guard-rows-bound.md): the bounds the guard rows are judged on.
  "http-floor-guarded": { file: FLOOR, args: ["--guarded", "true"], era: "2026" },
  "http-floor-legacy-guarded": {
    file: FLOOR,
    args: ["--era", "legacy", "--guarded", "true"],
    era: "legacy",
  },
};
/**
 * The heavy workloads, in sessions (2025-11-25): per workload a ceiling (where
 * ceiling.ts has the tool), a floor (floor.ts --era legacy: encode, frame,
 * write) and tether, each compared with the one before it.
 */
const HEAVY: Record<string, { tool: Drive["tool"]; sse: boolean; ceiling: boolean }> = {
  large: { tool: "large", sse: false, ceiling: true },
  "large-sse": { tool: "large", sse: true, ceiling: true },
  "large-1m": { tool: "large-1m", sse: false, ceiling: false },
  "large-1m-sse": { tool: "large-1m", sse: true, ceiling: false },
  progress: { tool: "progress", sse: true, ceiling: true },
};
for (const [name, { tool, sse, ceiling }] of Object.entries(HEAVY)) {
  const mode = sse && tool !== "progress" ? ["--mode", "sse"] : [];
  if (ceiling) SERVERS[`http-ceiling-${name}`] = { file: CEILING, args: mode, era: "legacy", tool };
  SERVERS[`http-floor-${name}`] = {
    file: FLOOR,
    args: ["--era", "legacy", ...mode],
    era: "legacy",
    tool,
    reference: ceiling ? `http-ceiling-${name}` : undefined,
  };
  SERVERS[`http-${name}`] = {
    file: TETHER,
    args: mode,
    era: "legacy",
    tool,
    reference: `http-floor-${name}`,
  };
}
for (const mode of cases) {
  if (!IN_PROCESS.includes(mode) && SERVERS[mode] === undefined) {
    throw new Error(`--cases: unknown case ${mode}`);
  }
}

const runtimeArgs = (runtime: string) =>
  runtime === "deno"
    ? [BINARIES.deno, "run", "-A", `--v8-flags=${v8Flags.join(",")}`]
    : [BINARIES.node, ...v8Flags];

function command(runtime: string, tree: string, mode: string, count: number): string[] {
  return [...runtimeArgs(runtime), CASE, tree, mode, String(count)];
}

/** Where each run's cachegrind output goes, read for the compilers' share and then removed. */
const OUTPUT_DIR = mkdtempSync(join(tmpdir(), "tether-cachegrind-"));
const OUTPUT = join(OUTPUT_DIR, "out");

const VALGRIND = [
  "valgrind",
  "--tool=cachegrind",
  ...(cacheSim ? ["--cache-sim=yes", "--branch-sim=yes"] : ["--cache-sim=no"]),
  "--smc-check=all-non-file",
  `--cachegrind-out-file=${OUTPUT}`,
];

/** Instructions executed by one run of a case, start-up included. */
async function instructions(
  runtime: string,
  tree: string,
  mode: string,
  count: number,
): Promise<Count> {
  const server = SERVERS[mode];
  if (server !== undefined) {
    const command = [...VALGRIND, ...runtimeArgs(runtime), join(tree, server.file), ...server.args];
    return countOf(
      await runDrivenServer(command, tree, allocatePort(), count, {
        era: server.era,
        concurrency,
        tool: server.tool,
      }),
      `${runtime} ${mode}`,
      OUTPUT,
    );
  }
  const run = spawnSync(
    VALGRIND[0],
    [...VALGRIND.slice(1), ...command(runtime, tree, mode, count)],
    {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 1 << 26,
    },
  );
  if (run.status !== 0) {
    throw new Error(`${runtime} ${mode} failed (${run.status}):\n${run.stderr.slice(-2000)}`);
  }
  return countOf(run.stderr, `${runtime} ${mode}`, OUTPUT);
}

/**
 * Instructions per warm request: the long run minus the short one, per extra
 * request; `compiling` is the part of it V8's optimizing compilers did in
 * that window (JIT warm-up that a longer `--requests` window spreads thinner).
 */
async function perRequest(runtime: string, tree: string, mode: string): Promise<Count> {
  // Once without valgrind: Deno transpiles and caches the TypeScript on a first run.
  const server = SERVERS[mode];
  if (server !== undefined) {
    await runDrivenServer(
      [...runtimeArgs(runtime), join(tree, server.file), ...server.args],
      tree,
      allocatePort(),
      10,
      { era: server.era, concurrency, tool: server.tool },
    );
  } else {
    const [binary, ...args] = command(runtime, tree, mode, 10);
    const warm = spawnSync(binary, args, { cwd: ROOT, encoding: "utf8" });
    if (warm.status !== 0) throw new Error(`${runtime} ${mode}: ${warm.stderr.slice(-2000)}`);
  }
  const longRun = await instructions(runtime, tree, mode, long);
  const shortRun = await instructions(runtime, tree, mode, short);
  const compiling = longRun.compiling === undefined || shortRun.compiling === undefined
    ? undefined
    : (longRun.compiling - shortRun.compiling) / (long - short);
  const extra = long - short;
  const { sim: longSim } = longRun;
  const { sim: shortSim } = shortRun;
  let sim: SimulatedEvents | undefined;
  if (longSim !== undefined && shortSim !== undefined) {
    sim = { ...longSim };
    for (const field of Object.keys(sim) as (keyof SimulatedEvents)[]) {
      sim[field] = (longSim[field] - shortSim[field]) / extra;
    }
  }
  return { total: (longRun.total - shortRun.total) / extra, compiling, sim };
}

let baseTree: string | undefined;
/** Where this tree is measured: itself, or with a base its copy (tracked files and their uncommitted changes). */
let headTree = ROOT;
if (baseRef !== "") {
  try {
    baseTree = temporaryTree(baseRef);
    headTree = temporaryTree("HEAD");
    const changes = execFileSync("git", ["diff", "HEAD", "--binary"], { cwd: ROOT });
    if (changes.length > 0) {
      execFileSync("git", ["apply", "--binary", "-"], { cwd: headTree, input: changes });
    }
  } catch (error) {
    removeTemporaryTrees([baseTree, headTree]); // a failed set-up leaves no worktree behind
    throw error;
  }
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
    `instructions per request (valgrind, ${short} → ${long} requests${
      concurrency > 1 ? `, HTTP cases over ${concurrency} connections` : ""
    }); this tree ${commit("HEAD")}${dirty ? " + uncommitted changes" : ""}${
      baseTree === undefined ? "" : `, base ${commit(baseRef)}`
    }`,
  );
  for (const runtime of runtimes) {
    // Each case is compared with its family's reference: bare in process, the ceiling over HTTP.
    const reference: Record<string, number> = {};
    for (const mode of cases) {
      const server = SERVERS[mode];
      const referenceMode = server === undefined ? "bare" : server.reference ?? "http-ceiling";
      const above = server === undefined
        ? "above bare"
        : server.reference === undefined
        ? "above ceiling"
        : `above ${referenceMode.slice("http-".length)}`;
      const baseHasIt = baseTree !== undefined && mode !== referenceMode &&
        (server === undefined || existsSync(join(baseTree, server.file)));
      // Alternating rounds: both trees see the machine in the same states.
      const heads: Count[] = [];
      const bases: Count[] = [];
      for (let round = 0; round < rounds; round++) {
        heads.push(await perRequest(runtime, headTree, mode));
        if (baseHasIt) bases.push(await perRequest(runtime, baseTree!, mode));
      }
      const now = median(heads.map((count) => count.total));
      reference[mode] = now; // each case may be another's reference
      const bare = reference[referenceMode];
      let row = `${runtime.padEnd(5)} ${mode.padEnd(12)} ${k(now).padStart(7)}`;
      if (rounds > 1) row += ` [${heads.map((count) => k(count.total)).join(", ")}]`;
      if (bare !== undefined && mode !== referenceMode) {
        row += `  (${above} ${k(now - bare)}`;
        // A heavy case's throughput per CPU-second against its reference's, as the counts predict.
        if (server?.reference !== undefined) row += `; ${(bare / now).toFixed(2)}× its rate`;
        row += ")";
      }
      const steadyNow = steady(heads);
      if (steadyNow !== undefined) row += `  (${k(now - steadyNow)} of it compiling)`;
      row += simulatedRow(heads);
      if (baseTree !== undefined && mode !== referenceMode) {
        if (!baseHasIt) {
          row += "  (the base has no such server)";
        } else {
          const before = median(bases.map((count) => count.total));
          if (rounds > 1) {
            row += `  base rounds [${bases.map((count) => k(count.total)).join(", ")}]`;
          }
          row += `  base ${k(before)}, change ${signed(now, before)}`;
          if (bare !== undefined) {
            row += ` (${
              ((100 * (now - before)) / (before - bare)).toFixed(1)
            }% of the base's work ${above})`;
          }
          const steadyBefore = steady(bases);
          if (steadyNow !== undefined && steadyBefore !== undefined) {
            row += `; without compiling ${k(steadyBefore)} → ${k(steadyNow)}, ${
              signed(steadyNow, steadyBefore)
            }`;
          }
        }
      }
      console.log(row);
    }
  }
} finally {
  rmSync(OUTPUT_DIR, { recursive: true, force: true });
  removeTemporaryTrees([baseTree, headTree]);
}
