/**
 * The scaling pair alone: tether's tools/call rate per server CPU-second with
 * 100,000 idle sessions held ÷ the same with 100, as `bench/run.ts` measures
 * it in its memory phase (two processes, the big one grown like the small one
 * and never forced to collect garbage; wrk rotating the session id over all
 * of a process's sessions; alternating slices; the median of the per-round
 * ratios). A ratio of two processes measured side by side, so it holds on a
 * loaded machine as long as the rounds alternate. Optionally the heap per
 * idle session (a third process, forced GC).
 *
 *   node_modules/node24/bin/node bench/scale_pair.ts [--runtime bun,deno,node] [--rounds 8]
 *        [--slice 1] [--sessions 100000] [--base 100] [--connections 32] [--tree DIR] [--memory]
 *        [--server tether|floor-legacy]
 *
 * `--tree` serves another checkout's `bench/servers/tether.ts` (a worktree of
 * another commit, for a before/after). `--server floor-legacy` measures the
 * legacy floor instead (bench/servers/floor.ts --era legacy: a session is one
 * small object in a Map, looked up, owner-checked and touched per call): the
 * bound on what holding 100,000 sessions costs any sessionful server, since
 * it does only what each call must do with its session. `BENCH_V8_FLAGS` adds V8 flags to the
 * Deno and Node servers as in run.ts (e.g. `--trace-gc`; their output is discarded).
 *
 * bench/run.ts measures the legacy floor's pair with {@linkcode measureScalePair} in its memory
 * phase, the bound its tether scaling target is judged against (bench/README.md).
 *
 * @module
 */

import { join } from "node:path";
import { type Interleaving, type LoadResult, median } from "./lib/load.ts";
import { allocatePort, ROOT, type Runtime, startServer } from "./lib/proc.ts";
import { measureWithWrk } from "./lib/wrk.ts";
import { adminCreate, adminMemory, echoTemplate, echoTraffic, probe } from "./run/traffic.ts";

/** The servers a scale pair can be measured on. */
export type ScaleServer = "tether" | "floor-legacy";

/** What {@linkcode measureScalePair} measures. */
export interface ScalePairOptions {
  runtime: Runtime;
  server: ScaleServer;
  /** Sessions the big process holds. */
  sessions: number;
  /** Sessions the small process holds (the big one starts from as many). */
  base: number;
  /** wrk connections per target. */
  connections: number;
  /** wrk's warm-up, rounds and slice (whole seconds). */
  timing: Interleaving;
  /** The checkout whose bench/servers/ it serves. @default the repository's */
  tree?: string;
}

/** The pair: each process's result (slice by slice) and the per-round ratios, big ÷ small. */
export interface ScalePair {
  few: LoadResult;
  many: LoadResult;
  /** Per server CPU-second, round by round: the big process's rate ÷ the small one's. */
  ratios: number[];
}

/** The server entry and arguments of `server` in `tree`. */
function entryOf(server: ScaleServer, tree: string): { entry: string; args: string[] } {
  return server === "floor-legacy"
    ? { entry: join(tree, "bench/servers/floor.ts"), args: ["--era", "legacy"] }
    : { entry: join(tree, "bench/servers/tether.ts"), args: ["--max-sessions", "10000000"] };
}

/** A server process holding `count` sessions, grown as run.ts grows its scale processes. */
async function grown(options: ScalePairOptions, count: number) {
  const { entry, args } = entryOf(options.server, options.tree ?? ROOT);
  const server = await startServer(options.runtime, entry, args, {
    port: allocatePort(),
    bigHeap: true,
  });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    let ids = (await adminCreate(base, Math.min(options.base, count))).ids;
    await probe(base, echoTemplate(ids));
    if (count > ids.length) {
      ids = ids.concat((await adminCreate(base, count - ids.length)).ids);
    }
    return { server, base, ids };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * tools/call per server CPU-second with `sessions` idle sessions held ÷ with `base`, two fresh
 * processes driven by wrk in alternating slices, requests rotated over all of a process's
 * sessions; throws on a wrong or failed answer (wrk must be installed).
 * @example
 * ```ts ignore
 * const pair = await measureScalePair({
 *   runtime: "node", server: "floor-legacy", sessions: 100_000, base: 100, connections: 32,
 *   timing: { warmup: 1, rounds: 8, slice: 1 },
 * });
 * console.log(median(pair.ratios));
 * ```
 */
export async function measureScalePair(options: ScalePairOptions): Promise<ScalePair> {
  const few = await grown(options, options.base);
  const many = await grown(options, options.sessions).catch(async (error) => {
    await few.server.stop();
    throw error;
  });
  try {
    const target = (p: typeof few) => ({
      port: p.server.port,
      pid: p.server.pid,
      path: "/mcp",
      connections: options.connections,
      ...echoTraffic(p.ids).wrk!,
    });
    const [a, b] = await measureWithWrk(
      [target(few), target(many)],
      options.timing,
      (index, error) => {
        throw new Error(`target ${index}: ${String(error)}`);
      },
    );
    for (const [name, result] of [["few", a], ["many", b]] as const) {
      if (result.bad + result.errors + result.timeouts > 0) {
        throw new Error(`${name}: ${result.bad} bad, ${result.errors} errors: ${result.badSample}`);
      }
    }
    return { few: a, many: b, ratios: a.sliceCpuRates.map((rate, i) => b.sliceCpuRates[i] / rate) };
  } finally {
    await Promise.all([few.server.stop(), many.server.stop()]);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? fallback : argv[i + 1];
  };
  const runtimes = opt("runtime", "bun,deno,node").split(",") as Runtime[];
  const sessions = Number(opt("sessions", "100000"));
  const baseSessions = Number(opt("base", "100"));
  const tree = opt("tree", ROOT);
  const server: ScaleServer = opt("server", "tether") === "floor-legacy"
    ? "floor-legacy"
    : "tether";
  for (const runtime of runtimes) {
    const { few: a, many: b, ratios } = await measureScalePair({
      runtime,
      server,
      sessions,
      base: baseSessions,
      connections: Number(opt("connections", "32")),
      timing: { warmup: 1, rounds: Number(opt("rounds", "8")), slice: Number(opt("slice", "1")) },
      tree,
    });
    const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
    console.log(
      `${runtime.padEnd(4)} ${server} ${sessions} ÷ ${baseSessions} sessions per server CPU-s: ${
        median(ratios).toFixed(2)
      }× (rounds ${ratios.map((r) => r.toFixed(2)).join(" ")}); ${k(b.okPerCpuSecond)} vs ${
        k(a.okPerCpuSecond)
      } per CPU-s, ${k(b.okPerSecond)} vs ${k(a.okPerSecond)} per s`,
    );
    if (argv.includes("--memory")) {
      const { entry, args } = entryOf(server, tree);
      const running = await startServer(runtime, entry, args, {
        port: allocatePort(),
        bigHeap: true,
      });
      try {
        const base = `http://127.0.0.1:${running.port}`;
        const { ids } = await adminCreate(base, baseSessions);
        await probe(base, echoTemplate(ids));
        const before = await adminMemory(base);
        await adminCreate(base, sessions - baseSessions);
        const after = await adminMemory(base);
        const n = sessions - baseSessions;
        console.log(
          `${runtime.padEnd(4)} heap per idle session at ${sessions}: ${
            Math.round((after.heapUsed - before.heapUsed) / n)
          } B, rss ${Math.round((after.rss - before.rss) / n)} B`,
        );
      } finally {
        await running.stop();
      }
    }
  }
}

if (import.meta.main ?? process.argv[1]?.endsWith("scale_pair.ts")) await main();
