/**
 * The bench's plans: the workloads, the servers (tether, its peers, the floors) and which process
 * serves which workloads in each phase. Data only; the timings of a run are in settings.ts.
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
  /**
   * Workloads it serves only in a `--wide` run (and a smoke run, which checks every answer): rows
   * no target is judged on (where the difference goes: a floor ÷ the ceiling; tether ÷ SDK v1 for
   * the large results; the peers' session creation), left out of a full run to keep it within its
   * 30 minutes.
   */
  wideOnly?: Workload[];
  /**
   * Memory phase: the most sessions it grows to (the memory steps above are skipped), for a
   * server whose bytes per session are all the phase asks of it. @default the last memory step
   */
  memoryMax?: number;
  /** Memory phase: whether its scale pair (tools/call at the last step ÷ at the base) is timed. @default true */
  scalePair?: boolean;
}

/**
 * Throughput phase: all of a runtime's processes run side by side and are measured interleaved.
 * The stateless (2026-07-28) rows are each served by a process that has served nothing before,
 * like the floor's: a process that answered SSE progress streams or 256 KiB results serves later
 * requests slower on Bun and Deno (bench/notes/2026-11-24-gap-under-load.md, "A process's history"), so a server judged
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
    wideOnly: ["progress", "large", "large-1m", "init"],
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
    wideOnly: ["large", "large-1m"],
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
    wideOnly: ["large", "large-1m"],
  },
  {
    server: "sdk-json",
    entry: "sdk.ts",
    args: ["--mode", "json"],
    workloads: ["steady", "large", "large-1m", "init"],
    sessionful: true,
    fullOnly: ["large-1m"],
    wideOnly: ["large", "large-1m"],
  },
  {
    server: "sdk-v2",
    entry: "sdk_v2.ts",
    args: [],
    workloads: ["steady", "progress", "init"],
    sessionful: false,
    wideOnly: ["steady", "progress", "init"],
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
    wideOnly: ["init"],
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
    wideOnly: ["init"],
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
    wideOnly: ["init"],
  },
  {
    server: "fastmcp",
    entry: "fastmcp.ts",
    args: [],
    workloads: ["steady", "init"],
    sessionful: true,
    initMinSlice: 3,
    wideOnly: ["init"],
  },
];

/**
 * The workloads `plan`'s process serves in this run: a smoke run drops its `fullOnly` ones, a run
 * that is not `wide` its `wideOnly` ones.
 */
export function workloadsOf(
  plan: ProcessPlan,
  settings: { smoke: boolean; wide: boolean },
): Workload[] {
  return plan.workloads.filter((w) =>
    !(settings.smoke && (plan.fullOnly ?? []).includes(w)) &&
    !(!settings.wide && (plan.wideOnly ?? []).includes(w))
  );
}

/**
 * Memory and scaling phase: per server a few-sessions, a many-sessions (memory) and a scaled
 * (timing) process. SDK v1 is the idle-heap yardstick only (no target is judged on its scaling):
 * it grows to 10,000 sessions, not 100,000 (its bytes per session are flat past a few thousand, and
 * its 100,000 sessions, about 4 GiB of heap, took minutes a runtime to make, twice), and no scale
 * pair of it is timed.
 */
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
    memoryMax: 10_000,
    scalePair: false,
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
