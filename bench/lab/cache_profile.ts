/**
 * Where a served call's cycles go in the steady state, by function, as
 * valgrind's cache and branch simulation sees them: one bench server runs
 * under `valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes
 * --dump-instr=yes` with V8's perf map on (`--perf-basic-prof`); one
 * connection sends `--warm` echo calls (past the tier-up: bench/lab/tier_up.ts),
 * the counters are zeroed, `--calls` more are sent, and the window is dumped.
 * Each row is one function's own cost per call: instructions, first-level
 * instruction and data cache misses, mispredicted branches, and the cycle
 * estimate (bench/lab/lib/callgrind.ts). JIT code is named from the perf map;
 * the runtime's native code (Deno's binary is stripped) is one row per
 * object. A count, not a timing: the machine's load does not move it.
 *
 *   node_modules/node24/bin/node bench/lab/cache_profile.ts [--runtime deno|node]
 *        [--server tether-2026|tether|floor-guarded|floor-legacy-guarded|floor|floor-legacy]
 *        [--warm 30000] [--calls 10000] [--top 30]
 *
 * Needs valgrind and its `callgrind_control` (Debian `valgrind`). About 6
 * minutes for the defaults on Deno. Bun (JavaScriptCore) does not run under
 * valgrind.
 * @module
 */

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cycleEstimate,
  type FunctionCost,
  nameAt,
  parsePerfMap,
  selfCosts,
  totalCost,
} from "./lib/callgrind.ts";
import { echoCaller, echoServer } from "./lib/echo_caller.ts";
import { allocatePort, BINARIES, ROOT } from "../lib/proc.ts";

/** V8's tier marks in a perf map's JavaScript names. */
const TIERS: Record<string, string> = {
  "~": "ignition",
  "^": "sparkplug",
  "+": "maglev",
  "*": "turbofan",
};

/** A perf map name as a row names it: a function's name and place, then the tier its code is from. */
function jitName(name: string): string {
  const js = /^JS:([~^+*]?)'?(.*)$/.exec(name);
  if (js === null) return name; // Builtin:…, RegExp:…, Bytecode handlers
  return `${js[2].trim() || "(anonymous)"} [${TIERS[js[1]] ?? "?"}]`;
}

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const runtime = opt("runtime", "deno");
const serverKey = opt("server", "tether-2026");
const warm = Number(opt("warm", "30000"));
const calls = Number(opt("calls", "10000"));
const top = Number(opt("top", "30"));
if (runtime !== "deno" && runtime !== "node") throw new Error("--runtime: deno or node");
for (const [name, value] of [["warm", warm], ["calls", calls], ["top", top]] as const) {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new Error(`--${name}: a positive whole number`);
  }
}
const server = echoServer(serverKey);

const dir = mkdtempSync(join(tmpdir(), "tether-cache-profile-"));
const dump = join(dir, "callgrind.out");
const V8_FLAGS = ["--single-threaded", "--perf-basic-prof"];
const port = allocatePort();
const entry = [join(ROOT, "bench/servers", server.file), ...server.args, "--port", String(port)];
const command = [
  "valgrind",
  "--tool=callgrind",
  "--cache-sim=yes",
  "--branch-sim=yes",
  "--dump-instr=yes",
  "--smc-check=all-non-file",
  `--callgrind-out-file=${dump}`,
  ...(runtime === "deno"
    ? [BINARIES.deno, "run", "-A", `--v8-flags=${V8_FLAGS.join(",")}`, ...entry]
    : [BINARIES.node, ...V8_FLAGS, ...entry]),
];
// In its own directory: callgrind_control talks to the process through files there.
const child = spawn(command[0], command.slice(1), { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
let stderr = "";
child.stderr.on("data", (chunk) => (stderr += chunk));
const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
/** Where V8 writes its perf map: named by the process, which valgrind runs as itself. */
const perfMap = `/tmp/perf-${child.pid}.map`;

try {
  await new Promise<void>((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("READY ")) resolve();
    });
    child.on("exit", (code) => {
      reject(new Error(`server exited (${code}) before READY:\n${stderr.slice(-2000)}`));
    });
  });
  const { call, close } = await echoCaller(port, server);
  try {
    let n = 0;
    while (n < warm) await call(++n);
    execFileSync("callgrind_control", ["--zero", String(child.pid)], { stdio: "ignore" });
    while (n < warm + calls) await call(++n);
    execFileSync("callgrind_control", ["--dump", String(child.pid)], { stdio: "ignore" });
  } finally {
    close();
  }
  child.kill("SIGTERM");
  await exited;

  const map = parsePerfMap(readFileSync(perfMap, "utf8"));
  // The window's dump is the first part (callgrind.out.1); the rest of the run is in callgrind.out.
  const costs = selfCosts(readFileSync(`${dump}.1`, "utf8"), (object, symbol, address) => {
    const jit = nameAt(map, address);
    if (jit !== undefined) return jitName(jit);
    const file = object.split("/").pop() || "unknown object";
    // Deno's binary has no symbols: its code is one row.
    return symbol.startsWith("0x") ? `${file} (no symbols)` : `${file}: ${symbol}`;
  });
  printRows(costs);
} finally {
  child.kill("SIGKILL");
  rmSync(perfMap, { force: true });
  rmSync(dir, { recursive: true, force: true });
}

/** The window's rows per call, the costliest (by cycle estimate) first, under their total. */
function printRows(costs: Map<string, FunctionCost>): void {
  const total = totalCost(costs.values());
  const rows = [...costs].sort(([, a], [, b]) => cycleEstimate(b) - cycleEstimate(a));
  const per = (value: number) => (value / calls).toFixed(0).padStart(9);
  const row = (name: string, cost: FunctionCost) =>
    `${name.slice(0, 80).padEnd(80)}${per(cost.instructions)}${per(cost.i1Misses)}${
      per(cost.d1Misses)
    }${per(cost.mispredicts)}${per(cycleEstimate(cost))}`;
  console.log(
    `${runtime} ${serverKey}: calls ${warm + 1} → ${
      warm + calls
    }, per call (callgrind, cache and branch simulation)`,
  );
  console.log(
    `${"function".padEnd(80)}${"instr".padStart(9)}${"I1 miss".padStart(9)}${
      "D1 miss".padStart(9)
    }${"mispred".padStart(9)}${"cycles~".padStart(9)}`,
  );
  console.log(row("all", total));
  for (const [name, cost] of rows.slice(0, top)) console.log(row(name, cost));
}
