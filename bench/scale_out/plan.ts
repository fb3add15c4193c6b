/**
 * The plans of the scale-out reports (bench/redis_scale.ts on one redis-server or a Cluster,
 * bench/postgres_scale.ts): what a command line runs and its estimated seconds, from its settings
 * (settings.ts) and per-step costs. Data and arithmetic only: nothing is started.
 * @module
 */

import type { Plan } from "../lib/plan.ts";
import { type Cli, plannedSeconds, type Sizes, WORKERS } from "./settings.ts";

/**
 * Per-step costs of the Postgres report, seconds. Until 2026-11-29 fitted to the one full run
 * timed then (169 s for three runtimes and both configurations, its steps not timed one by one);
 * since the floor joined (two more instances, a third side, the floor's counted calls), to the
 * timed steps of `--runtime node --seconds 2` (78 s, load average 3.6 to 4.5): the server's
 * start 4.2 s; per configuration five instances with their sessions 7.7-7.8 s, the warm-ups
 * 3.1 s, the throughput 12.4-13 s, the statements counted 6.8-8.4 s (the idle second, 500 JSON
 * and 500 10-progress calls of each server, 13 `psql` reads), 2,000 idle sessions 4.4-5.7 s. The
 * server's start (initdb, start, the restart that preloads pg_stat_statements, tether's
 * migration), an instance started with its sessions, a sequential JSON call counted on Postgres,
 * a 10-progress call among `WORKERS` callers, an idle session made, and one runtime's `psql`
 * reads (statement counts and resets, connections, table sizes: a process each).
 */
export const POSTGRES_STEP_COSTS = {
  postgresStart: 5,
  instanceStart: 1.5,
  jsonCall: 0.0035,
  progressCall: 0.0025,
  idleSession: 0.002,
  psqlReads: 0.7,
};

/** The instances of one runtime's Postgres report: memory, tether's two, the floor's two. */
const POSTGRES_INSTANCES = 5;

/**
 * The seconds of a Postgres report: per configuration (named statements, and unnamed ones in a
 * full run) and runtime, five instances (memory, tether's two, the floor's two), the warm-ups of
 * the three sides, two workloads of `seconds` a side on three sides, the idle window, the counted
 * calls of tether and of the floor, and the idle sessions.
 * @example
 * ```ts
 * import { postgresSeconds } from "./plan.ts";
 * import { FULL_SECONDS, FULL_SIZES } from "./settings.ts";
 * postgresSeconds(3, FULL_SECONDS, FULL_SIZES, false); // the default bench:scale run's
 * ```
 */
export function postgresSeconds(
  runtimes: number,
  seconds: number,
  sizes: Sizes,
  smoke: boolean,
): number {
  const c = POSTGRES_STEP_COSTS;
  const configurations = smoke ? 1 : 2;
  const warmups = sizes.warmup ? 3 * Math.max(1, seconds / 5) : 0;
  const runtime = POSTGRES_INSTANCES * c.instanceStart + warmups + 2 * 3 * seconds +
    sizes.idleMs / 1_000 +
    2 * sizes.monitoredCalls * (c.jsonCall + c.progressCall) +
    sizes.idleSessions * c.idleSession + c.psqlReads;
  return c.postgresStart + configurations * runtimes * runtime;
}

const sizesText = (sizes: Sizes, idleSessions = true) =>
  `${sizes.rounds} slice(s) a side${sizes.warmup ? " after a warm-up" : ""}, ` +
  `${sizes.monitoredCalls} counted calls` +
  (idleSessions ? `, ${sizes.idleSessions} idle sessions` : "");

/** Runtimes side by side (a smoke run) take about as long as one. */
const inTurn = (cli: Cli) => cli.sizes.together ? 1 : cli.runtimes.length;

/**
 * The plan of bench/redis_scale.ts with `cli` (its settings: settings.ts `plannedSeconds`).
 * @example
 * ```ts
 * import { redisPlan } from "./plan.ts";
 * import { parseCli } from "./settings.ts";
 * redisPlan(parseCli(["--seconds", "2", "--redis", "cluster"])).what; // "a Redis Cluster, …"
 * ```
 */
export function redisPlan(cli: Cli): Plan {
  const seconds = plannedSeconds(inTurn(cli), cli.seconds, cli.sizes, cli.cluster);
  const samples = cli.sizes.latencySamples;
  return {
    what:
      `${cli.cluster ? "a Redis Cluster" : "one redis-server"} on ${
        cli.runtimes.join(", ")
      }: 3 workloads on 3 sides, ${cli.seconds} s each, ${sizesText(cli.sizes, !cli.cluster)}, ` +
      `3 latency rows of ${samples} samples` +
      (cli.cluster ? "" : `, the fan-out at ${cli.sizes.fanoutCounts.join(" and ")} instances`),
    low: seconds,
    high: seconds,
  };
}

/**
 * The plan of bench/postgres_scale.ts with `cli`.
 * @example
 * ```ts
 * import { postgresPlan } from "./plan.ts";
 * import { parseCli } from "./settings.ts";
 * postgresPlan(parseCli(["--runtime", "node"])).low; // seconds
 * ```
 */
export function postgresPlan(cli: Cli): Plan {
  // Runtimes side by side (a smoke run) still start their instances on the same two cores.
  const starts = cli.sizes.together
    ? (cli.runtimes.length - 1) * POSTGRES_INSTANCES * POSTGRES_STEP_COSTS.instanceStart
    : 0;
  const seconds = postgresSeconds(inTurn(cli), cli.seconds, cli.sizes, cli.smoke) + starts;
  return {
    what: `PostgreSQL on ${cli.runtimes.join(", ")}, ${
      cli.smoke ? "named statements" : "named and unnamed statements"
    }: 2 workloads on 3 sides, ${cli.seconds} s each, ${sizesText(cli.sizes)} (${WORKERS} callers)`,
    low: seconds,
    high: seconds,
  };
}
