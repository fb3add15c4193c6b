/**
 * The command line of bench/run.ts: runtimes, --only, --generator, --out, --smoke, --wide, --plan.
 * Parsing only;
 * an unknown flag exits with the usage.
 * @module
 */

import { wrkBinary } from "../lib/wrk.ts";
import { type Runtime, RUNTIMES } from "../lib/proc.ts";
import { SERVER_LABELS, type ServerKey, type Workload, WORKLOADS } from "./plans.ts";
import type { Generator } from "./settings.ts";

export function parseCli(argv: string[]) {
  let smoke = false;
  let wide = false;
  let plan = false;
  let runtimes: Runtime[] = [...RUNTIMES];
  let only: string[] = [];
  let out: string | undefined;
  let generator: Generator | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--smoke") smoke = true;
    else if (arg === "--wide") wide = true;
    else if (arg === "--plan") plan = true;
    else if (arg === "--runtime") runtimes = value().split(",").map((r) => r.trim()) as Runtime[];
    else if (arg === "--only") only = value().split(",").map((s) => s.trim());
    else if (arg === "--out") out = value();
    else if (arg === "--generator") {
      const v = value();
      if (v !== "wrk" && v !== "autocannon") {
        throw new Error(`--generator: wrk or autocannon, not ${v}`);
      }
      generator = v;
    } else if (arg === "--help" || arg === "-h") {
      console.log(
        "usage: node_modules/node24/bin/node bench/run.ts [--smoke] [--wide] [--plan] [--runtime deno,bun,node] [--only steady,progress,large,large-1m,init,stateless,mrtr,memory,streams,<server>] [--generator wrk|autocannon] [--out FILE]",
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  for (const r of runtimes) if (!RUNTIMES.includes(r)) throw new Error(`unknown runtime ${r}`);
  for (const o of only) {
    if (!WORKLOADS.includes(o as Workload) && !(o in SERVER_LABELS)) {
      throw new Error(`--only: unknown workload or server ${o}`);
    }
  }
  const onlyWorkloads = only.filter((o) => WORKLOADS.includes(o as Workload)) as Workload[];
  const onlyServers = only.filter((o) => o in SERVER_LABELS) as ServerKey[];
  if (generator === "wrk" && wrkBinary() === undefined) {
    throw new Error("--generator wrk: wrk is not installed (Debian: apt-get install wrk)");
  }
  generator ??= wrkBinary() === undefined ? "autocannon" : "wrk";
  const complete = !smoke && only.length === 0 && runtimes.length === RUNTIMES.length;
  return {
    smoke,
    wide,
    plan,
    generator,
    runtimes,
    onlyWorkloads,
    onlyServers,
    out: out ?? (complete ? "bench/RESULTS.md" : undefined),
  };
}
