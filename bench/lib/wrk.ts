/**
 * Load runs with wrk (Debian's `wrk`, C, one thread): a generator light
 * enough that the server, not the generator, is what saturates on a shared
 * 2-core machine (autocannon runs in Node and saturates first). A generated
 * Lua script sends one POST shape: every request gets its own JSON-RPC id,
 * the Mcp-Session-Id header rotates over a pool of sessions (read from a
 * file, so 100,000 ids are fine), and every response is checked: status 200,
 * an `"id":N` that was sent and not yet answered (so an answer to the wrong
 * request, or a duplicate, is caught), the workload's substrings (which may
 * name the id), optionally a count of events and a minimum size. Server CPU
 * comes from /proc/<pid>/stat around each slice, wrk's own CPU from the
 * driver's reaped-children times, as in load.ts.
 *
 * Scope: single-request workloads. Sequences whose next request depends on
 * the previous answer on the same connection (initialize, then initialized
 * with the issued session id; MRTR rounds) stay with autocannon: wrk's Lua
 * `response()` does not say which connection answered. Like load.ts, targets
 * are measured in alternating slices, rotating the order every round.
 */

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Interleaving, type LoadResult, median } from "./load.ts";
import { childrenCpuSeconds, cpuSecondsOf } from "./proc.ts";
import { ENOUGH_MARKER, script, type WrkTarget } from "./wrk_script.ts";

/** The wrk binary once looked up (`null`: not installed). */
let binaryFound: string | null | undefined;

/**
 * The wrk binary, or undefined when it is not installed. Looked up once: the lookup is a
 * synchronous child process, which on a loaded host holds the driver's event loop for as long as
 * the child waits for a core, and a smoke run measures with wrk a hundred times.
 */
export function wrkBinary(): string | undefined {
  if (binaryFound === undefined) {
    try {
      binaryFound = execFileSync("sh", ["-c", "command -v wrk"]).toString().trim() || null;
    } catch {
      binaryFound = null;
    }
  }
  return binaryFound ?? undefined;
}

/** `wrk --version` (first line), for the report. */
export function wrkVersion(): string {
  const binary = wrkBinary();
  if (binary === undefined) return "not installed";
  try {
    execFileSync(binary, ["--version"], { stdio: "pipe" });
  } catch (error) {
    // wrk prints its version and usage to stdout and exits 1.
    const out = String((error as { stdout?: Buffer }).stdout ?? "");
    return out.split("\n")[0].replace(/ Copyright.*/, "").trim() || "unknown version";
  }
  return "unknown version";
}

interface SliceResult {
  requests: number;
  /** Right answers, or, for the init workload, right initialize + initialized pairs. */
  ok: number;
  bad: number;
  errors: number;
  timeouts: number;
  badSample: string;
  p50: number;
  p99: number;
  cpu: number;
  generatorCpu: number;
  wall: number;
}

/**
 * One wrk run against `target` for `seconds` (whole seconds; sooner when its script says it has
 * had enough answers: wrk ends its sleep, and the run, on SIGINT); the server's and wrk's CPU.
 */
async function slice(
  binary: string,
  target: WrkTarget,
  scriptPath: string,
  seconds: number,
): Promise<SliceResult> {
  const pids = target.pids?.() ?? [target.pid];
  const before = pids.map(cpuSecondsOf);
  const generatorBefore = childrenCpuSeconds();
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(binary, [
      "-t1",
      `-c${target.connections}`,
      `-d${Math.max(1, Math.round(seconds))}s`,
      "--timeout",
      "10s",
      "-s",
      scriptPath,
      `http://127.0.0.1:${target.port}${target.path}`,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk) => (text += chunk));
    child.stderr.on("data", (chunk) => {
      text += chunk;
      if (text.includes(ENOUGH_MARKER)) child.kill("SIGINT");
    });
    child.on("error", reject);
    child.on(
      "close",
      (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))),
    );
  });
  const wall = (performance.now() - started) / 1000;
  const cpu = pids.reduce((sum, pid, i) => {
    const after = cpuSecondsOf(pid);
    return sum + (after === undefined || before[i] === undefined ? 0 : after - before[i]!);
  }, 0);
  const generatorCpu = childrenCpuSeconds() - generatorBefore;
  const value = (name: string) => {
    const found = new RegExp(`^${name} ([0-9.]+)$`, "m").exec(output);
    if (found === null) throw new Error(`wrk printed no ${name}: ${output.slice(0, 500)}`);
    return Number(found[1]);
  };
  const requests = value("TETHER_REQUESTS");
  const bad = value("TETHER_BAD");
  const pairs = /^TETHER_OK ([0-9]+)$/m.exec(output);
  return {
    requests,
    ok: pairs === null ? requests - bad : Number(pairs[1]),
    bad,
    errors: value("TETHER_ERRORS"),
    timeouts: value("TETHER_TIMEOUTS"),
    badSample: /^TETHER_BAD_SAMPLE (.*)$/m.exec(output)?.[1] ?? "",
    p50: value("TETHER_P50"),
    p99: value("TETHER_P99"),
    cpu,
    generatorCpu,
    wall,
  };
}

