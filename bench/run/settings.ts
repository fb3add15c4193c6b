/**
 * The timings and sizes of a full and a smoke bench run (rounds, slices, paired runs, rechecks,
 * memory steps, streams). Data only; what each phase runs is in plans.ts, and what a plan costs
 * in time is in duration.ts (`--plan`).
 * @module
 */

export interface Timing {
  /** Warm-up per server, seconds. */
  warmup: number;
  /** Rounds of interleaved slices. */
  rounds: number;
  /** Seconds per server per round (at most, with `requests`). */
  slice: number;
  /** Answers per server per round, then the slice ends (a smoke run). @default none */
  requests?: number;
  /** Every server of a round driven at once (a smoke run). @default false */
  together?: boolean;
}

/** Which timing of {@linkcode Settings} a measurement uses. */
export type TimingKind = "steady" | "short" | "scale";

/** The load generator of a measurement. */
export type Generator = "wrk" | "autocannon";

export interface Settings {
  smoke: boolean;
  connections: number;
  /** Sessions in the steady/progress pool. */
  pool: number;
  /** autocannon timings. */
  steady: Timing;
  short: Timing;
  /** The 100 vs 100k sessions comparison (a 10% target: measured longer). */
  scale: Timing;
  /** wrk timings (whole seconds: wrk's unit; one process per slice). */
  wrk: Record<TimingKind, Timing>;
  /**
   * wrk timing of a target pair measured again on its own (see
   * {@linkcode pairedRuns}): its rounds are the pair's per-round ratios.
   */
  pairs: Timing;
  /**
   * Whether the heavy workloads' target pairs (progress, large, large-1m) are measured again on
   * their own too; not in a smoke run (half a minute more), which judges them side by side.
   */
  heavyPairs: boolean;
  /**
   * Times a paired run whose median landed near a line it is judged against is measured again,
   * each time in fresh processes (see `recheckNearLines` in paired.ts); the row is then judged on
   * the median of its runs' medians. 0: none (a smoke run, which judges nothing).
   */
  rechecks: number;
  memoryBase: number;
  memorySteps: number[];
  /**
   * Concurrent SSE streams: how many, how long each lasts, streams per session, rounds (each
   * server once a round, in a fresh process; its row is the rounds' medians), and the seconds of
   * the warm-up batch of calls before the baseline (0: none).
   */
  streams: { count: number; seconds: number; perSession: number; rounds: number; warmup: number };
  /**
   * Whether the rows no target is judged on that need servers of their own are measured too
   * (plans.ts, `wideOnly`): `--wide`, and every smoke run (it checks every server's answers).
   */
  wide: boolean;
  /**
   * A smoke run's shortcuts, none of which a measurement could take: a phase's servers started
   * together (a few at a time) and those of one server with the same flags as one process, a
   * runtime's phases side by side, a phase's stream rounds and refusal probes at once.
   */
  concurrent: boolean;
  /** wrk where installed (and not overridden by --generator), else autocannon. */
  generator: Generator;
}

/**
 * A full run's timings, cut toward the 30 minutes a full `npm run bench` is given on the 2-core
 * machine (`node_modules/node24/bin/node bench/run.ts --plan` prints the plan's duration; the
 * whole `npm run bench`, 33 to 42 minutes as of 2026-11-28; bench/README.md).
 * Until 2026-11-28 a full run took 81 minutes (and the scale-out report 32 more): 2 s warm-ups, 5
 * or 4 rounds side by side, 12-round pairs, two rechecks, SDK v1 grown to 100,000 sessions twice,
 * the floor's 100,000 sessions made over HTTP, 3 × 10 s stream rounds. Fewer rounds in the same
 * processes cost little precision (a paired median of 12 rounds moved by about 0.03; most of the
 * spread between runs is the processes', which a recheck in fresh processes samples).
 */
export const FULL: Omit<Settings, "generator"> = {
  smoke: false,
  wide: false,
  concurrent: false,
  connections: 32,
  pool: 64,
  steady: { warmup: 1, rounds: 6, slice: 0.5 },
  short: { warmup: 1, rounds: 4, slice: 0.5 },
  scale: { warmup: 1, rounds: 6, slice: 0.5 },
  wrk: {
    steady: { warmup: 1, rounds: 3, slice: 1 },
    short: { warmup: 1, rounds: 3, slice: 1 },
    scale: { warmup: 1, rounds: 5, slice: 1 },
  },
  pairs: { warmup: 0, rounds: 5, slice: 1 },
  heavyPairs: true,
  rechecks: 1,
  memoryBase: 100,
  memorySteps: [1_000, 10_000, 100_000],
  // 16 per session: under tether's default maxRequestsPerSession (64).
  streams: { count: 1_000, seconds: 6, perSession: 16, rounds: 2, warmup: 2 },
};

/**
 * A smoke run checks that every server starts and answers every workload right, and measures
 * nothing: each slice ends after 4 answers (one per session of the pool, over 2 connections),
 * the servers of a round are driven at once, no warm-up, one round, and `concurrent`. About
 * a minute for the three runtimes on the 2-core machine (6 to 8 minutes until 2026-11-29: a
 * second a slice, one server after another, every process started in turn).
 */
export const SMOKE: Omit<Settings, "generator"> = {
  smoke: true,
  wide: true,
  concurrent: true,
  connections: 2,
  pool: 4,
  steady: { warmup: 0, rounds: 1, slice: 10, requests: 4, together: true },
  short: { warmup: 0, rounds: 1, slice: 10, requests: 4, together: true },
  scale: { warmup: 0, rounds: 1, slice: 10, requests: 4, together: true },
  // 10 s is the most a slice takes (a slow server on a loaded host); 4 answers end it sooner.
  wrk: {
    steady: { warmup: 0, rounds: 1, slice: 10, requests: 4, together: true },
    short: { warmup: 0, rounds: 1, slice: 10, requests: 4, together: true },
    scale: { warmup: 0, rounds: 1, slice: 10, requests: 4, together: true },
  },
  // One round: the smoke checks that a pair runs and answers right, not its ratio.
  pairs: { warmup: 0, rounds: 1, slice: 10, requests: 4, together: true },
  heavyPairs: false,
  rechecks: 0,
  memoryBase: 4,
  memorySteps: [8, 16],
  // 3 s: the window while all are open ends 1.5 s before the first stream does (a smoke run does
  // not fail for a window too short: it reads no figure anyone uses).
  streams: { count: 8, seconds: 3, perSession: 4, rounds: 1, warmup: 0 },
};
