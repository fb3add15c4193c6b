/**
 * The scale-out bench's settings: its command line, the load's shape, and the sample counts of a
 * full and a smoke run. Data and parsing only.
 * @module
 */

import { type Runtime, RUNTIMES } from "../lib/proc.ts";

export const SERVER = "bench/servers/tether_redis.ts";
/** The Redis floor: the least Redis traffic that keeps tether's promises for these workloads. */
export const FLOOR = "bench/servers/floor_redis.ts";
/** The Postgres floor: the least SQL that keeps tether's promises for these workloads. */
export const POSTGRES_FLOOR = "bench/servers/floor_postgres.ts";
/** The heading of this report's section (it replaces everything from there on with --append). */
export const SECTION = "## Scale-out: 2 instances + Redis against 1 in memory";
/** The heading of the same report on a Redis Cluster (`--redis cluster`). */
export const CLUSTER_SECTION =
  "## Scale-out on a Redis Cluster: 2 instances + 3 masters and 3 replicas against 1 in memory";
export const WORKERS = 32;
/**
 * Callers of the spread 10-progress workload (a call lasts its 10 ticks of 20 ms): 32 would keep
 * the servers mostly idle; 128 (16 per session, under tether's 64 a session) load them.
 */
export const SPREAD_WORKERS = 128;
/** Alternating slices per comparison (drifts in machine load hit both sides alike). */
export const ROUNDS = 4;
export const SESSIONS = 8;

/** The sample counts of a run (a smoke run takes a few of each). */
export interface Sizes {
  /** Alternating slices per comparison (`ROUNDS` in a full run). */
  rounds: number;
  /** Whether each side is driven first (a fifth of the run's seconds, at least 1 s), unmeasured. */
  warmup: boolean;
  /**
   * Whether the runtimes run side by side (a smoke run: their instances start three at a time,
   * and the counts of Redis and Postgres traffic, which all of them see, are not read by anyone).
   */
  together: boolean;
  /** The idle traffic read before the commands and round trips are counted, ms. */
  idleMs: number;
  /** Sequential samples per latency row. */
  latencySamples: number;
  /** Samples taken first and dropped (JIT, script loading, connection pools). */
  warmupSamples: number;
  /** Sessions made for the Redis bytes per idle session. */
  idleSessions: number;
  /** Calls of the round-trip counts under MONITOR (JSON, then 10-progress). */
  monitoredCalls: number;
  /** Requests per workload and instance count in the fan-out table. */
  fanoutRequests: number;
  /** Requests of the fan-out's 2026-07-28 cancel (each waits the bus's grace, 200-300 ms). */
  fanoutGraceRequests: number;
  /** The idle window read once per instance count, ms (past the longest idle period, 5 s). */
  fanoutIdleMs: number;
  /** The instance counts of the fan-out table (flat from the first to the last is the goal). */
  fanoutCounts: number[];
}

/**
 * A full run's samples. The p99 of 60 samples is their largest (stricter than of 500, as the
 * report ran until 2026-11-28: the three latency rows took about 7 of its 10 minutes a runtime);
 * the fan-out table's 4 instances sat between 2 and 8, which its target compares.
 */
export const FULL_SIZES: Sizes = {
  rounds: ROUNDS,
  warmup: true,
  together: false,
  idleMs: 1_000,
  latencySamples: 60,
  warmupSamples: 6,
  idleSessions: 2_000,
  monitoredCalls: 500,
  fanoutRequests: 300,
  fanoutGraceRequests: 20,
  fanoutIdleMs: 6_000,
  fanoutCounts: [2, 8],
};

/**
 * A smoke run's: enough to check that everything answers right, nothing measured (one slice a
 * side, no warm-up, one sample of each latency, a few calls of each count, the fan-out at 2
 * instances only, the runtimes side by side): about 20 s for Redis and 25 s for Postgres on
 * the 2-core machine (3 minutes and 1 until 2026-11-29; Postgres 15 s before its floor joined).
 */
export const SMOKE_SIZES: Sizes = {
  rounds: 1,
  warmup: false,
  together: true,
  idleMs: 100,
  latencySamples: 1,
  warmupSamples: 0,
  idleSessions: 10,
  monitoredCalls: 4,
  fanoutRequests: 2,
  fanoutGraceRequests: 1,
  fanoutIdleMs: 100,
  fanoutCounts: [2],
};

