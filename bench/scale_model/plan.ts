/**
 * The plan of `bench/scale_model.ts --measure` (measure.ts): its phases of `PHASE_CALLS` calls,
 * 8 at a time, in this process against two local redis-servers, and its estimated seconds. Data
 * and arithmetic only: nothing is started.
 * @module
 */

import type { Plan } from "../lib/plan.ts";

/** Operations per phase of a measurement (a quarter of it for the streamed phases). */
export const PHASE_CALLS = 400;

/** Operations of a phase run at once. */
export const PARALLEL = 8;

/** The wait after each streamed phase, ms: the budget's batch wait (1 s) and a margin. */
export const BOOKED_MS = 1_200;

/**
 * Per-step costs of a measurement, seconds: ESTIMATES, not yet timed on a full run (check them
 * against `npm run bench:scale`'s last step and adjust). The process's start with its imports
 * (the Redis client, tether's backend) and the two redis-servers', the table written with
 * `deno fmt` (`--write`); and per operation, wall-clock with `PARALLEL` at a time unless said: a
 * session made, a JSON call, a 10-progress burst, a spread call's work past its 10 ticks of 20 ms,
 * a session made and a burst one at a time (filling the full budget), a rate-limit take.
 */
export const STEP_COSTS = {
  processStart: 1.5,
  redisStart: 0.5,
  write: 0.5,
  session: 0.002,
  jsonCall: 0.0015,
  burst: 0.004,
  spreadExtra: 0.02,
  sequentialSession: 0.004,
  sequentialBurst: 0.006,
  rateTake: 0.0005,
};

/**
 * The seconds of a measurement of `calls` operations a phase (with the table written, `--write`).
 * @example
 * ```ts
 * import { measureSeconds, PHASE_CALLS } from "./plan.ts";
 * measureSeconds(PHASE_CALLS, true); // about a quarter of a minute
 * ```
 */
export function measureSeconds(calls: number, write: boolean): number {
  const c = STEP_COSTS;
  const quarter = calls / 4;
  // Each spread call lasts its ticks: `PARALLEL` of them at a time.
  const spreadPhase = Math.ceil(quarter / PARALLEL) * (10 * 0.02 + c.spreadExtra);
  return c.processStart + 2 * c.redisStart + (write ? c.write : 0) +
    calls * (c.session + c.jsonCall + c.rateTake) + quarter * c.burst +
    // The spread phase, then the same on the full budget after its sessions and 256 bursts.
    2 * spreadPhase + quarter * c.sequentialSession + 256 * c.sequentialBurst +
    4 * BOOKED_MS / 1_000;
}

/**
 * The plan of `bench/scale_model.ts` with `args` (only `--measure` takes time).
 * @example
 * ```ts
 * import { scaleModelPlan } from "./plan.ts";
 * scaleModelPlan(["--measure", "--write"]).what; // "the scale model's costs measured …"
 * ```
 */
export function scaleModelPlan(args: readonly string[]): Plan {
  const write = args.includes("--write");
  const seconds = args.includes("--measure")
    ? measureSeconds(PHASE_CALLS, write)
    : STEP_COSTS.processStart + (write ? STEP_COSTS.write : 0);
  return {
    what:
      (args.includes("--measure")
        ? `the scale model's costs measured on 2 redis-servers, ${PHASE_CALLS} calls a phase, ` +
          `${PARALLEL} at a time`
        : "the scale model's table from costs.json") +
      (write ? ", its table written into docs/redis.md" : ""),
    low: seconds,
    high: seconds,
  };
}