/**
 * Warms every target for `timing.warmup` seconds (figures discarded), then
 * measures each in `timing.rounds` slices of `timing.slice` seconds (whole
 * seconds: wrk's unit), alternating between targets and rotating their order
 * every round (`timing.together`: all at once). With `timing.requests` each
 * slice ends after that many answers. p50/p99 are the medians of the slices'
 * percentiles. `onError` gets a target whose run threw; its result is then partial.
 */
export async function measureWithWrk(
  targets: readonly WrkTarget[],
  timing: Interleaving,
  onError: (index: number, error: unknown) => void,
): Promise<LoadResult[]> {
  const binary = wrkBinary();
  if (binary === undefined) throw new Error("wrk is not installed (Debian: apt-get install wrk)");
  const dir = mkdtempSync(join(tmpdir(), "tether-wrk-"));
  try {
    const scripts = targets.map((target, index) => {
      let sessionsPath: string | undefined;
      if (target.sessions.length > 0) {
        sessionsPath = join(dir, `sessions${index}.txt`);
        writeFileSync(sessionsPath, target.sessions.join("\n") + "\n");
      }
      const path = join(dir, `target${index}.lua`);
      writeFileSync(path, script(target, sessionsPath, timing.requests));
      return path;
    });
    const totals = targets.map(() => ({
      requests: 0,
      ok: 0,
      bad: 0,
      errors: 0,
      timeouts: 0,
      badSample: undefined as string | undefined,
      cpu: 0,
      generatorCpu: 0,
      wall: 0,
      p50: [] as number[],
      p99: [] as number[],
      rates: [] as number[],
      cpuRates: [] as number[],
    }));
    const broken = new Set<number>();
    const attempt = async (index: number, seconds: number, record: boolean) => {
      if (broken.has(index)) return;
      try {
        const target = targets[index];
        const result = await slice(
          binary,
          target,
          scripts[index],
          Math.max(seconds, target.minSlice ?? 0),
        );
        if (!record) return;
        const total = totals[index];
        total.requests += result.requests;
        total.ok += result.ok;
        total.bad += result.bad;
        total.errors += result.errors;
        total.timeouts += result.timeouts;
        if (result.bad > 0) total.badSample ??= result.badSample;
        total.cpu += result.cpu;
        total.generatorCpu += result.generatorCpu;
        total.wall += result.wall;
        total.p50.push(result.p50);
        total.p99.push(result.p99);
        total.rates.push(result.ok / result.wall);
        total.cpuRates.push(result.cpu > 0 ? result.ok / result.cpu : NaN);
      } catch (error) {
        broken.add(index);
        onError(index, error);
      }
    };
    if (timing.warmup > 0) {
      for (let index = 0; index < targets.length; index++) {
        await attempt(index, timing.warmup, false);
      }
    }
    for (let round = 0; round < timing.rounds; round++) {
      if (timing.together) {
        // Started one at a time: starting a process holds the event loop until it runs, and the
        // driver's other requests (on connections a server closes after 5 s idle) go on between.
        const slices: Promise<void>[] = [];
        for (let index = 0; index < targets.length; index++) {
          slices.push(attempt(index, timing.slice, true));
          await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(slices);
        continue;
      }
      for (let k = 0; k < targets.length; k++) {
        await attempt((k + round) % targets.length, timing.slice, true);
      }
    }
    return totals.map((total) => {
      return {
        okPerSecond: median(total.rates),
        requestsPerSecond: total.requests / total.wall,
        p50: median(total.p50),
        p99: median(total.p99),
        okPerCpuSecond: median(total.cpuRates),
        serverCores: total.cpu / total.wall,
        generatorCores: total.generatorCpu / total.wall,
        ok: total.ok,
        bad: total.bad,
        errors: total.errors,
        timeouts: total.timeouts,
        badSample: total.badSample,
        seconds: total.wall,
        sliceRates: total.rates,
        sliceCpuRates: total.cpuRates,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
