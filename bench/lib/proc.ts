/**
 * Child processes of the driver: starting a bench server on one runtime,
 * waiting for its READY line, reading its CPU time from /proc, stopping it.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The runtimes the harness drives. */
export type Runtime = "deno" | "bun" | "node";
export const RUNTIMES: readonly Runtime[] = ["deno", "bun", "node"];

/** Repository root (the driver runs from it). */
export const ROOT = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");

/**
 * The Node that runs the Node servers: `BENCH_NODE`, else Node 24 from
 * node_modules/node24 (the current LTS, stripping types natively: no tsx),
 * else the Node running the driver. Named by path because
 * node_modules/.bin/node is whichever Node npm linked last.
 */
function nodeBinary(): string {
  if (process.env.BENCH_NODE) return process.env.BENCH_NODE;
  const node24 = join(ROOT, "node_modules/node24/bin/node");
  if (existsSync(node24)) return node24;
  return process.execPath;
}

/** Binaries of the three runtimes. Deno and Bun are the npm-installed devDependencies. */
export const BINARIES: Readonly<Record<Runtime, string>> = {
  node: nodeBinary(),
  deno: join(ROOT, "node_modules/.bin/deno"),
  bun: join(ROOT, "node_modules/.bin/bun"),
};

/** What a server printed on its READY line. */
export interface ReadyInfo {
  port: number;
  pid: number;
  runtime: Runtime;
  version: string;
}

/** A running bench server. */
export interface ServerProcess extends ReadyInfo {
  /** The command line, for the report. */
  command: string;
  /** Recent stderr, for error messages. */
  stderr(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** The comma-separated flags in environment variable `name`; none when it is unset or empty. */
function flagsFromEnv(name: string): string[] {
  return (process.env[name] ?? "").split(",").filter((flag) => flag !== "");
}

/**
 * Extra V8 flags for the Deno and Node servers, comma-separated, from
 * `BENCH_V8_FLAGS` (e.g. `--single-threaded-gc`, to see what V8's GC helper
 * threads add to a server's CPU time); none by default.
 */
const EXTRA_V8_FLAGS = flagsFromEnv("BENCH_V8_FLAGS");

/**
 * Extra `deno run` flags for the Deno servers, comma-separated, from
 * `BENCH_DENO_FLAGS` (e.g. `--cpu-prof,--cpu-prof-dir=/tmp/p`); none by default.
 */
const EXTRA_DENO_FLAGS = flagsFromEnv("BENCH_DENO_FLAGS");

/** Command line that runs `entry` on `runtime`. `bigHeap` lifts V8's old-space limit (memory workload). */
export function commandFor(
  runtime: Runtime,
  entry: string,
  args: readonly string[],
  bigHeap: boolean,
): string[] {
  const heap = "--max-old-space-size=16384";
  switch (runtime) {
    case "node":
      return [
        BINARIES.node,
        "--expose-gc",
        ...EXTRA_V8_FLAGS,
        ...(bigHeap ? [heap] : []),
        entry,
        ...args,
      ];
    case "deno":
      return [
        BINARIES.deno,
        "run",
        "-A",
        ...EXTRA_DENO_FLAGS,
        `--v8-flags=${["--expose-gc", ...EXTRA_V8_FLAGS, ...(bigHeap ? [heap] : [])].join(",")}`,
        entry,
        ...args,
      ];
    case "bun":
      return [BINARIES.bun, entry, ...args];
  }
}

/** Starts a server and resolves once it printed READY (rejects on exit or timeout). */
export function startServer(
  runtime: Runtime,
  entry: string,
  args: readonly string[],
  options: { port: number; bigHeap?: boolean; timeoutMs?: number },
): Promise<ServerProcess> {
  const argv = commandFor(
    runtime,
    entry,
    [...args, "--port", String(options.port)],
    options.bigHeap ?? false,
  );
  const child: ChildProcess = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let exited = false;
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  livePorts.add(options.port);
  const exit = new Promise<void>((resolve) =>
    child.on("exit", () => {
      exited = true;
      livePorts.delete(options.port);
      resolve();
    })
  );
  const command = argv.map((a) => (a.startsWith(ROOT) ? a.slice(ROOT.length + 1) : a)).join(" ");

  return new Promise<ServerProcess>((resolve, reject) => {
    let stdout = "";
    let ready = false;
    const timer = setTimeout(() => {
      if (!ready) {
        child.kill("SIGKILL");
        reject(
          new Error(
            `${command}: no READY line within ${options.timeoutMs ?? 30_000} ms\n${stderr}`,
          ),
        );
      }
    }, options.timeoutMs ?? 30_000);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      if (ready) return; // drained and ignored afterwards
      stdout += chunk;
      const line = stdout.split("\n").find((l) => l.startsWith("READY "));
      if (line === undefined) return;
      ready = true;
      clearTimeout(timer);
      const info = JSON.parse(line.slice(6)) as ReadyInfo;
      resolve({
        ...info,
        command,
        stderr: () => stderr,
        exited: () => exited,
        async stop() {
          if (exited) return;
          child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
          await exit;
          clearTimeout(killer);
        },
      });
    });
    void exit.then(() => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`${command} exited before READY\n${stderr}`));
      }
    });
  });
}

