/**
 * Load runs with wrk (Debian's `wrk`, C, one thread): a generator light
 * enough that the server, not the generator, is what saturates on a shared
 * 2-core machine (autocannon runs in Node and can saturate first). A Lua
 * script sends one POST shape with a fresh id per request and counts every
 * response whose status or body is wrong. Server CPU comes from
 * /proc/<pid>/stat around each slice, as in load.ts.
 *
 * Scope: single-request workloads (a fixed body with an id); sequences
 * (initialize, MRTR rounds) stay with autocannon. Like load.ts, targets are
 * measured in alternating slices, rotating the order every round.
 */

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds } from "./proc.ts";

/** A server and the one request shape to drive it with. */
export interface WrkTarget {
  port: number;
  pid: number;
  path: string;
  headers: Readonly<Record<string, string>>;
  /** The request body with `%d` where the request id goes. */
  bodyTemplate: string;
  /** Substrings every right response body contains. */
  expect: readonly string[];
  connections: number;
}

/** Figures of one target, all slices together. */
export interface WrkResult {
  requestsPerSecond: number;
  /** Right responses per CPU-second of the server process. */
  okPerCpuSecond: number;
  serverCores: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  seconds: number;
  sliceRates: number[];
}

/** The wrk binary, or undefined when it is not installed. */
export function wrkBinary(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v wrk"]).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

function luaString(text: string): string {
  return JSON.stringify(text); // JSON escapes are valid Lua escapes for these ASCII bodies
}

function script(target: WrkTarget): string {
  const headers = Object.entries(target.headers).map(([name, value]) =>
    `[${luaString(name)}] = ${luaString(value)}`
  ).join(", ");
  const checks = target.expect.map((needle) => `string.find(body, ${luaString(needle)}, 1, true)`)
    .join(" and ");
  return `
local counter = 0
bad = 0
local threads = {}
local headers = { ${headers} }
function setup(thread) table.insert(threads, thread) end
function request()
  counter = counter + 1
  return wrk.format("POST", ${luaString(target.path)}, headers, string.format(${
    luaString(target.bodyTemplate)
  }, counter))
end
function response(status, _, body)
  if status ~= 200 or not (${checks}) then bad = bad + 1 end
end
function done(summary, latency)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("TETHER_BAD %d\\nTETHER_REQUESTS %d\\nTETHER_P50 %f\\nTETHER_P99 %f\\n",
    total, summary.requests, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
`;
}

/** One wrk run against `target` for `seconds`; the server's CPU seconds over it. */
async function slice(binary: string, target: WrkTarget, scriptPath: string, seconds: number) {
  const before = cpuSeconds(target.pid);
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(binary, [
      "-t1",
      `-c${target.connections}`,
      `-d${seconds}s`,
      "--timeout",
      "10s",
      "-s",
      scriptPath,
      `http://127.0.0.1:${target.port}${target.path}`,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk) => (text += chunk));
    child.stderr.on("data", (chunk) => (text += chunk));
    child.on("error", reject);
    child.on(
      "close",
      (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))),
    );
  });
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(target.pid) - before;
  const value = (name: string) => Number(new RegExp(`${name} ([0-9.]+)`).exec(output)?.[1] ?? NaN);
  return {
    requests: value("TETHER_REQUESTS"),
    bad: value("TETHER_BAD"),
    p50: value("TETHER_P50"),
    p99: value("TETHER_P99"),
    cpu,
    wall,
  };
}

/**
 * Measures each target in `rounds` slices of `sliceSeconds`, alternating
 * between targets and rotating their order every round.
 */
export async function measureWithWrk(
  targets: readonly WrkTarget[],
  options: { rounds: number; sliceSeconds: number },
): Promise<WrkResult[]> {
  const binary = wrkBinary();
  if (binary === undefined) throw new Error("wrk is not installed (Debian: apt-get install wrk)");
  const dir = mkdtempSync(join(tmpdir(), "tether-wrk-"));
  try {
    const scripts = targets.map((target, index) => {
      const path = join(dir, `target${index}.lua`);
      writeFileSync(path, script(target));
      return path;
    });
    const totals = targets.map(() => ({
      requests: 0,
      bad: 0,
      cpu: 0,
      wall: 0,
      p50: [] as number[],
      p99: [] as number[],
      rates: [] as number[],
    }));
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const index = (k + round) % targets.length;
        const result = await slice(binary, targets[index], scripts[index], options.sliceSeconds);
        const total = totals[index];
        total.requests += result.requests;
        total.bad += result.bad;
        total.cpu += result.cpu;
        total.wall += result.wall;
        total.p50.push(result.p50);
        total.p99.push(result.p99);
        total.rates.push((result.requests - result.bad) / result.wall);
      }
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    return totals.map((total) => ({
      requestsPerSecond: total.requests / total.wall,
      okPerCpuSecond: (total.requests - total.bad) / total.cpu,
      serverCores: total.cpu / total.wall,
      p50: median(total.p50),
      p99: median(total.p99),
      ok: total.requests - total.bad,
      bad: total.bad,
      seconds: total.wall,
      sliceRates: total.rates,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
