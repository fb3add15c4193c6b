/**
 * The bench's plans: the workloads, the servers (tether, its peers, the floors) and which process
 * serves which workloads in each phase, and the timings of a full and a smoke run. Data only.
 * @module
 */

export type Workload =
  | "steady"
  | "progress"
  | "large"
  | "large-1m"
  | "init"
  | "stateless"
  | "mrtr"
  | "memory"
  | "streams";
export const WORKLOADS: readonly Workload[] = [
  "steady",
  "progress",
  "large",
  "large-1m",
  "init",
  "stateless",
  "mrtr",
  "memory",
  "streams",
];

export type ServerKey =
  | "ceiling"
  | "ceiling-sse"
  | "tether"
  | "tether-sse"
  | "sdk"
  | "sdk-json"
  | "sdk-v2"
  | "floor"
  | "floor-guarded"
  | "floor-legacy"
  | "floor-legacy-guarded"
  | "floor-legacy-sse"
  | "floor-legacy-resumable"
  | "floor-legacy-sse-resumable"
  | "mcp-lite"
  | "mcp-lite-json"
  | "tmcp"
  | "hono-mcp"
  | "fastmcp";

export const SERVER_LABELS: Record<ServerKey, string> = {
  ceiling: "ceiling (bare fetch handler)",
  "ceiling-sse": "ceiling (bare fetch handler, SSE answer)",
  tether: "tether (default: auto → JSON)",
  "tether-sse": "tether (responseMode sse)",
  sdk: "SDK v1 (default: SSE)",
  "sdk-json": "SDK v1 (enableJsonResponse)",
  "sdk-v2": "SDK v2 createMcpHandler (stateless)",
  floor: "floor (the checks, one function)",
  "floor-guarded": "guarded floor (the checks + tether's guards against abuse, one function)",
  "floor-legacy": "legacy floor (the checks + session, one function)",
  "floor-legacy-guarded":
    "guarded legacy floor (the checks + session + tether's guards against abuse, one function)",
  "floor-legacy-sse": "legacy floor (large results as one SSE event)",
  "floor-legacy-resumable": "legacy floor, resumable (SSE events with ids, kept for a resume)",
  "floor-legacy-sse-resumable":
    "legacy floor, resumable (large results as one SSE event with an id, kept for a resume)",
  "mcp-lite": "mcp-lite 0.10 (sessions; SSE, as clients call it)",
  "mcp-lite-json": "mcp-lite 0.10 (sessions; JSON: Accept application/json only)",
  tmcp: "tmcp 1.20 (transport-http 0.9; SSE)",
  "hono-mcp": "@hono/mcp 0.3.2 (SDK v1 server; SSE)",
  fastmcp: "fastmcp 4.20 (httpStream; SSE)",
};

/** Every peer row (libraries a user could pick instead), `mcp-lite-json` (the fastest path) too. */
export const PEERS: readonly ServerKey[] = [
  "mcp-lite",
  "mcp-lite-json",
  "tmcp",
  "hono-mcp",
  "fastmcp",
  "sdk",
  "sdk-json",
  "sdk-v2",
];

/**
 * The peers as spec-following clients call them (Accept names both types, as the spec requires):
 * every peer row but mcp-lite's JSON path. The "≥ 1.2× every peer" targets are judged on these.
 */
export const SPEC_PEERS: readonly ServerKey[] = PEERS.filter((peer) => peer !== "mcp-lite-json");

/** One server process of the throughput phase and the workloads it serves. */
export interface ProcessPlan {
  server: ServerKey;
  entry: string;
  args: string[];
  workloads: Workload[];
  /** Whether initialize issues a session id (SDK v2 serves 2025 traffic statelessly). */
  sessionful: boolean;
  /** `json`: the client's Accept names application/json only (mcp-lite's JSON path). */
  accept?: "json";
  /** The shortest wrk slice of its init workload, seconds (fastmcp: about 1 s per initialize). */
  initMinSlice?: number;
  /** Workloads it serves in a full run only (a smoke run keeps its time: it checks answers). */
  fullOnly?: Workload[];
}

/**
 * Throughput phase: all of a runtime's processes run side by side and are measured interleaved.
 * The stateless (2026-07-28) rows are each served by a process that has served nothing before,
 * like the floor's: a process that answered SSE progress streams or 256 KiB results serves later
 * requests slower on Bun and Deno (bench/README.md, "A process's history"), so a server judged
 * against the floor or a peer there is not handicapped by the workloads it ran earlier.
 */