/** Seconds of each throughput comparison (all sides together) in a smoke run. */
export const SMOKE_SECONDS = 0.2;

/** Seconds of each throughput comparison (both sides together) in a full run. */
export const FULL_SECONDS = 4;

export interface Cli {
  runtimes: Runtime[];
  seconds: number;
  append: string | undefined;
  smoke: boolean;
  sizes: Sizes;
  /** A local Redis Cluster instead of one redis-server. */
  cluster: boolean;
  /** Print the plan line (bench/scale_out/plan.ts) and exit without starting anything. */
  plan: boolean;
}

export function parseCli(argv: string[]): Cli {
  const cli: Cli = {
    runtimes: [...RUNTIMES],
    seconds: FULL_SECONDS,
    sizes: FULL_SIZES,
    append: undefined,
    smoke: false,
    cluster: false,
    plan: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case "--runtime":
        cli.runtimes = value.split(",") as Runtime[];
        i++;
        break;
      case "--seconds":
        cli.seconds = Number(value);
        i++;
        break;
      case "--append":
        cli.append = value;
        i++;
        break;
      case "--redis":
        if (value !== "node" && value !== "cluster") {
          throw new Error("--redis takes node or cluster");
        }
        cli.cluster = value === "cluster";
        i++;
        break;
      case "--plan":
        cli.plan = true;
        break;
      case "--smoke":
        cli.smoke = true;
        cli.seconds = SMOKE_SECONDS;
        cli.sizes = SMOKE_SIZES;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return cli;
}

/**
 * Per-step costs of a scale-out run, seconds: an instance started, a latency sample (a stream of
 * 101 events to resume, a held call to cancel, a question to answer), a monitored call, an idle
 * session made, a fan-out request (the plain calls and the held-and-cancelled ones averaged), a
 * fan-out request that waits the bus's grace, the Cluster's start, and a spread 10-progress call.
 * Set from the timed steps of the full `npm run bench:scale` of 2026-11-29 (load under 2): one
 * redis-server 872 s for three runtimes (per runtime: instances and warm-up 7-9 s, throughput
 * 39 s, commands per call 4 s, round trips 2 s, latencies 22 s for 198 samples, idle sessions
 * and fan-out 212-221 s), the Cluster 165 s. The 2026-11-27 figures (0.26 s a sample, 0.005 s a
 * fan-out request) estimated 8.5 min for the first and 3.6 for the second.
 */
export const STEP_COSTS = {
  instanceStart: 1.5,
  sample: 0.11,
  clusterSample: 0.09,
  monitoredCall: 0.0005,
  idleSession: 0.0015,
  fanoutRequest: 0.145,
  graceRequest: 0.3,
  clusterStart: 20,
  /** A spread 10-progress call: its 10 ticks of 20 ms and the answer, under load. */
  spreadCall: 0.3,
};

/** The planned seconds of a scale-out run of `runtimes` runtimes (its smoke, or a full one). */
export function plannedSeconds(
  runtimes: number,
  seconds: number,
  sizes: Sizes,
  cluster: boolean,
): number {
  const c = STEP_COSTS;
  const samples = 3 * (sizes.warmupSamples + sizes.latencySamples);
  // Five instances (memory, tether's two, the floor's two) and their sessions, three warm-ups,
  // three compared workloads of `seconds` a side on three sides.
  const throughput = 5 * c.instanceStart + 3 * Math.max(1, seconds / 5) + 9 * seconds;
  // The commands counted per call: JSON and burst calls, then spread calls (each lasting its
  // ticks), for tether and for the floor, after a second of idle traffic.
  const counted = 1 + 2 * (2 * sizes.monitoredCalls * c.monitoredCall +
        Math.ceil(sizes.monitoredCalls / SPREAD_WORKERS) * c.spreadCall);
  if (cluster) {
    return c.clusterStart + runtimes * (throughput + counted + samples * c.clusterSample);
  }
  const fanout = sizes.fanoutCounts.reduce(
    (sum, count) =>
      sum + count * c.instanceStart + sizes.fanoutIdleMs / 1_000 +
      2 * sizes.fanoutRequests * c.fanoutRequest + sizes.fanoutGraceRequests * c.graceRequest,
    0,
  );
  return runtimes * (throughput + counted + 1 + sizes.monitoredCalls * c.monitoredCall +
    samples * c.sample + sizes.idleSessions * c.idleSession + fanout);
}
