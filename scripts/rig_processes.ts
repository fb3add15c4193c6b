/**
 * The `redis-server` processes the Redis tests start: each on a port that
 * is free right now (another port is tried when a concurrent test file took
 * it meanwhile), ready once that very process answers, and never keeping a
 * test process alive: every one is unref'd and SIGKILLed when the process
 * exits. The rigs (`redis_topologies.ts`, the tests' `redis_server.ts`)
 * and the benchmarks build on it.
 * @module
 */

import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";

const HOST = "127.0.0.1";

/** Resolves after `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every process started here and not yet exited. */
const live = new Set<ChildProcess>();
let killOnExit = false;

/** SIGKILLs every process started here that is still running (also done on process exit). */
export function killAllRigProcesses(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }
}

/** How many processes started here are still running. */
export function liveRigProcesses(): number {
  return live.size;
}

/** Spawns `command` with `args`, tracked so that it never outlives (nor keeps alive) this process. */
export function spawnTracked(command: string, args: string[]): ChildProcess {
  if (!killOnExit) {
    killOnExit = true;
    process.once("exit", killAllRigProcesses);
  }
  const child = spawn(command, args, { stdio: "ignore" });
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  child.unref();
  return child;
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** Ports handed out by this process, so that two rigs of one file never pick the same. */
const handedOut = new Set<number>();

/**
 * A port free on 127.0.0.1 right now, with `port + 10000` free too (a
 * Cluster node's bus port), both below the ephemeral range (32768+), where
 * an outgoing connection cannot take them between the check and the bind.
 * The one free-port helper of the tests and benchmarks (a server of any
 * kind, not only Redis).
 */
export async function freeRigPort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || handedOut.has(port + 10_000) || handedOut.has(port - 10_000)) {
      continue;
    }
    if (await portFree(port) && await portFree(port + 10_000)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no free port pair (port, port + 10000) on 127.0.0.1");
}

/** Runs `redis-cli` with `args` (deadline `timeoutMs`); its stdout. */
export function redisCli(args: string[], timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("redis-cli", args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(" ")}: ${error.message} ${stderr}`));
      else resolve(String(stdout));
    });
  });
}

/** Polls `check` every 50 ms until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    }
    await sleep(50);
  }
}

/** One redis-server process of a rig. */
export interface RigNode {
  readonly port: number;
  /** The process id (CPU accounting in the benchmarks). */
  readonly pid: number;
  /** SIGKILLs the process (no goodbye to its clients); resolves once it exited. */
  kill(): Promise<void>;
  /** SIGSTOPs (true) or SIGCONTs (false) the process: it stays connected and answers nothing. */
  pause(paused: boolean): void;
}

/** Whether `child` has exited. */
function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * SIGKILLs `child`; resolves once it exited (deadline 5 s). The timer also
 * keeps the event loop alive meanwhile, which the unref'd child does not.
 */
function killChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (exited(child)) return resolve();
    const timer = setTimeout(resolve, 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGKILL");
  });
}

/**
 * Starts `redis-server` (or `binary`, e.g. `valkey-server`, which takes the
 * same flags) with `argsFor(port)` on `port` (a fresh free one
 * when omitted; another is tried, up to 5 times, when the process exits
 * because the port was taken meanwhile) and waits until that process (its
 * pid, not another file's server on the port) answers (deadline 10 s each).
 */
export async function spawnRedisNode(
  argsFor: (port: number) => string[],
  port?: number,
  binary = "redis-server",
): Promise<RigNode> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tried = port ?? await freeRigPort();
    const child = spawnTracked(binary, argsFor(tried));
    try {
      await waitFor(`${binary} on ${tried}`, 10_000, async () => {
        if (exited(child)) throw new Error(`${binary} on ${tried} exited (port taken?)`);
        const info = await redisCli(["-p", String(tried), "INFO", "server"], 2_000);
        return new RegExp(`process_id:${child.pid}\\r?\\n`).test(info);
      });
    } catch (error) {
      await killChild(child);
      lastError = error;
      if (port !== undefined) break; // the caller's port: no other to try
      continue;
    }
    return {
      port: tried,
      pid: child.pid ?? 0,
      kill: () => killChild(child),
      // kill(1), not child.kill: Deno's child.kill does not send SIGCONT, so a paused node stayed paused.
      pause: (paused) => {
        if (!exited(child)) {
          execFileSync("kill", ["-s", paused ? "STOP" : "CONT", String(child.pid)]);
        }
      },
    };
  }
  throw lastError;
}

/**
 * Waits for every one of `starting`; pushes those that started onto
 * `started` (for the caller to stop), then rethrows the first failure.
 */
export async function allStarted<T>(starting: Promise<T>[], started: T[]): Promise<void> {
  const settled = await Promise.allSettled(starting);
  for (const outcome of settled) if (outcome.status === "fulfilled") started.push(outcome.value);
  for (const outcome of settled) if (outcome.status === "rejected") throw outcome.reason;
}

/**
 * Starts every rig of `starts` at once; if one fails, stops those that did
 * start before rethrowing, so that no process of theirs is left behind.
 *
 * @example
 * ```ts
 * const [cluster, sentinel] = await startRigs(startRedisCluster, startRedisSentinel);
 * ```
 */
export async function startRigs<T extends readonly (() => Promise<{ stop(): Promise<void> }>)[]>(
  ...starts: T
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const settled = await Promise.allSettled(starts.map((start) => start()));
  const failed = settled.find((outcome) => outcome.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(
      settled.map((outcome) => outcome.status === "fulfilled" ? outcome.value.stop() : undefined),
    );
    throw failed.reason;
  }
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<ReturnType<T[K]>>;
  };
}
