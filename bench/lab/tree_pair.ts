/**
 * The 2026-07-28 guard row for several checkouts at once: the stateless
 * `tools/call` of the echo tool served by `bench/servers/tether.ts` of each
 * tree and by this repository's floor (`bench/servers/floor.ts`), each its own
 * server process, driven by wrk in alternating slices; each slice's rate per
 * server CPU-second is divided by the floor's slice of the same round, and
 * the median of those ratios is printed per tree with every round's ratio.
 * A before/after of a change to the request path (a worktree of the other
 * commit), or the price of one step (a tree with that step changed): the
 * ratios of one run share the machine's load, so they hold on a busy one.
 *
 *   node_modules/node24/bin/node bench/lab/tree_pair.ts [--runtime bun] [--trees DIR,DIR]
 *        [--rounds 16] [--slice 1] [--connections 32] [--era legacy] [--guarded]
 *        [--workload large-sse]
 *
 * `--era legacy`: the sessionful 2025-11-25 call (the steady workload) beside
 * the legacy floor. `--guarded`: the guarded floor (`floor.ts --guarded`: the
 * plain floor plus tether's guards against abuse) runs too, each tree's and
 * its own ratio to the floor are printed, and each tree's to it.
 *
 * `--workload large-sse`: the large workload's SSE row instead (sessionful:
 * the 256 KiB result answered as one SSE event by each tree's tether with
 * `--mode sse`, beside the resumable legacy floor, which keeps the event for
 * a resume as tether does); `--era` and `--guarded` do not apply.
 *
 * `--trees` defaults to this repository alone. The first line names the
 * runtime, the generator and the rounds; each tree's line reads
 * `<tree> <rate>/CPU-s ÷floor median <m> [<ratio of each round>]`. Two runs
 * of one tree on the 2-core CI machine differed by up to 0.035 in that median
 * (bench/notes/2026-11-26-guards-on-deno-and-bun.md), so a smaller difference is
 * not a result.
 * @module
 */

import { resolve } from "node:path";
import { optionReader } from "../lib/args.ts";
import { median } from "../lib/load.ts";
import { allocatePort, ROOT, type Runtime, RUNTIMES, startServer } from "../lib/proc.ts";
import { measureWithWrk, wrkVersion } from "../lib/wrk.ts";
import type { WrkTarget } from "../lib/wrk_script.ts";
import { POST_HEADERS } from "../lib/protocol.ts";
import { perRoundRatios } from "../run/format.ts";
import {
  createSessionsOverHttp,
  echoTraffic,
  largeTraffic,
  statelessTraffic,
  withVersion,
} from "../run/traffic.ts";

const argv = process.argv.slice(2);
const opt = optionReader(argv);
const runtime = opt("runtime", "bun") as Runtime;
if (!RUNTIMES.includes(runtime)) throw new Error(`--runtime: one of ${RUNTIMES.join(", ")}`);
const trees = opt("trees", ROOT).split(",").map((tree) => resolve(tree));
const timing = { warmup: 2, rounds: Number(opt("rounds", "16")), slice: Number(opt("slice", "1")) };
const connections = Number(opt("connections", "32"));
const largeSse = opt("workload", "echo") === "large-sse";
const legacy = largeSse || opt("era", "modern") === "legacy";
const guarded = !largeSse && argv.includes("--guarded");
const floorArgs = largeSse
  ? ["--era", "legacy", "--mode", "sse", "--resumable"]
  : legacy
  ? ["--era", "legacy"]
  : [];
const tetherArgs = largeSse ? ["--mode", "sse"] : [];

const entries = [
  ...trees.map((tree) => ({
    name: tree,
    entry: `${tree}/bench/servers/tether.ts`,
    args: tetherArgs,
  })),
  ...(guarded
    ? [{
      name: "guarded floor",
      entry: `${ROOT}/bench/servers/floor.ts`,
      args: [...floorArgs, "--guarded"],
    }]
    : []),
  { name: "floor", entry: `${ROOT}/bench/servers/floor.ts`, args: floorArgs },
];
const servers = [];
try {
  for (const { entry, args } of entries) {
    servers.push(await startServer(runtime, entry, args, { port: allocatePort() }));
  }
  const targets: WrkTarget[] = [];
  for (const server of servers) {
    // A legacy call rotates over a pool of sessions made over HTTP, as bench/run.ts makes them.
    const base = `http://127.0.0.1:${server.port}`;
    let traffic = statelessTraffic().wrk!;
    if (legacy) {
      const { ids, version } = await createSessionsOverHttp(base, 64, true);
      traffic = largeSse
        ? largeTraffic(ids).wrk!
        : echoTraffic(ids, withVersion(POST_HEADERS, version)).wrk!;
    }
    targets.push({ ...traffic, port: server.port, pid: server.pid, path: "/mcp", connections });
  }
  console.log(
    `${largeSse ? "256 KiB SSE" : legacy ? "sessionful" : "stateless"} tools/call on ${runtime}, ` +
      `${wrkVersion()}, ` +
      `${connections} connections, ${timing.rounds} rounds of ${timing.slice} s`,
  );
  const results = await measureWithWrk(targets, timing, (index, error) => {
    throw new Error(`${entries[index].name}: ${error}`);
  });
  const floor = results[results.length - 1];
  const guardedFloor = guarded ? results[results.length - 2] : undefined;
  const over = (result: (typeof results)[number], under: (typeof results)[number]) => {
    const ratios = perRoundRatios(result, under, true);
    return `median ${median(ratios).toFixed(3)} [${ratios.map((r) => r.toFixed(2)).join(" ")}]`;
  };
  results.forEach((result, index) => {
    if (result.bad > 0 || result.errors > 0) {
      throw new Error(`${entries[index].name}: ${result.bad} wrong, ${result.errors} errors`);
    }
    const tree = index < trees.length;
    console.log(
      `${entries[index].name} ${Math.round(result.okPerCpuSecond)}/CPU-s ÷floor ${
        over(result, floor)
      }` +
        (tree && guardedFloor !== undefined
          ? `; ÷guarded floor ${over(result, guardedFloor)}`
          : ""),
    );
  });
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}
