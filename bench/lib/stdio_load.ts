/**
 * Calls on a stdio MCP server with no gateway in between, for the direct
 * stdio rows of bench/gateway_cost.ts: the driver runs the server as a
 * subprocess, writes one JSON-RPC message a line on its stdin and matches
 * the answers on its stdout by id. A slice keeps `concurrency` calls in
 * flight for its seconds, checks every answer, and reads the process's CPU
 * around it; latency is each call's write to its answer's line.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { cpuSeconds, ROOT } from "./proc.ts";
import type { WrkCheck } from "./wrk_script.ts";

/** A stdio server run by the driver. */
export interface StdioServer {
  pid: number;
  /** Sends `body` (its `{id}` replaced by `id`) and resolves with the answer's line. */
  call(body: string, id: number): Promise<string>;
  /** Sends a notification (no answer). */
  notify(body: string): void;
  /** Closes stdin, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** Starts `argv` with piped stdio. */
export function startStdio(argv: readonly string[]): StdioServer {
  const child: ChildProcess = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting = new Map<number, (line: string) => void>();
  let buffered = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    let end = buffered.indexOf("\n");
    while (end !== -1) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const found = /"id":(\d+)/.exec(line);
      const resolve = found === null ? undefined : waiting.get(Number(found[1]));
      if (resolve !== undefined) {
        waiting.delete(Number(found![1]));
        resolve(line);
      }
      end = buffered.indexOf("\n");
    }
  });
  const exit = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  void exit.then(() => {
    for (const resolve of waiting.values()) resolve("exited");
    waiting.clear();
  });
  return {
    pid: child.pid!,
    call(body, id) {
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin!.write(body.replaceAll("{id}", String(id)) + "\n");
      });
    },
    notify(body) {
      child.stdin!.write(body + "\n");
    },
    async stop() {
      child.stdin!.end();
      const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** One slice's figures, as bench/gateway_cost.ts keeps them for every row. */
export interface Slice {
  ok: number;
  bad: number;
  okPerCpuSecond: number;
  p50: number;
  p99: number;
  badSample?: string;
}

/** The `q` quantile of `values` (ms), nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

let nextId = 1_000_000;

/** Drives `server` with `body` calls, `concurrency` in flight, for `seconds`; each answer checked. */
export async function stdioSlice(
  server: StdioServer,
  body: string,
  check: WrkCheck,
  seconds: number,
  concurrency: number,
): Promise<Slice> {
  const before = cpuSeconds(server.pid);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const latencies: number[] = [];
  let ok = 0;
  let bad = 0;
  let badSample: string | undefined;
  const worker = async () => {
    while (performance.now() < deadline) {
      const id = ++nextId;
      const sent = performance.now();
      const line = await server.call(body, id);
      latencies.push(performance.now() - sent);
      const right = check.contains.every((needle) =>
        line.includes(needle.replaceAll("{id}", String(id)))
      ) &&
        !(check.excludes ?? []).some((needle) => line.includes(needle));
      if (right) ok++;
      else {
        bad++;
        badSample ??= line.slice(0, 300);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = cpuSeconds(server.pid) - before;
  return {
    ok,
    bad,
    okPerCpuSecond: cpu > 0 ? ok / cpu : NaN,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    badSample,
  };
}
