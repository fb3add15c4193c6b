/**
 * When a bench server reaches its steady state: V8's optimizing compilers
 * traced (`--trace-opt --trace-deopt`) while one connection sends echo calls
 * one after another, reported per window of calls. A row says how many
 * functions Maglev and TurboFan finished compiling in that window, how many
 * deoptimizations there were, and which functions TurboFan compiled (after the
 * first window, where nearly everything is). A server is warm once its
 * windows stay empty; instruction counts (bench/lab/instructions.ts) and timed
 * slices taken before that include the compiling and the slower code.
 *
 *   node_modules/node24/bin/node bench/lab/tier_up.ts [--runtime deno|node] [--server tether|floor-legacy-guarded|…]
 *        [--calls 60000] [--window 5000]
 *
 * Legacy servers (`tether`, `floor-legacy*`) get one session and its calls;
 * the 2026-07-28 ones (`tether-2026`, `floor`, `floor-guarded`) stateless calls.
 * Bun (JavaScriptCore) has no such trace.
 */

import { spawn } from "node:child_process";
import { join } from "node:path";
import { echoCaller, echoServer } from "./lib/echo_caller.ts";
import { allocatePort, BINARIES, ROOT } from "../lib/proc.ts";
import { completeLines, summarizeTrace } from "./lib/tier_trace.ts";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const runtime = opt("runtime", "deno");
const serverKey = opt("server", "tether");
const calls = Number(opt("calls", "60000"));
const window = Number(opt("window", "5000"));
if (runtime !== "deno" && runtime !== "node") throw new Error("--runtime: deno or node");

const server = echoServer(serverKey);

const TRACE = ["--trace-opt", "--trace-deopt"];
const port = allocatePort();
const args = [join("bench/servers", server.file), ...server.args, "--port", String(port)];
const command = runtime === "deno"
  ? [BINARIES.deno, "run", "-A", `--v8-flags=${TRACE.join(",")}`, ...args]
  : [BINARIES.node, ...TRACE, ...args];
const child = spawn(command[0], command.slice(1), {
  cwd: ROOT,
  stdio: ["ignore", "pipe", "inherit"],
});
let trace = "";
await new Promise<void>((resolve, reject) => {
  child.stdout.on("data", (chunk) => {
    trace += chunk;
    if (trace.includes("READY ")) resolve();
  });
  child.on("exit", (code) => reject(new Error(`server exited (${code}) before READY`)));
});

const { call, close } = await echoCaller(port, server);

console.log(`${runtime} ${serverKey}: ${calls} calls over one connection, windows of ${window}`);
console.log("calls      ms  maglev  turbofan  deopts");
const started = performance.now();
let mark = trace.length;
try {
  for (let i = 1; i <= calls; i++) {
    await call(i);
    if (i % window !== 0) continue;
    const { lines, next } = completeLines(trace, mark);
    mark = next;
    const { maglev, turbofan, deopts, turbofanNames: names } = summarizeTrace(lines);
    const ms = Math.round(performance.now() - started);
    console.log(
      `${String(i).padStart(6)} ${String(ms).padStart(6)} ${String(maglev).padStart(7)} ${
        String(turbofan).padStart(9)
      } ${String(deopts).padStart(7)}${
        i > window && names.length > 0 ? `  ${names.join(" ")}` : ""
      }`,
    );
  }
} finally {
  child.kill("SIGKILL");
  close();
}