/**
 * Runs `steps` one after another, or all at once with `together` (a smoke run, which measures
 * nothing one step's load could spoil); their results in order. Together, every step ends before
 * the first error is thrown, so none leaves its processes running behind it.
 */
export async function inTurnOrTogether<T>(
  steps: readonly (() => Promise<T>)[],
  together: boolean,
): Promise<T[]> {
  if (!together) {
    const results: T[] = [];
    for (const step of steps) results.push(await step());
    return results;
  }
  const outcomes = await Promise.allSettled(steps.map((step) => step()));
  for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

let clockTicks: number | undefined;

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / clockTicks;
}

/** {@linkcode cpuSeconds}, or undefined once the process has gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    return cpuSeconds(pid);
  } catch {
    return undefined;
  }
}

/** The pids of a process's live children (`/proc/<pid>/task/<tid>/children`); none once it has gone. */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
        if (text !== "") pids.push(...text.split(" ").map(Number));
      } catch { /* the thread ended between the listing and the read */ }
    }
  } catch { /* the process has gone */ }
  return pids;
}

/**
 * CPU time of a process's live threads in seconds, to the nanosecond: the sum of
 * each `/proc/<pid>/task/<tid>/schedstat`'s run time. utime + stime
 * ({@linkcode cpuSeconds}) count whole clock ticks (10 ms): a quiet server over
 * a window of a second or two (the streams phase's) reads 0 there. Falls back to
 * {@linkcode cpuSeconds} where the kernel keeps no schedstat. Threads that end
 * inside a window take their time with them: read it over long-lived servers.
 */
export function cpuSecondsPrecise(pid: number): number {
  let nanoseconds = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        nanoseconds += Number(
          readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0],
        );
      } catch { /* the thread ended between the listing and the read */ }
    }
  } catch {
    return cpuSeconds(pid);
  }
  return Number.isFinite(nanoseconds) && nanoseconds > 0 ? nanoseconds / 1e9 : cpuSeconds(pid);
}

/**
 * utime + stime of this process's waited-for children (cutime + cstime in
 * /proc/self/stat), in seconds: read around a wrk run, the growth is wrk's CPU.
 */
export function childrenCpuSeconds(): number {
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  const stat = readFileSync("/proc/self/stat", "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[13]) + Number(rest[14])) / clockTicks;
}

/** How many ports the allocator cycles through: 18801-18899 by default. */
export const PORT_SPAN = 99;

/**
 * The port after `port` in the range of {@linkcode PORT_SPAN} ports from `first`
 * (back to `first` after its last), for any first port.
 * @example
 * ```ts
 * nextPortAfter(18899, 18801); // 18801
 * nextPortAfter(18950, 18950); // 18951
 * ```
 */
export function nextPortAfter(port: number, first: number): number {
  return port >= first + PORT_SPAN - 1 ? first : port + 1;
}

/**
 * Port allocator over 18801-18899, or the {@linkcode PORT_SPAN} ports from
 * `BENCH_FIRST_PORT` when set (so two bench scripts can run side by side, e.g.
 * two instruction counts).
 */
const firstPort = Number(process.env.BENCH_FIRST_PORT ?? 18801);
if (!Number.isInteger(firstPort) || firstPort < 1 || firstPort + PORT_SPAN - 1 > 65535) {
  throw new Error(`BENCH_FIRST_PORT must be a port from 1 to ${65536 - PORT_SPAN}`);
}
let nextPort = firstPort;
/** Ports of this process's servers that have not exited (never handed out again until they do). */
const livePorts = new Set<number>();
/**
 * The next port of the range (see {@linkcode nextPortAfter}) that no server started here still
 * holds: a run that starts more servers than the range has ports while others are up (fresh
 * processes for a paired run measured again) never lands on a live one.
 */
export function allocatePort(): number {
  for (let tried = 0; tried < PORT_SPAN; tried++) {
    const port = nextPort;
    nextPort = nextPortAfter(port, firstPort);
    if (!livePorts.has(port)) return port;
  }
  throw new Error(`all ${PORT_SPAN} bench ports from ${firstPort} are held by running servers`);
}