export const PLANS: readonly ProcessPlan[] = [
  {
    server: "ceiling",
    entry: "ceiling.ts",
    args: [],
    workloads: ["steady", "progress", "large", "large-1m", "init"],
    sessionful: true,
    fullOnly: ["large-1m"],
  },
  {
    server: "ceiling",
    entry: "ceiling.ts",
    args: [],
    workloads: ["stateless"],
    sessionful: true,
  },
  {
    server: "ceiling-sse",
    entry: "ceiling.ts",
    args: ["--mode", "sse"],
    workloads: ["large", "large-1m"],
    sessionful: true,
    fullOnly: ["large-1m"],
  },
  {
    server: "tether",
    entry: "tether.ts",
    args: [],
    workloads: ["steady", "progress", "large", "large-1m"],
    sessionful: true,
  },
  {
    server: "tether",
    entry: "tether.ts",
    args: [],
    workloads: ["stateless", "mrtr"],
    sessionful: true,
  },
  {
    server: "tether-sse",
    entry: "tether.ts",
    args: ["--mode", "sse"],
    workloads: ["steady", "large", "large-1m"],
    sessionful: true,
  },
  // Session creation only: the default cap (10,000 sessions) would be reached within a second.
  {
    server: "tether",
    entry: "tether.ts",
    args: ["--max-sessions", "10000000"],
    workloads: ["init"],
    sessionful: true,
  },
  {
    server: "sdk",
    entry: "sdk.ts",
    args: [],
    workloads: ["steady", "progress", "large", "large-1m", "init"],
    sessionful: true,
    fullOnly: ["large-1m"],
  },
  {
    server: "sdk-json",
    entry: "sdk.ts",
    args: ["--mode", "json"],
    workloads: ["steady", "large", "large-1m", "init"],
    sessionful: true,
    fullOnly: ["large-1m"],
  },
  {
    server: "sdk-v2",
    entry: "sdk_v2.ts",
    args: [],
    workloads: ["steady", "progress", "init"],
    sessionful: false,
  },
  {
    server: "sdk-v2",
    entry: "sdk_v2.ts",
    args: [],
    workloads: ["stateless"],
    sessionful: false,
  },
  // Yardsticks, not libraries: the checks tether makes, written in one function.
  {
    server: "floor",
    entry: "floor.ts",
    args: [],
    workloads: ["stateless"],
    sessionful: false,
  },
  // The guard rows' bounds: the floors plus the guards against abuse tether keeps on by default
  // (a body deadline, id sizes, shares of requests in flight), in one function.
  {
    server: "floor-guarded",
    entry: "floor.ts",
    args: ["--guarded"],
    workloads: ["stateless"],
    sessionful: false,
  },
  {
    server: "floor-legacy-guarded",
    entry: "floor.ts",
    args: ["--era", "legacy", "--guarded"],
    workloads: ["steady"],
    sessionful: true,
  },
  // The heavy workloads' floors: what a spec-complete server must do for them, in one function
  // (steady first, so the steady rows come from a process that has served nothing heavier).
  {
    server: "floor-legacy",
    entry: "floor.ts",
    args: ["--era", "legacy"],
    workloads: ["steady", "progress", "large", "large-1m"],
    sessionful: true,
  },
  {
    server: "floor-legacy-sse",
    entry: "floor.ts",
    args: ["--era", "legacy", "--mode", "sse"],
    workloads: ["large", "large-1m"],
    sessionful: true,
  },
  // The same floors keeping what a `Last-Event-ID` resume needs, as tether's default memory log
  // bounds it (the bound of tether's SSE rows: retention is work the floors above skip).
  {
    server: "floor-legacy-resumable",
    entry: "floor.ts",
    args: ["--era", "legacy", "--resumable"],
    workloads: ["progress"],
    sessionful: true,
  },
  {
    server: "floor-legacy-sse-resumable",
    entry: "floor.ts",
    args: ["--era", "legacy", "--mode", "sse", "--resumable"],
    workloads: ["large", "large-1m"],
    sessionful: true,
    fullOnly: ["large-1m"],
  },
  // Peers (bench/servers/*.ts name their versions and wiring).
  {
    server: "mcp-lite",
    entry: "mcp_lite.ts",
    args: [],
    workloads: ["steady", "init"],
    sessionful: true,
  },
  {
    server: "mcp-lite-json",
    entry: "mcp_lite.ts",
    args: [],
    workloads: ["steady"],
    sessionful: true,
    accept: "json",
  },
  {
    server: "tmcp",
    entry: "tmcp.ts",
    args: [],
    workloads: ["steady", "init"],
    sessionful: true,
  },
  {
    server: "tmcp",
    entry: "tmcp.ts",
    args: [],
    workloads: ["stateless"],
    sessionful: true,
  },
  {
    server: "hono-mcp",
    entry: "hono_mcp.ts",
    args: [],
    workloads: ["steady", "init"],
    sessionful: true,
  },
  {
    server: "fastmcp",
    entry: "fastmcp.ts",
    args: [],
    workloads: ["steady", "init"],
    sessionful: true,
    initMinSlice: 3,
  },
];

