/**
 * The planned duration of a bench run, from its plan (plans.ts) and timings alone: the wrk slices
 * and warm-ups each phase drives, and per-step costs measured on full runs. An estimate, not a
 * clock: it does not know how many paired runs will land near their line, so it gives both ends.
 * @module
 */

import type { Interleaving } from "../lib/load.ts";
import type { Plan } from "../lib/plan.ts";
import { memoryStepsOf } from "./memory_streams.ts";
import { closePairs, type PairedWorkload } from "./paired.ts";
import { MEMORY_PLANS, PLANS, STREAM_PLANS, type Workload, workloadsOf } from "./plans.ts";
import type { Settings } from "./settings.ts";

/**
 * The per-step costs a plan's slices leave out, seconds, from the logs of full runs on the 2-core
 * machine (2026-11-27): a wrk process's start and exit around each slice, a server started with its
 * session pool made and probed, a fresh set of a paired run warmed, the memory phase's sessions
 * made in process (per session, tether's and SDK v1's), a scale pair's 100,000 sessions made in
 * process, a streams round's sessions and warm-up, a refusal probe.
 */
export const STEP_COSTS = {
  wrkSlice: 0.05,
  serverStart: 1.5,
  pairedFreshStart: 0.5,
  sessionsInProcess: { tether: 0.00005, "sdk-json": 0.00055 } as Record<string, number>,
  scaleSessions: 5,
  streamsRound: 3,
  refusalProbe: 2,
};

/** One runtime's planned seconds, by phase; `rechecks` is the most the rechecks can add. */
export interface PlannedRuntime {
  throughput: number;
  pairs: number;
  rechecks: number;
  memory: number;
  streams: number;
}

/** Seconds of one wrk measurement of `targets` targets with `timing` (the minimum slices aside). */
export function wrkSeconds(targets: number, timing: Interleaving): number {
  const slices = targets * (timing.warmup > 0 ? 1 : 0) + targets * timing.rounds;
  return targets * (timing.warmup + timing.rounds * timing.slice) +
    slices * STEP_COSTS.wrkSlice;
}

const INTERLEAVED: Record<Exclude<Workload, "memory" | "streams">, "steady" | "short"> = {
  steady: "steady",
  progress: "short",
  large: "short",
  "large-1m": "short",
  init: "short",
  stateless: "steady",
  mrtr: "short",
};

/** The planned seconds of one runtime of a full plan (every workload, every server). */
export function plannedRuntime(settings: Omit<Settings, "generator">): PlannedRuntime {
  const plans = PLANS.filter((plan) => workloadsOf(plan, settings).length > 0);
  let throughput = plans.length * STEP_COSTS.serverStart;
  let pairs = 0;
  let rechecks = 0;
  for (const workload of Object.keys(INTERLEAVED) as (keyof typeof INTERLEAVED)[]) {
    const serving = plans.filter((plan) => workloadsOf(plan, settings).includes(workload));
    const timing = settings.wrk[INTERLEAVED[workload]];
    throughput += wrkSeconds(serving.length, timing);
    // fastmcp's init slices are at least its minimum (about one session a second per connection).
    for (const plan of serving) {
      if (workload === "init" && plan.initMinSlice !== undefined) {
        throughput += timing.rounds * Math.max(0, plan.initMinSlice - timing.slice);
      }
    }
    if (workload === "init" || workload === "mrtr") continue;
    const paired = workload as PairedWorkload;
    if (!settings.heavyPairs && paired !== "steady" && paired !== "stateless") continue;
    // The pairs of the workload, with the fastest peer's pair where it has one.
    const runs = closePairs("node", paired).map((run) => run.length);
    if (paired === "steady" || paired === "stateless") runs.push(2);
    for (const size of runs) {
      const once = wrkSeconds(size, settings.pairs);
      pairs += once;
      rechecks += settings.rechecks *
        (once + size * (STEP_COSTS.pairedFreshStart + 1 + STEP_COSTS.wrkSlice));
    }
  }
  throughput += plans.filter((plan) => workloadsOf(plan, settings).includes("steady")).length *
    STEP_COSTS.refusalProbe;
  const scalePair = wrkSeconds(2, settings.wrk.scale);
  // The scale pairs (tether's, the floor's) are measured `rechecks` times more, near or not.
  const scalePairs = 2 * scalePair + 4 * STEP_COSTS.serverStart +
    2 * STEP_COSTS.scaleSessions;
  let memory = STEP_COSTS.scaleSessions + scalePair + 2 * STEP_COSTS.serverStart +
    settings.rechecks * scalePairs;
  for (const plan of MEMORY_PLANS) {
    const most = Math.max(...memoryStepsOf(plan, settings));
    const perSession = STEP_COSTS.sessionsInProcess[plan.server] ?? 0;
    const timed = plan.scalePair !== false;
    // "few" and "many", and the timed third process grown as far again.
    memory += (timed ? 3 : 2) * STEP_COSTS.serverStart + (timed ? 2 : 1) * most * perSession +
      (timed ? scalePair : 0);
  }
  const streams = settings.streams.rounds * STREAM_PLANS.length *
    (settings.streams.seconds + STEP_COSTS.serverStart + STEP_COSTS.streamsRound);
  return { throughput, pairs, rechecks, memory, streams };
}

/**
 * The plan as text: per runtime by phase, and the run's total with no paired run measured again
 * and with every one measured again (the scale pair always is), in minutes.
 */
export function describePlan(settings: Omit<Settings, "generator">, runtimes: number): string {
  const p = plannedRuntime(settings);
  const base = p.throughput + p.pairs + p.memory + p.streams;
  const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
  return [
    `per runtime: side by side ${minutes(p.throughput)}, paired runs ${minutes(p.pairs)}, ` +
    `memory and scaling ${minutes(p.memory)}, streams ${minutes(p.streams)}; ` +
    `measured again near a line: up to ${minutes(p.rechecks)}`,
    `${runtimes} runtime(s): ${minutes(runtimes * base)} to ${
      minutes(runtimes * (base + p.rechecks))
    }`,
  ].join("\n");
}

/**
 * The plan of a run of `runtimes` (run.ts's line): both ends, with no paired run measured again
 * and with every one measured again. `only` names a subset (`--only`), whose estimate is the full
 * plan's (an upper bound).
 * @example
 * ```ts
 * import { runPlan } from "./duration.ts";
 * import { FULL } from "./settings.ts";
 * runPlan(FULL, ["deno", "bun", "node"]).high; // seconds of a full npm run bench at the most
 * ```
 */
export function runPlan(
  settings: Omit<Settings, "generator">,
  runtimes: readonly string[],
  only: readonly string[] = [],
): Plan {
  if (settings.smoke) {
    // Its slices end at their few answers, its phases side by side: about a minute (CI's figure).
    return {
      what: `run.ts --smoke on ${runtimes.join(", ")}: a few answers each`,
      low: 60,
      high: 60,
    };
  }
  const p = plannedRuntime(settings);
  const base = p.throughput + p.pairs + p.memory + p.streams;
  const n = runtimes.length;
  return {
    what:
      `run.ts${settings.smoke ? " --smoke" : ""} on ${runtimes.join(", ")}: ${
        only.length > 0
          ? `--only ${only.join(",")} (the full plan's estimate, at most)`
          : "every workload"
      }, ${settings.wrk.steady.rounds} rounds of ${settings.wrk.steady.slice} s slices, ` +
      `paired runs measured again near a line`,
    low: n * base,
    high: n * (base + p.rechecks),
  };
}