/** The workloads `plan`'s process serves in this run (a smoke run drops its `fullOnly` ones). */
export function workloadsOf(plan: ProcessPlan, settings: { smoke: boolean }): Workload[] {
  return settings.smoke
    ? plan.workloads.filter((w) => !(plan.fullOnly ?? []).includes(w))
    : plan.workloads;
}

/** Memory and scaling phase: per server a few-sessions, a many-sessions (memory) and a scaled (timing) process. */
export const MEMORY_PLANS: readonly ProcessPlan[] = [
  {
    server: "tether",
    entry: "tether.ts",
    args: ["--max-sessions", "10000000"],
    workloads: ["memory"],
    sessionful: true,
  },
  {
    server: "sdk-json",
    entry: "sdk.ts",
    args: ["--mode", "json"],
    workloads: ["memory"],
    sessionful: true,
  },
];

/**
 * Concurrent-streams phase: a fresh process per server, the streams opened from the driver; the
 * ceiling is the bare server holding the same streams (the idle-stream target's yardstick), the
 * resumable legacy floor what a spec-complete server must do and keep per streamed call (its
 * checks, session, in-flight entry, schema, the tool awaited as it runs, each event kept).
 */
export const STREAM_PLANS: readonly ProcessPlan[] = [
  {
    server: "tether",
    entry: "tether.ts",
    args: [],
    workloads: ["streams"],
    sessionful: true,
  },
  {
    server: "sdk",
    entry: "sdk.ts",
    args: [],
    workloads: ["streams"],
    sessionful: true,
  },
  {
    server: "ceiling",
    entry: "ceiling.ts",
    args: [],
    workloads: ["streams"],
    sessionful: true,
  },
  {
    server: "floor-legacy-resumable",
    entry: "floor.ts",
    args: ["--era", "legacy", "--resumable"],
    workloads: ["streams"],
    sessionful: true,
  },
];

export interface Timing {
  /** Warm-up per server, seconds. */
  warmup: number;
  /** Rounds of interleaved slices. */
  rounds: number;
  /** Seconds per server per round. */
  slice: number;
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
   * Concurrent SSE streams: how many, how long each lasts, streams per session, and rounds (each
   * server once a round, in a fresh process; its row is the rounds' medians).
   */
  streams: { count: number; seconds: number; perSession: number; rounds: number };
  /** wrk where installed (and not overridden by --generator), else autocannon. */
  generator: Generator;
}

export const FULL: Omit<Settings, "generator"> = {
  smoke: false,
  connections: 32,
  pool: 64,
  steady: { warmup: 2, rounds: 8, slice: 0.6 },
  short: { warmup: 1, rounds: 6, slice: 0.5 },
  scale: { warmup: 1, rounds: 10, slice: 0.5 },
  wrk: {
    steady: { warmup: 2, rounds: 5, slice: 1 },
    short: { warmup: 1, rounds: 4, slice: 1 },
    scale: { warmup: 1, rounds: 6, slice: 1 },
  },
  pairs: { warmup: 0, rounds: 12, slice: 1 },
  heavyPairs: true,
  rechecks: 2,
  memoryBase: 100,
  memorySteps: [1_000, 10_000, 100_000],
  // 16 per session: under tether's default maxRequestsPerSession (64).
  streams: { count: 1_000, seconds: 10, perSession: 16, rounds: 3 },
};

export const SMOKE: Omit<Settings, "generator"> = {
  smoke: true,
  connections: 8,
  pool: 4,
  steady: { warmup: 0, rounds: 1, slice: 1 },
  short: { warmup: 0, rounds: 1, slice: 0.75 },
  scale: { warmup: 0, rounds: 1, slice: 0.75 },
  wrk: {
    steady: { warmup: 0, rounds: 1, slice: 1 },
    short: { warmup: 0, rounds: 1, slice: 1 },
    scale: { warmup: 0, rounds: 1, slice: 1 },
  },
  // One round: the smoke checks that a pair runs and answers right, not its ratio.
  pairs: { warmup: 0, rounds: 1, slice: 1 },
  heavyPairs: false,
  rechecks: 0,
  memoryBase: 10,
  memorySteps: [50, 200],
  streams: { count: 50, seconds: 3, perSession: 16, rounds: 1 },
};
