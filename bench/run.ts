/**
 * The benchmark harness. One Node driver starts every server of every
 * runtime as a child process on 127.0.0.1 (ports 18801-18899), pre-creates
 * sessions, drives it and prints one set of tables; a full run also
 * regenerates bench/RESULTS.md and the performance table of docs/performance.md.
 * Single-request workloads and session creation are driven with wrk
 * (bench/lib/wrk.ts) where it is installed, MRTR rounds and everything when
 * wrk is missing with autocannon 9 (bench/lib/load.ts); every row names its
 * generator. Peers (mcp-lite, tmcp, @hono/mcp, fastmcp, SDK v1 and v2) and
 * the floors run beside tether; per server CPU-second is the primary figure.
 *
 *   npm run bench           (node_modules/node24/bin/node bench/run.ts)          full run (~20 min on 2 cores), writes bench/RESULTS.md and docs/performance.md's table
 *   npm run bench:smoke     (node_modules/node24/bin/node bench/run.ts --smoke)  CI smoke (~3 min), exits 1 on any wrong answer
 *   options: --runtime deno,bun,node   --only steady,progress,large,init,stateless,mrtr,memory,streams,<server key>,...
 *            --generator wrk|autocannon (default: wrk where installed)   --out FILE
 *
 * See bench/README.md for what each workload does.
 */

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import os from "node:os";
import { join, relative, resolve } from "node:path";
import { type LoadResult, measureInterleaved, median, type RequestTemplate } from "./lib/load.ts";
import { openStreams } from "./lib/streams.ts";
import { probeRefusals, refusalTable, type ServerRefusals } from "./lib/refusals.ts";
import { measureWithWrk, wrkBinary, type WrkTraffic, wrkVersion } from "./lib/wrk.ts";
import {
  allocatePort,
  BINARIES,
  cpuSeconds,
  ROOT,
  type Runtime,
  RUNTIMES,
  type ServerProcess,
  startServer,
} from "./lib/proc.ts";
import {
  confirmCallBody,
  ECHO_CHECK,
  echoCallBody,
  ID_SLOT,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  isEchoResult,
  isLargeResult,
  isModernEchoResult,
  isProgressResult,
  LARGE_CHECK,
  largeCallBody,
  MCP_PATH,
  MODERN_ECHO_CHECK,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
  PROGRESS_CHECK,
  progressCallBody,
  PROTOCOL_VERSION,
  requestStateOf,
} from "./lib/protocol.ts";

// ---------------------------------------------------------------- settings

type Workload =
  | "steady"
  | "progress"
  | "large"
  | "init"
  | "stateless"
  | "mrtr"
  | "memory"
  | "streams";
const WORKLOADS: readonly Workload[] = [
  "steady",
  "progress",
  "large",
  "init",
  "stateless",
  "mrtr",
  "memory",
  "streams",
];

type ServerKey =
  | "ceiling"
  | "ceiling-sse"
  | "tether"
  | "tether-sse"
  | "sdk"
  | "sdk-json"
  | "sdk-v2"
  | "floor"
  | "floor-legacy"
  | "mcp-lite"
  | "mcp-lite-json"
  | "tmcp"
  | "hono-mcp"
  | "fastmcp";

const SERVER_LABELS: Record<ServerKey, string> = {
  ceiling: "ceiling (bare fetch handler)",
  "ceiling-sse": "ceiling (bare fetch handler, SSE answer)",
  tether: "tether (default: auto → JSON)",
  "tether-sse": "tether (responseMode sse)",
  sdk: "SDK v1 (default: SSE)",
  "sdk-json": "SDK v1 (enableJsonResponse)",
  "sdk-v2": "SDK v2 createMcpHandler (stateless)",
  floor: "floor (the checks, one function)",
  "floor-legacy": "legacy floor (the checks + session, one function)",
  "mcp-lite": "mcp-lite 0.10 (sessions; SSE, as clients call it)",
  "mcp-lite-json": "mcp-lite 0.10 (sessions; JSON: Accept application/json only)",
  tmcp: "tmcp 1.20 (transport-http 0.9; SSE)",
  "hono-mcp": "@hono/mcp 0.3.2 (SDK v1 server; SSE)",
  fastmcp: "fastmcp 4.20 (httpStream; SSE)",
};

/** The peers (libraries a user could pick instead), for the "fastest peer" targets. */
const PEERS: readonly ServerKey[] = [
  "mcp-lite",
  "mcp-lite-json",
  "tmcp",
  "hono-mcp",
  "fastmcp",
  "sdk",
  "sdk-json",
  "sdk-v2",
];

/** One server process of the throughput phase and the workloads it serves. */
interface ProcessPlan {
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
}

/**
 * Throughput phase: all of a runtime's processes run side by side and are measured interleaved.
 * The stateless (2026-07-28) rows are each served by a process that has served nothing before,
 * like the floor's: a process that answered SSE progress streams or 256 KiB results serves later
 * requests slower on Bun and Deno (bench/README.md, "A process's history"), so a server judged
 * against the floor or a peer there is not handicapped by the workloads it ran earlier.
 */
const PLANS: readonly ProcessPlan[] = [
  {
    server: "ceiling",
    entry: "ceiling.ts",
    args: [],
    workloads: ["steady", "progress", "large", "init"],
    sessionful: true,
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
    workloads: ["large"],
    sessionful: true,
  },
  {
    server: "tether",
    entry: "tether.ts",
    args: [],
    workloads: ["steady", "progress", "large"],
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
    workloads: ["steady", "large"],
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
    workloads: ["steady", "progress", "large", "init"],
    sessionful: true,
  },
  {
    server: "sdk-json",
    entry: "sdk.ts",
    args: ["--mode", "json"],
    workloads: ["steady", "large", "init"],
    sessionful: true,
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
  {
    server: "floor-legacy",
    entry: "floor.ts",
    args: ["--era", "legacy"],
    workloads: ["steady"],
    sessionful: true,
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

/** Memory and scaling phase: per server a few-sessions, a many-sessions (memory) and a scaled (timing) process. */
const MEMORY_PLANS: readonly ProcessPlan[] = [
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

/** Concurrent-streams phase: a fresh process per server, the streams opened from the driver. */
const STREAM_PLANS: readonly ProcessPlan[] = [
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
];

interface Timing {
  /** Warm-up per server, seconds. */
  warmup: number;
  /** Rounds of interleaved slices. */
  rounds: number;
  /** Seconds per server per round. */
  slice: number;
}

/** Which timing of {@linkcode Settings} a measurement uses. */
type TimingKind = "steady" | "short" | "scale";

/** The load generator of a measurement. */
type Generator = "wrk" | "autocannon";

interface Settings {
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
  memoryBase: number;
  memorySteps: number[];
  /** Concurrent SSE streams: how many, how long each lasts, streams per session. */
  streams: { count: number; seconds: number; perSession: number };
  /** wrk where installed (and not overridden by --generator), else autocannon. */
  generator: Generator;
}

const FULL: Omit<Settings, "generator"> = {
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
  memoryBase: 100,
  memorySteps: [1_000, 10_000, 100_000],
  // 16 per session: under tether's default maxRequestsPerSession (64).
  streams: { count: 1_000, seconds: 10, perSession: 16 },
};

const SMOKE: Omit<Settings, "generator"> = {
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
  pairs: { warmup: 0, rounds: 2, slice: 1 },
  memoryBase: 10,
  memorySteps: [50, 200],
  streams: { count: 50, seconds: 3, perSession: 16 },
};

// ---------------------------------------------------------------- CLI

function parseCli(argv: string[]) {
  let smoke = false;
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
        "usage: node_modules/node24/bin/node bench/run.ts [--smoke] [--runtime deno,bun,node] [--only steady,progress,large,init,stateless,mrtr,memory,streams,<server>] [--generator wrk|autocannon] [--out FILE]",
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
    generator,
    runtimes,
    onlyWorkloads,
    onlyServers,
    out: out ?? (complete ? "bench/RESULTS.md" : undefined),
  };
}

// ---------------------------------------------------------------- results

interface LoadRow {
  runtime: Runtime;
  workload: Exclude<Workload, "memory" | "streams"> | "scale";
  server: ServerKey;
  /** For scaling rows: live sessions. */
  sessions?: number;
  result: LoadResult;
  /** The load generator that produced the figures. */
  generator: Generator;
}

interface MemoryRow {
  runtime: Runtime;
  server: ServerKey;
  sessions: number;
  rssPerSession: number;
  heapPerSession: number;
  /** Sessions created per second by the in-process admin route for this step. */
  createRate: number;
  gc: boolean;
}

/** One server's figures of the concurrent-streams phase. */
interface StreamRow {
  runtime: Runtime;
  server: ServerKey;
  streams: number;
  seconds: number;
  /** Seconds until every stream had its first event. */
  openSeconds: number;
  /** Memory Δ per stream while all are open, from a baseline before (forced GC both times). */
  rssPerStream: number;
  heapPerStream: number;
  /** RSS and heap Δ per stream once all have ended. */
  rssAfterPerStream: number;
  heapAfterPerStream: number;
  /** Server CPU-seconds per stream per second of holding them all open. */
  cpuPerStreamSecond: number;
  /** Server CPU in cores over that window. */
  serverCores: number;
  /** Seconds of the CPU window. */
  window: number;
  ok: number;
  bad: number;
  errors: number;
}

/**
 * A target pair of one workload measured on its own, in adjacent slices
 * (see {@linkcode pairedRuns}); `results` are a's and b's, slice by slice.
 */
interface PairRow {
  runtime: Runtime;
  workload: LoadRow["workload"];
  a: ServerKey;
  b: ServerKey;
  results: [LoadResult, LoadResult];
}

const loadRows: LoadRow[] = [];
const pairRows: PairRow[] = [];
/** What each server of the steady workload answered to the requests the spec says to refuse. */
const refusalRows: { runtime: Runtime; server: ServerKey; refusals: ServerRefusals }[] = [];
const streamRows: StreamRow[] = [];
const memoryRows: MemoryRow[] = [];
const failures: string[] = [];
const versions = new Map<Runtime, string>();
const commands = new Map<Runtime, string>();

function fail(message: string): void {
  failures.push(message);
  console.error(`FAIL ${message}`);
}

// ---------------------------------------------------------------- traffic

let seq = 0;
const T0 = performance.now();
function elapsed(): string {
  return `[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s]`;
}

function sessionHeaders(
  pool: readonly string[],
  base: Readonly<Record<string, string>> = POST_HEADERS,
): Record<string, string>[] {
  if (pool.length === 0) return [{ ...base }];
  return pool.map((id) => ({ ...base, "mcp-session-id": id }));
}

/**
 * What one target is driven with: the autocannon sequence and, for a
 * single-request workload, the same traffic as wrk sends it (wrk.ts).
 */
interface Traffic {
  sequence: RequestTemplate[];
  wrk?: WrkTraffic;
}

/** tools/call echo with a unique id, session rotated across the pool. */
function echoTraffic(pool: readonly string[], headers = POST_HEADERS): Traffic {
  return {
    sequence: [pooledTemplate(pool, echoCallBody, isEchoResult, headers)],
    wrk: { headers, sessions: pool, body: echoCallBody(ID_SLOT), check: ECHO_CHECK },
  };
}

/** POST headers whose Accept names application/json only (mcp-lite's JSON path). */
const JSON_ONLY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...POST_HEADERS,
  accept: "application/json",
});

/**
 * initialize, then notifications/initialized with the issued session id
 * (wrk and autocannon), the latter carrying the `version` the server
 * negotiated, as a client does.
 */
function initTraffic(sessionful: boolean, version: string, minSlice?: number): Traffic {
  const followHeaders = withVersion(POST_HEADERS, version);
  return {
    sequence: initSequence(sessionful, followHeaders),
    wrk: {
      headers: INIT_HEADERS,
      sessions: [],
      body: initializeBody(ID_SLOT),
      check: { contains: ['"protocolVersion"'] },
      init: { sessionful, followBody: INITIALIZED_BODY, followHeaders },
      minSlice,
    },
  };
}

/** `headers` with MCP-Protocol-Version set to `version` (what the server negotiated). */
function withVersion(
  headers: Readonly<Record<string, string>>,
  version: string,
): Readonly<Record<string, string>> {
  return headers["mcp-protocol-version"] === version
    ? headers
    : { ...headers, "mcp-protocol-version": version };
}

/** The protocolVersion of an InitializeResult body (JSON or SSE). */
function protocolVersionOf(body: string): string | undefined {
  return /"protocolVersion":"([^"]+)"/.exec(body)?.[1];
}

/** tools/call of the progress tool (100 notifications, then the result). */
function progressTraffic(pool: readonly string[]): Traffic {
  return {
    sequence: [progressTemplate(pool)],
    wrk: {
      headers: POST_HEADERS,
      sessions: pool,
      body: progressCallBody(ID_SLOT),
      check: PROGRESS_CHECK,
    },
  };
}

/** tools/call of the large tool (a 256 KiB text result), session rotated across the pool. */
function largeTraffic(pool: readonly string[]): Traffic {
  return {
    sequence: [pooledTemplate(pool, largeCallBody, isLargeResult)],
    wrk: {
      headers: POST_HEADERS,
      sessions: pool,
      body: largeCallBody(ID_SLOT),
      check: LARGE_CHECK,
    },
  };
}

/** A 2026-07-28 (stateless) tools/call of the echo tool. */
function statelessTraffic(): Traffic {
  return {
    sequence: [statelessTemplate()],
    wrk: {
      headers: modernCallHeaders("echo"),
      sessions: [],
      body: modernEchoCallBody(ID_SLOT),
      check: MODERN_ECHO_CHECK,
    },
  };
}

/** One request shape with a unique id, session rotated across the pool (autocannon). */
function pooledTemplate(
  pool: readonly string[],
  body: (id: number) => string,
  isRight: (body: string, id: number) => boolean,
  base = POST_HEADERS,
): RequestTemplate {
  const headers = sessionHeaders(pool, base);
  return {
    setup(ctx) {
      const id = ++seq;
      ctx.id = id;
      return { body: body(id), headers: headers[id % headers.length] };
    },
    check: (status, text, _headers, ctx) => status === 200 && isRight(text, ctx.id as number),
  };
}

/** tools/call echo with a unique id, session rotated across the pool (autocannon). */
function echoTemplate(pool: readonly string[]): RequestTemplate {
  return pooledTemplate(pool, echoCallBody, isEchoResult);
}

/** tools/call of the progress tool (100 notifications, then the result; autocannon). */
function progressTemplate(pool: readonly string[]): RequestTemplate {
  return pooledTemplate(pool, progressCallBody, isProgressResult);
}

/** A 2026-07-28 (stateless) tools/call of the echo tool: no session, the envelope in _meta. */
function statelessTemplate(): RequestTemplate {
  const headers = modernCallHeaders("echo");
  return {
    setup(ctx) {
      const id = ++seq;
      ctx.id = id;
      return { body: modernEchoCallBody(id), headers };
    },
    check: (status, body, _headers, ctx) =>
      status === 200 && isModernEchoResult(body, ctx.id as number),
  };
}

/** One multi-round-trip call (2026-07-28): input_required with a sealed state, then the retry with the answer. */
function mrtrSequence(): RequestTemplate[] {
  const headers = modernCallHeaders("confirm");
  return [
    {
      setup: () => ({ body: confirmCallBody(++seq), headers }),
      check(status, body, _headers, ctx) {
        ctx.requestState = requestStateOf(body);
        return status === 200 && ctx.requestState !== undefined;
      },
    },
    {
      setup: (ctx) => ({
        body: confirmCallBody(++seq, { requestState: ctx.requestState as string }),
        headers,
      }),
      check: (status, body) =>
        status === 200 && body.includes(`"text":"confirmed"`) &&
        body.includes(`"resultType":"complete"`),
    },
  ];
}

/** initialize, then notifications/initialized with the issued session id. */
function initSequence(
  sessionful: boolean,
  followHeaders: Readonly<Record<string, string>>,
): RequestTemplate[] {
  return [
    {
      setup: () => ({
        body: initializeBody(++seq),
        headers: INIT_HEADERS as Record<string, string>,
      }),
      check(status, body, headers, ctx) {
        ctx.sessionId = headers["mcp-session-id"];
        return status === 200 && body.includes('"protocolVersion"') &&
          (!sessionful || ctx.sessionId !== undefined);
      },
    },
    {
      setup: (ctx) => ({
        body: INITIALIZED_BODY,
        headers: ctx.sessionId === undefined
          ? { ...followHeaders }
          : { ...followHeaders, "mcp-session-id": ctx.sessionId as string },
      }),
      check: (status) => status === 202,
    },
  ];
}

/**
 * Creates `n` sessions over HTTP (initialize + initialized), 16 at a time;
 * their ids and the protocol version the server negotiated (which the
 * client then sends as MCP-Protocol-Version: mcp-lite 0.10 answers
 * 2025-03-26 to a 2025-11-25 client).
 */
async function createSessionsOverHttp(
  base: string,
  n: number,
  sessionful: boolean,
): Promise<{ ids: string[]; version: string }> {
  const ids: string[] = [];
  let version = PROTOCOL_VERSION;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const init = await fetch(base + MCP_PATH, {
        method: "POST",
        headers: INIT_HEADERS,
        body: initializeBody(++seq),
      });
      const text = await init.text();
      const id = init.headers.get("mcp-session-id");
      if (
        init.status !== 200 || !text.includes('"protocolVersion"') || (sessionful && id === null)
      ) {
        throw new Error(`initialize answered ${init.status}: ${text.slice(0, 200)}`);
      }
      version = protocolVersionOf(text) ?? version;
      const headers: Record<string, string> = { ...withVersion(POST_HEADERS, version) };
      if (id !== null) headers["mcp-session-id"] = id;
      const note = await fetch(base + MCP_PATH, {
        method: "POST",
        headers,
        body: INITIALIZED_BODY,
      });
      await note.text();
      if (note.status !== 202) throw new Error(`notifications/initialized answered ${note.status}`);
      if (id !== null) ids.push(id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, n) }, worker));
  return { ids, version };
}

/** One request checked outside the load generator, for a readable error before a run. */
async function probe(base: string, template: RequestTemplate): Promise<void> {
  const ctx: Record<string, unknown> = {};
  const { body, headers } = template.setup(ctx);
  const response = await fetch(base + MCP_PATH, { method: "POST", headers, body });
  const text = await response.text();
  const lower: Record<string, string> = {};
  response.headers.forEach((v, k) => (lower[k] = v));
  if (!template.check(response.status, text, lower, ctx)) {
    throw new Error(`probe got a wrong answer: status ${response.status}: ${text.slice(0, 300)}`);
  }
}

interface MemoryReport {
  rss: number;
  heapUsed: number;
  sessions: number | null;
  gc: boolean;
}

async function adminMemory(base: string): Promise<MemoryReport> {
  const response = await fetch(base + "/__bench/mem");
  if (response.status !== 200) throw new Error(`/__bench/mem answered ${response.status}`);
  return await response.json() as MemoryReport;
}

async function adminCreate(base: string, n: number): Promise<{ ids: string[]; ms: number }> {
  const response = await fetch(`${base}/__bench/sessions?n=${n}&ids=1`, { method: "POST" });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`/__bench/sessions answered ${response.status}: ${text.slice(0, 300)}`);
  }
  const ids = text === "" ? [] : text.split("\n");
  if (ids.length !== n) throw new Error(`/__bench/sessions created ${ids.length} of ${n} sessions`);
  return { ids, ms: Number(response.headers.get("x-ms")) };
}

// ---------------------------------------------------------------- workloads

function check(label: string, result: LoadResult, server: ServerProcess): void {
  const problems: string[] = [];
  if (result.ok === 0) problems.push("no correct response");
  if (result.bad > 0) problems.push(`${result.bad} wrong responses (first: ${result.badSample})`);
  if (result.errors > 0) problems.push(`${result.errors} connection errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  if (server.exited()) problems.push(`server exited: ${server.stderr().slice(-500)}`);
  if (problems.length > 0) fail(`${label}: ${problems.join("; ")}`);
}

/**
 * Above this many cores the load generator is taken to be the bottleneck: wrk
 * runs one thread, autocannon runs on the driver's main thread, so neither
 * can use more than one core.
 */
const GENERATOR_BOUND_CORES = 0.85;

/** Whether the load generator, not the server, limited `result`. */
function generatorBound(result: LoadResult): boolean {
  return result.generatorCores >= GENERATOR_BOUND_CORES;
}

/** The load generator's share of the CPU the server and it used together, e.g. "18%". */
function generatorShare(result: LoadResult): string {
  const total = result.generatorCores + result.serverCores;
  return total > 0 ? `${Math.round((100 * result.generatorCores) / total)}%` : "n/a";
}

function logLoad(row: LoadRow): void {
  const r = row.result;
  const what = row.workload === "scale" ? `scale@${row.sessions}` : row.workload;
  console.log(
    `${elapsed()} ${row.runtime.padEnd(4)} ${what.padEnd(12)} ${row.server.padEnd(10)} ${
      fmtInt(r.okPerSecond).padStart(7)
    }/s` +
      `  p50 ${fmtMs(r.p50)}  p99 ${fmtMs(r.p99)}  ${fmtInt(r.okPerCpuSecond)}/cpu-s  srv ${
        r.serverCores.toFixed(2)
      } cores` +
      `  ${row.generator} ${r.generatorCores.toFixed(2)} cores (${generatorShare(r)})${
        generatorBound(r) ? "  GENERATOR-BOUND" : ""
      }${r.bad + r.errors > 0 ? `  BAD ${r.bad} ERR ${r.errors}` : ""}`,
  );
}

interface Running {
  plan: ProcessPlan;
  server: ServerProcess;
  base: string;
}

async function start(
  runtime: Runtime,
  plan: ProcessPlan,
  bigHeap = false,
): Promise<Running | undefined> {
  try {
    const server = await startServer(runtime, join("bench/servers", plan.entry), plan.args, {
      port: allocatePort(),
      bigHeap,
    });
    console.log(
      `${elapsed()} ${runtime} ${plan.server} ${
        plan.args.join(" ")
      } ready on :${server.port} (pid ${server.pid})`,
    );
    versions.set(runtime, server.version);
    if (!commands.has(runtime)) commands.set(runtime, server.command);
    return { plan, server, base: `http://127.0.0.1:${server.port}` };
  } catch (error) {
    fail(`${runtime} ${plan.server}: ${String(error)}`);
    return undefined;
  }
}

/** One measured target of an interleaved run. */
interface Entry {
  running: Running;
  row: Omit<LoadRow, "result" | "generator">;
  traffic: Traffic;
}

/**
 * Measures the entries side by side (interleaved slices), records and checks
 * the rows. wrk drives them when it is the chosen generator and every entry
 * is a single-request workload; autocannon otherwise.
 */
async function interleaved(entries: Entry[], kind: TimingKind, settings: Settings): Promise<void> {
  if (entries.length === 0) return;
  const generator: Generator =
    settings.generator === "wrk" && entries.every((e) => e.traffic.wrk !== undefined)
      ? "wrk"
      : "autocannon";
  const onError = (i: number, error: unknown) =>
    fail(`${label(entries[i].row)}: ${generator} run failed: ${String(error)}`);
  const results = generator === "wrk"
    ? await measureWithWrk(
      entries.map((e) => wrkTarget(e, settings)),
      settings.wrk[kind],
      onError,
    )
    : await measureInterleaved(
      entries.map((e) => ({
        port: e.running.server.port,
        pid: e.running.server.pid,
        path: MCP_PATH,
        sequence: e.traffic.sequence,
        connections: settings.connections,
      })),
      settings[kind],
      onError,
    );
  entries.forEach((entry, i) => {
    const row: LoadRow = { ...entry.row, result: results[i], generator };
    loadRows.push(row);
    logLoad(row);
    check(label(entry.row), results[i], entry.running.server);
  });
}

/** What wrk drives for an entry whose traffic it can send. */
function wrkTarget(entry: Entry, settings: Settings) {
  return {
    port: entry.running.server.port,
    pid: entry.running.server.pid,
    path: MCP_PATH,
    connections: settings.connections,
    ...entry.traffic.wrk!,
  };
}

/**
 * The target pairs of a workload judged by a ratio near its threshold:
 * tether against its floor and against the fastest peer (by the rows just
 * measured side by side with every server); and, sessionful, the legacy
 * floor against that peer: the bound on tether's ratio to it (tether makes
 * every check the floor makes, and more).
 */
function closePairs(runtime: Runtime, workload: "steady" | "stateless"): [ServerKey, ServerKey][] {
  const floor = workload === "steady" ? "floor-legacy" : "floor";
  const pairs: [ServerKey, ServerKey][] = [["tether", floor]];
  const peer = fastestPeerOf(runtime, workload);
  if (peer !== undefined) pairs.push(["tether", peer]);
  if (peer !== undefined && workload === "steady") pairs.push([floor, peer]);
  return pairs;
}

/** The peer whose row of `workload` has the most answers per server CPU-second. */
function fastestPeerOf(runtime: Runtime, workload: LoadRow["workload"]): ServerKey | undefined {
  let best: LoadRow | undefined;
  for (const peer of PEERS) {
    const row = findRow(runtime, workload, peer);
    if (row === undefined || !Number.isFinite(row.result.okPerCpuSecond)) continue;
    if (best === undefined || row.result.okPerCpuSecond > best.result.okPerCpuSecond) best = row;
  }
  return best?.server;
}

/**
 * Measures each of the workload's close target pairs again, the two servers
 * alone in adjacent slices (a b, b a, a b, …). Side by side with a dozen
 * servers, a pair's slices of one round are up to a dozen seconds apart, and
 * on a shared host one server's rate moves by half within a minute (a
 * neighbour's load, the clock): adjacent slices share most of that drift,
 * so the median of their per-round ratios is the pair's figure.
 */
async function pairedRuns(
  entries: Entry[],
  workload: "steady" | "stateless",
  settings: Settings,
): Promise<void> {
  if (settings.generator !== "wrk" || entries.length === 0) return;
  const runtime = entries[0].row.runtime;
  for (const [a, b] of closePairs(runtime, workload)) {
    const x = entries.find((e) => e.row.server === a);
    const y = entries.find((e) => e.row.server === b);
    if (x?.traffic.wrk === undefined || y?.traffic.wrk === undefined) continue;
    const [ra, rb] = await measureWithWrk(
      [wrkTarget(x, settings), wrkTarget(y, settings)],
      settings.pairs,
      (i, error) => fail(`${label(i === 0 ? x.row : y.row)} (paired): wrk run failed: ${error}`),
    );
    check(`${label(x.row)} (paired)`, ra, x.running.server);
    check(`${label(y.row)} (paired)`, rb, y.running.server);
    const row: PairRow = { runtime, workload, a, b, results: [ra, rb] };
    pairRows.push(row);
    const ratios = perRoundRatios(ra, rb, true);
    if (ratios.length === 0) continue; // a failed run, reported above
    console.log(
      `${elapsed()} ${runtime.padEnd(4)} paired       ${a} ÷ ${b}: ${
        fmtRatio(median(ratios))
      } per CPU-s (${roundsSummary(ratios)})`,
    );
  }
}

function label(row: Omit<LoadRow, "result" | "generator">): string {
  return `${row.runtime} ${
    row.workload === "scale" ? `scale@${row.sessions}` : row.workload
  } ${row.server}`;
}

/** Throughput phase of one runtime: steady, progress, init, each measured interleaved across servers. */
async function throughputPhase(
  runtime: Runtime,
  workloads: Workload[],
  servers: ServerKey[],
  settings: Settings,
) {
  const plans = PLANS.filter((p) =>
    (servers.length === 0 || servers.includes(p.server)) &&
    p.workloads.some((w) => workloads.includes(w))
  );
  const running: Running[] = [];
  for (const plan of plans) {
    const r = await start(runtime, plan);
    if (r !== undefined) running.push(r);
  }
  try {
    for (const workload of ["steady", "progress", "large", "init", "stateless", "mrtr"] as const) {
      if (!workloads.includes(workload)) continue;
      const entries: Entry[] = [];
      for (const r of running.filter((r) => r.plan.workloads.includes(workload))) {
        const row = { runtime, workload, server: r.plan.server };
        try {
          let traffic: Traffic;
          if (workload === "init") {
            const { version } = await createSessionsOverHttp(r.base, 1, r.plan.sessionful);
            traffic = initTraffic(r.plan.sessionful, version, r.plan.initMinSlice);
          } else if (workload === "stateless") {
            traffic = statelessTraffic();
          } else if (workload === "mrtr") {
            traffic = { sequence: mrtrSequence() };
          } else {
            const { ids: pool, version } = await createSessionsOverHttp(
              r.base,
              settings.pool,
              r.plan.sessionful,
            );
            const headers = r.plan.accept === "json" ? JSON_ONLY_HEADERS : POST_HEADERS;
            traffic = workload === "steady"
              ? echoTraffic(pool, withVersion(headers, version))
              : workload === "large"
              ? largeTraffic(pool)
              : progressTraffic(pool);
          }
          await probe(r.base, traffic.sequence[0]);
          entries.push({ running: r, row, traffic });
        } catch (error) {
          fail(`${label(row)}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (workload === "steady" || workload === "stateless") {
        await interleaved(entries, "steady", settings);
        await pairedRuns(entries, workload, settings);
      } else {
        await interleaved(entries, "short", settings);
      }
    }
    // After every timed run: the probes open sessions and send an 8 MiB body.
    if (workloads.includes("steady")) await probeRefusalsOf(runtime, running);
  } finally {
    await Promise.all(running.map((r) => r.server.stop()));
  }
}

/** The refusal probes (bench/lib/refusals.ts) of each running server of the steady workload. */
async function probeRefusalsOf(runtime: Runtime, running: readonly Running[]): Promise<void> {
  for (const r of running.filter((r) => r.plan.workloads.includes("steady"))) {
    const accept = r.plan.accept === "json" ? JSON_ONLY_HEADERS.accept : POST_HEADERS.accept;
    let refusals: ServerRefusals;
    try {
      refusals = await probeRefusals(r.server.port, accept);
    } catch (error) {
      // A failure of the probes is reported like any other, without ending the run's figures.
      fail(`${runtime} ${r.plan.server}: the refusal probes failed: ${String(error)}`);
      continue;
    }
    refusalRows.push({ runtime, server: r.plan.server, refusals });
    const summary = refusals.outcomes.map((o) => `${o.probe} ${o.answer}`).join(", ");
    console.log(
      `${elapsed()} ${runtime.padEnd(4)} refusals     ${r.plan.server}: control ${
        refusals.control ? "ok" : "FAILED"
      }; ${summary}`,
    );
    if (!refusals.control) {
      fail(`${runtime} ${r.plan.server}: the refusal probes' control call failed`);
    }
  }
}

/** Drives one server for about a second, figures discarded (so compiled code is in a baseline). */
async function warm(running: Running, traffic: Traffic, settings: Settings): Promise<void> {
  const target = {
    port: running.server.port,
    pid: running.server.pid,
    path: MCP_PATH,
    connections: settings.connections,
  };
  const once = { warmup: 0, rounds: 1, slice: 1 };
  const onError = (_: number, error: unknown) => {
    throw error;
  };
  if (settings.generator === "wrk" && traffic.wrk !== undefined) {
    await measureWithWrk([{ ...target, ...traffic.wrk }], once, onError);
  } else {
    await measureInterleaved([{ ...target, sequence: traffic.sequence }], once, onError);
  }
}

/**
 * Memory and scaling phase of one runtime, per server: a "few" process keeps
 * `memoryBase` sessions; a "many" process grows to each memory step (memory
 * read after forced GC at each), then both are measured interleaved with
 * tools/call rotated across all of their sessions.
 */
async function memoryPhase(runtime: Runtime, servers: ServerKey[], settings: Settings) {
  for (const plan of MEMORY_PLANS) {
    if (servers.length > 0 && !servers.includes(plan.server)) continue;
    const few = await start(runtime, plan, true);
    const many = few && await start(runtime, plan, true);
    let scaled: Running | undefined;
    try {
      if (few === undefined || many === undefined) continue;
      const fewIds = (await adminCreate(few.base, settings.memoryBase)).ids;
      let ids = (await adminCreate(many.base, settings.memoryBase)).ids;
      await probe(few.base, echoTemplate(fewIds));
      await probe(many.base, echoTemplate(ids));
      // Warm the "many" process the same way before its baseline, so compiled code is not counted per session.
      await warm(many, echoTraffic(ids), settings);
      const baseline = await adminMemory(many.base);
      for (const step of settings.memorySteps) {
        const created = await adminCreate(many.base, step - ids.length);
        ids = ids.concat(created.ids);
        const m = await adminMemory(many.base);
        if (m.sessions !== null && m.sessions !== ids.length) {
          fail(
            `${runtime} memory ${plan.server}: server reports ${m.sessions} sessions, expected ${ids.length}`,
          );
        }
        const n = ids.length - settings.memoryBase;
        const row: MemoryRow = {
          runtime,
          server: plan.server,
          sessions: ids.length,
          rssPerSession: (m.rss - baseline.rss) / n,
          heapPerSession: (m.heapUsed - baseline.heapUsed) / n,
          createRate: created.ids.length / (created.ms / 1000),
          gc: m.gc,
        };
        memoryRows.push(row);
        console.log(
          `${elapsed()} ${runtime.padEnd(4)} memory       ${plan.server.padEnd(10)} ${
            String(ids.length).padStart(7)
          } sessions` +
            `  rss ${fmtInt(row.rssPerSession)} B/session  heap ${
              fmtInt(row.heapPerSession)
            } B/session` +
            `  created in-process at ${fmtInt(row.createRate)}/s`,
        );
      }
      // The scale pair is timed on a third process, grown the same way but never made to
      // collect garbage: a forced gc() can leave Node's own process.nextTick on a slow path
      // for the rest of the process (bench/README.md, "Forced GC and the scale pair"), and
      // the few process is never forced either.
      await many.server.stop();
      scaled = await start(runtime, plan, true);
      if (scaled === undefined) continue;
      let scaledIds = (await adminCreate(scaled.base, settings.memoryBase)).ids;
      await probe(scaled.base, echoTemplate(scaledIds));
      scaledIds = scaledIds.concat(
        (await adminCreate(scaled.base, ids.length - scaledIds.length)).ids,
      );
      await interleaved(
        [
          {
            running: few,
            row: { runtime, workload: "scale", server: plan.server, sessions: fewIds.length },
            traffic: echoTraffic(fewIds),
          },
          {
            running: scaled,
            row: { runtime, workload: "scale", server: plan.server, sessions: scaledIds.length },
            traffic: echoTraffic(scaledIds),
          },
        ],
        "scale",
        settings,
      );
    } catch (error) {
      fail(
        `${runtime} memory ${plan.server}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    } finally {
      await Promise.all([few?.server.stop(), many?.server.stop(), scaled?.server.stop()]);
    }
  }
}

/**
 * Concurrent-streams phase of one runtime, per server: a fresh process gets
 * its sessions and a short warm-up batch, then a memory baseline (forced GC);
 * `streams.count` ticker calls are opened at once from the driver. Server CPU
 * is read over the window in which all are open, memory (forced GC) at its
 * end while they still are, and again once all have ended.
 */
async function streamsPhase(runtime: Runtime, servers: ServerKey[], settings: Settings) {
  const { count, seconds, perSession } = settings.streams;
  for (const plan of STREAM_PLANS) {
    if (servers.length > 0 && !servers.includes(plan.server)) continue;
    const running = await start(runtime, plan);
    if (running === undefined) continue;
    const what = `${runtime} streams ${plan.server}`;
    try {
      const { ids: sessions } = await createSessionsOverHttp(
        running.base,
        Math.ceil(count / perSession),
        plan.sessionful,
      );
      const open = (streams: number, length: number) => {
        const firstId = seq + 1;
        seq += streams;
        return openStreams({ base: running.base, sessions, streams, seconds: length, firstId });
      };
      const warmup = await open(Math.min(count, 50), 2).finished;
      if (warmup.ok !== Math.min(count, 50)) {
        throw new Error(
          `warm-up: ${warmup.bad} wrong, ${warmup.errors} failed (first: ${warmup.badSample})`,
        );
      }
      const before = await adminMemory(running.base);
      const started = performance.now();
      const streams = open(count, seconds);
      const openSeconds = await streams.opened;
      const cpuOpen = cpuSeconds(running.server.pid);
      const windowStart = performance.now();
      // Hold until 1.5 s before the first stream ends, leaving time to read memory while all are open.
      const windowEnd = started + (seconds - 1.5) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowEnd - windowStart)));
      const cpu = cpuSeconds(running.server.pid) - cpuOpen;
      const window = (performance.now() - windowStart) / 1000;
      const during = await adminMemory(running.base);
      const readAt = (performance.now() - started) / 1000;
      const outcome = await streams.finished;
      const after = await adminMemory(running.base);
      if (window < 0.5 || readAt >= seconds) {
        fail(
          `${what}: the streams took ${
            openSeconds.toFixed(1)
          } s to open; no window while all were open`,
        );
      }
      const row: StreamRow = {
        runtime,
        server: plan.server,
        streams: count,
        seconds,
        openSeconds,
        rssPerStream: (during.rss - before.rss) / count,
        heapPerStream: (during.heapUsed - before.heapUsed) / count,
        rssAfterPerStream: (after.rss - before.rss) / count,
        heapAfterPerStream: (after.heapUsed - before.heapUsed) / count,
        cpuPerStreamSecond: cpu / window / count,
        serverCores: cpu / window,
        window,
        ok: outcome.ok,
        bad: outcome.bad,
        errors: outcome.errors,
      };
      streamRows.push(row);
      console.log(
        `${elapsed()} ${runtime.padEnd(4)} streams      ${
          plan.server.padEnd(10)
        } ${count} open in ${openSeconds.toFixed(2)} s  rss ${
          fmtInt(row.rssPerStream)
        } B/stream  heap ${fmtInt(row.heapPerStream)} B/stream` +
          `  cpu ${fmtMicros(row.cpuPerStreamSecond)}/stream-s  after: rss ${
            fmtInt(row.rssAfterPerStream)
          } B/stream${
            outcome.bad + outcome.errors > 0 ? `  BAD ${outcome.bad} ERR ${outcome.errors}` : ""
          }`,
      );
      if (outcome.bad + outcome.errors > 0 || outcome.ok !== count) {
        fail(
          `${what}: ${outcome.ok} of ${count} streams right, ${outcome.bad} wrong, ${outcome.errors} failed (first: ${outcome.badSample})`,
        );
      }
      if (running.server.exited()) {
        fail(`${what}: server exited: ${running.server.stderr().slice(-500)}`);
      }
    } catch (error) {
      fail(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await running.server.stop();
    }
  }
}

// ---------------------------------------------------------------- report

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}
function fmtMs(n: number): string {
  return Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : "n/a";
}
function fmtRatio(n: number | undefined): string {
  return n !== undefined && Number.isFinite(n) ? `${n.toFixed(2)}×` : "n/a";
}
function fmtMicros(seconds: number): string {
  return Number.isFinite(seconds) ? `${(seconds * 1e6).toFixed(1)} µs` : "n/a";
}
function fmtBytes(n: number): string {
  return Number.isFinite(n) ? `${Math.round(n).toLocaleString("en-US")} B` : "n/a";
}

function findRow(
  runtime: Runtime,
  workload: LoadRow["workload"],
  server: ServerKey,
  sessions?: number,
): LoadRow | undefined {
  return loadRows.find((r) =>
    r.runtime === runtime && r.workload === workload && r.server === server &&
    (sessions === undefined || r.sessions === sessions)
  );
}

function find(
  runtime: Runtime,
  workload: LoadRow["workload"],
  server: ServerKey,
  sessions?: number,
): LoadResult | undefined {
  return findRow(runtime, workload, server, sessions)?.result;
}

/** " [wrk]", " [autocannon]" or " [wrk + autocannon]": the generators behind a headline figure. */
function generatorTag(
  runtime: Runtime,
  workload: LoadRow["workload"],
  servers: readonly ServerKey[],
  sessions?: readonly number[],
): string {
  const used = new Set<Generator>();
  servers.forEach((server, i) => {
    const row = findRow(runtime, workload, server, sessions?.[i]);
    if (row !== undefined) used.add(row.generator);
  });
  return used.size === 0 ? "" : ` [${[...used].join(" + ")}]`;
}

function ratio(
  a: LoadResult | undefined,
  b: LoadResult | undefined,
  cpu = false,
): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  return cpu ? a.okPerCpuSecond / b.okPerCpuSecond : a.okPerSecond / b.okPerSecond;
}

/** a's rate ÷ b's in each round of one interleaved run (their slices of a round ran in it). */
function perRoundRatios(
  a: LoadResult | undefined,
  b: LoadResult | undefined,
  cpu = false,
): number[] {
  if (a === undefined || b === undefined) return [];
  const as = cpu ? a.sliceCpuRates : a.sliceRates;
  const bs = cpu ? b.sliceCpuRates : b.sliceRates;
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    if (bs[i] > 0 && Number.isFinite(as[i])) ratios.push(as[i] / bs[i]);
  }
  return ratios;
}

/** Min–max of the per-round ratios (slices of one round ran back to back), e.g. "rounds 1.60–2.30, ". */
function roundRange(a: LoadResult | undefined, b: LoadResult | undefined, cpu = false): string {
  const ratios = perRoundRatios(a, b, cpu);
  return ratios.length < 2 ? "" : `rounds ${spread(ratios)}, `;
}

/** How a paired figure was taken, e.g. "median of 12 rounds, 0.82–0.88". */
function roundsSummary(ratios: readonly number[]): string {
  return `median of ${ratios.length} rounds, ${spread(ratios)}`;
}

/** "min–max" of some ratios, e.g. "0.84–0.97". */
function spread(ratios: readonly number[]): string {
  return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
}

/** The pair's run of its own, when {@linkcode pairedRuns} measured it. */
function findPair(
  runtime: Runtime,
  workload: LoadRow["workload"],
  a: ServerKey,
  b: ServerKey,
): PairRow | undefined {
  return pairRows.find((r) =>
    r.runtime === runtime && r.workload === workload && r.a === a && r.b === b
  );
}

/**
 * A judged ratio and its verdict, e.g. "0.93× met"; with three decimals when
 * two would round it onto a target it misses ("0.898× **short**", not "0.90×").
 */
function judgedRatio(value: number | undefined, target: number | undefined): string {
  if (target === undefined) return fmtRatio(value);
  const shown = value !== undefined && Number.isFinite(value) && value < target &&
      Number(value.toFixed(2)) >= target
    ? `${value.toFixed(3)}×`
    : fmtRatio(value);
  return `${shown} ${verdict(value, target)}`;
}

function verdict(value: number | undefined, target: number, atMost = false): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  return (atMost ? value <= target : value >= target) ? "met" : "**short**";
}

function headline(runtimes: Runtime[], settings: Settings): string {
  const big = settings.memorySteps[settings.memorySteps.length - 1];
  const lines: string[] = [];
  lines.push(`| target | ${runtimes.join(" | ")} |`);
  lines.push(`|---|${runtimes.map(() => "---").join("|")}|`);
  const row = (name: string, cells: (rt: Runtime) => string) =>
    lines.push(`| ${name} | ${runtimes.map(cells).join(" | ")} |`);
  /**
   * "a ÷ b" of one workload with its verdict and generator: judged on throughput (with the
   * per-round range and the per-CPU ratio after it) or per server CPU-second (with the raw ratio).
   */
  const pair = (
    rt: Runtime,
    workload: LoadRow["workload"],
    a: ServerKey,
    b: ServerKey,
    target: number | undefined,
    judged: "throughput" | "per CPU-s" = "per CPU-s",
  ) => {
    const x = find(rt, workload, a);
    const y = find(rt, workload, b);
    const raw = ratio(x, y);
    const cpu = ratio(x, y, true);
    const paired = findPair(rt, workload, a, b);
    const pairedRatios = paired === undefined
      ? []
      : perRoundRatios(...paired.results, judged === "per CPU-s");
    let value: number | undefined;
    let detail: string;
    if (pairedRatios.length > 0) {
      // Judged on the pair's own run; the side-by-side figure after it.
      value = median(pairedRatios);
      detail = `paired: ${roundsSummary(pairedRatios)}; among all servers ${
        fmtRatio(judged === "throughput" ? raw : cpu)
      }, ${judged === "throughput" ? `per CPU-s ${fmtRatio(cpu)}` : `raw ${fmtRatio(raw)}`}`;
    } else {
      [value, detail] = judged === "throughput"
        ? [raw, `${roundRange(x, y)}per CPU-s ${fmtRatio(cpu)}`]
        : [cpu, `${roundRange(x, y, true)}raw ${fmtRatio(raw)}`];
    }
    const bound =
      [x, y, ...(paired?.results ?? [])].some((r) => r !== undefined && generatorBound(r))
        ? " ⚠ generator-bound"
        : "";
    return `${judgedRatio(value, target)} (${detail})${generatorTag(rt, workload, [a, b])}${bound}`;
  };
  /** `server` ÷ the peer whose row of `workload` has the most answers per server CPU-s. */
  const fastestPeer = (
    rt: Runtime,
    workload: LoadRow["workload"],
    target: number | undefined,
    server: ServerKey = "tether",
  ) => {
    const best = fastestPeerOf(rt, workload);
    return best === undefined
      ? "n/a"
      : `${pair(rt, workload, server, best, target)}; fastest: ${best} ${
        fmtInt(find(rt, workload, best)!.okPerCpuSecond)
      }/CPU-s`;
  };
  row(
    "sessionful tools/call: tether (auto → JSON) ÷ the fastest peer's fastest path per server CPU-s ≥ 1.1×",
    (rt) => fastestPeer(rt, "steady", 1.1),
  );
  row(
    "(no target; the bound on the row above) sessionful tools/call: the legacy floor ÷ the fastest peer's fastest path per server CPU-s",
    (rt) => fastestPeer(rt, "steady", undefined, "floor-legacy"),
  );
  row(
    "sessionful tools/call: tether (auto → JSON) ÷ the legacy floor per server CPU-s ≥ 0.9",
    (rt) => pair(rt, "steady", "tether", "floor-legacy", 0.9),
  );
  row(
    "stateless tools/call (2026-07-28): tether ÷ the fastest peer serving 2026-07-28 per server CPU-s ≥ 1.1×",
    (rt) => fastestPeer(rt, "stateless", 1.1),
  );
  row(
    "stateless tools/call (2026-07-28): tether ÷ the floor per server CPU-s ≥ 0.9",
    (rt) => pair(rt, "stateless", "tether", "floor", 0.9),
  );
  row(
    "steady tools/call, JSON: tether (auto) ÷ SDK v1 enableJsonResponse ≥ 2×",
    (rt) => pair(rt, "steady", "tether", "sdk-json", 2),
  );
  row(
    "steady tools/call, SSE: tether (sse) ÷ SDK v1 default ≥ 2×",
    (rt) => pair(rt, "steady", "tether-sse", "sdk", 2),
  );
  row(
    "initialize + initialized: tether ÷ SDK v1 default (SSE) ≥ 5×",
    (rt) => pair(rt, "init", "tether", "sdk", 5),
  );
  row(
    "initialize + initialized: tether ÷ SDK v1 enableJsonResponse ≥ 5×",
    (rt) => pair(rt, "init", "tether", "sdk-json", 5),
  );
  row(`bytes per idle tether session at ${fmtInt(big)} (heap / RSS) ≤ 2 KiB`, (rt) => {
    const m = memoryRows.find((r) =>
      r.runtime === rt && r.server === "tether" && r.sessions === big
    );
    if (m === undefined) return "n/a";
    const worst = Math.max(m.heapPerSession, m.rssPerSession);
    return `${fmtBytes(m.heapPerSession)} / ${fmtBytes(m.rssPerSession)} ${
      verdict(worst, 2048, true)
    }`;
  });
  row(
    `tether tools/call at ${
      fmtInt(big)
    } ÷ at ${settings.memoryBase} sessions per server CPU-s ≥ 0.9`,
    (rt) => {
      const a = find(rt, "scale", "tether", big);
      const b = find(rt, "scale", "tether", settings.memoryBase);
      // Judged per server CPU-second, as every target is, on the median of the
      // per-round ratios (the two alone, adjacent slices); the raw rate beside it.
      const rounds = perRoundRatios(a, b, true);
      const r = rounds.length > 0 ? median(rounds) : ratio(a, b, true);
      const detail = rounds.length > 0
        ? `paired: ${roundsSummary(rounds)}; medians ${fmtRatio(ratio(a, b, true))}, raw ${
          fmtRatio(ratio(a, b))
        }`
        : `raw ${fmtRatio(ratio(a, b))}`;
      return `${judgedRatio(r, 0.9)} (${detail})${
        generatorTag(rt, "scale", ["tether", "tether"], [big, settings.memoryBase])
      }`;
    },
  );
  row(
    "(no target, retired) steady tools/call: tether (auto) ÷ ceiling per server CPU-s; the legacy floor ÷ ceiling",
    (rt) =>
      `${fmtRatio(ratio(find(rt, "steady", "tether"), find(rt, "steady", "ceiling"), true))}; ${
        fmtRatio(ratio(find(rt, "steady", "floor-legacy"), find(rt, "steady", "ceiling"), true))
      }${generatorTag(rt, "steady", ["tether", "floor-legacy", "ceiling"])}`,
  );
  row(
    "100-progress tool: tether ÷ ceiling per server CPU-s ≥ 0.25",
    (rt) => pair(rt, "progress", "tether", "ceiling", 0.25, "per CPU-s"),
  );
  row(
    "100-progress tool: tether ÷ SDK v1 default per server CPU-s ≥ 5×",
    (rt) => pair(rt, "progress", "tether", "sdk", 5, "per CPU-s"),
  );
  /** "tether ÷ SDK v1" and "of the ceiling" for one answer format of the large-result workload. */
  const large = (rt: Runtime, tether: ServerKey, sdk: ServerKey, ceiling: ServerKey) => {
    const t = find(rt, "large", tether);
    const s = find(rt, "large", sdk);
    const c = find(rt, "large", ceiling);
    return `${fmtRatio(ratio(t, s))} (per CPU-s ${fmtRatio(ratio(t, s, true))}); of ceiling ${
      fmtRatio(ratio(t, c))
    } (per CPU-s ${fmtRatio(ratio(t, c, true))})${
      generatorTag(rt, "large", [tether, sdk, ceiling])
    }`;
  };
  row(
    "(no target) 256 KiB result, JSON: tether (auto) ÷ SDK v1 enableJsonResponse; ÷ ceiling",
    (rt) => large(rt, "tether", "sdk-json", "ceiling"),
  );
  row(
    "(no target) 256 KiB result, SSE: tether (sse) ÷ SDK v1 default; ÷ ceiling (SSE answer)",
    (rt) => large(rt, "tether-sse", "sdk", "ceiling-sse"),
  );
  row(
    `(no target) ${
      fmtInt(settings.streams.count)
    } concurrent SSE streams, one event/s: RSS / heap per stream, server CPU per stream-second`,
    (rt) => {
      const cell = (server: ServerKey, name: string) => {
        const r = streamRows.find((x) => x.runtime === rt && x.server === server);
        return r === undefined
          ? undefined
          : `${name} ${fmtBytes(r.rssPerStream)} / ${fmtBytes(r.heapPerStream)}, ${
            fmtMicros(r.cpuPerStreamSecond)
          }`;
      };
      const cells = [cell("tether", "tether"), cell("sdk", "SDK v1")].filter((c) =>
        c !== undefined
      );
      return cells.length === 0 ? "n/a" : `${cells.join("; ")} [fetch]`;
    },
  );
  row("(no target) idle session heap: SDK v1 ÷ tether", (rt) => {
    const t = memoryRows.find((r) =>
      r.runtime === rt && r.server === "tether" && r.sessions === big
    );
    const s = memoryRows.find((r) =>
      r.runtime === rt && r.server === "sdk-json" && r.sessions === big
    );
    return t && s ? fmtRatio(s.heapPerSession / t.heapPerSession) : "n/a";
  });
  row(
    "stateless tools/call (2026-07-28): tether ÷ SDK v2 createMcpHandler ≥ 3×",
    (rt) => pair(rt, "stateless", "tether", "sdk-v2", 3),
  );
  row(
    "(no target) stateless tools/call: the floor (the checks alone, one function) ÷ ceiling per server CPU-s; tether ÷ floor",
    (rt) => {
      const floor = find(rt, "stateless", "floor");
      const ceiling = find(rt, "stateless", "ceiling");
      const tether = find(rt, "stateless", "tether");
      return `${fmtRatio(ratio(floor, ceiling, true))} (raw ${
        fmtRatio(ratio(floor, ceiling))
      }); tether ÷ floor ${fmtRatio(ratio(tether, floor, true))} per CPU-s${
        generatorTag(rt, "stateless", ["floor", "ceiling", "tether"])
      }`;
    },
  );
  row(
    "(no target) MRTR round trip (input_required, then the retry): tether round trips/s",
    (rt) => {
      const m = find(rt, "mrtr", "tether");
      return m === undefined
        ? "n/a"
        : `${fmtInt(m.okPerSecond)} (${fmtInt(m.okPerCpuSecond)} per CPU-s)${
          generatorTag(rt, "mrtr", ["tether"])
        }`;
    },
  );
  row(
    "(no target) steady tools/call: tether (auto) ÷ SDK v2",
    (rt) =>
      `${fmtRatio(ratio(find(rt, "steady", "tether"), find(rt, "steady", "sdk-v2")))}${
        generatorTag(rt, "steady", ["tether", "sdk-v2"])
      }`,
  );
  return lines.join("\n");
}

/** The rows of the README's performance table: one workload's server, per server CPU-second. */
const README_ROWS: readonly { workload: LoadRow["workload"]; server: ServerKey; name: string }[] = [
  { workload: "steady", server: "tether", name: "**tether** (JSON answers)" },
  { workload: "steady", server: "floor-legacy", name: "legacy floor (the checks in one function)" },
  {
    workload: "steady",
    server: "mcp-lite-json",
    name: "mcp-lite 0.10, JSON path (Accept: application/json only)",
  },
  { workload: "steady", server: "mcp-lite", name: "mcp-lite 0.10, as clients call it (SSE)" },
  { workload: "steady", server: "tmcp", name: "tmcp 1.20 (SSE)" },
  { workload: "steady", server: "sdk-json", name: "official SDK v1 1.32 (`enableJsonResponse`)" },
  { workload: "steady", server: "sdk", name: "official SDK v1 1.32 (SSE)" },
  { workload: "steady", server: "hono-mcp", name: "@hono/mcp 0.3.2 (SSE)" },
  { workload: "steady", server: "fastmcp", name: "fastmcp 4.20 (SSE)" },
  { workload: "steady", server: "ceiling", name: "bare fetch handler (no checks)" },
  { workload: "stateless", server: "tether", name: "**tether**, 2026-07-28 stateless" },
  { workload: "stateless", server: "floor", name: "2026 floor (the checks in one function)" },
  { workload: "stateless", server: "tmcp", name: "tmcp 1.20, 2026-07-28" },
  { workload: "stateless", server: "sdk-v2", name: "official SDK v2 2.4, 2026-07-28" },
  { workload: "stateless", server: "ceiling", name: "bare fetch handler, 2026-07-28 body" },
];

/** Where the README's performance table sits (bench/run.ts rewrites what is between, on a full run). */
const README_START = "<!-- bench:readme-table:start -->";
const README_END = "<!-- bench:readme-table:end -->";

/**
 * The README's performance table: `tools/call` answers per server
 * CPU-second for tether, the floors, every peer and the ceiling (medians of
 * rounds), with tether ÷ each, and the heap per idle session.
 */
function readmeTable(runtimes: Runtime[], settings: Settings): string {
  const k = (n: number) => Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : "n/a";
  const lines = [
    `| \`tools/call\` answers per server CPU-second (tether ÷ it) | ${runtimes.join(" | ")} |`,
    `|---|${runtimes.map(() => "---").join("|")}|`,
  ];
  for (const { workload, server, name } of README_ROWS) {
    const cells = runtimes.map((rt) => {
      const r = find(rt, workload, server);
      if (r === undefined) return "n/a";
      if (server === "tether") return k(r.okPerCpuSecond);
      // A pair measured again on its own is quoted from that run (its median of per-round ratios).
      const paired = findPair(rt, workload, "tether", server);
      const rounds = paired === undefined ? [] : perRoundRatios(...paired.results, true);
      return rounds.length > 0
        ? `${k(r.okPerCpuSecond)} (paired ${fmtRatio(median(rounds))})`
        : `${k(r.okPerCpuSecond)} (${fmtRatio(ratio(find(rt, workload, "tether"), r, true))})`;
    });
    lines.push(`| ${name} | ${cells.join(" | ")} |`);
  }
  const big = settings.memorySteps[settings.memorySteps.length - 1];
  lines.push(
    `| heap per idle session at ${fmtInt(big)}: tether (SDK v1) | ${
      runtimes.map((rt) => {
        const of = (server: ServerKey) =>
          memoryRows.find((r) => r.runtime === rt && r.server === server && r.sessions === big);
        const t = of("tether");
        const s = of("sdk-json");
        return t === undefined
          ? "n/a"
          : `${fmtBytes(t.heapPerSession)}${
            s === undefined ? "" : ` (${fmtBytes(s.heapPerSession)})`
          }`;
      }).join(" | ")
    } |`,
  );
  const date = new Date().toISOString().slice(0, 10);
  return [
    ...lines,
    "",
    `Generated by \`npm run bench\` (${date}, tether ${commit()}; wrk, ${settings.connections} connections, medians of rounds, one server at a time on ${os.cpus().length} shared cores): see [bench/RESULTS.md](../bench/RESULTS.md) for every figure and the method.` +
    (pairRows.length === 0
      ? ""
      : ' "paired": tether and that server measured again on their own in adjacent slices, the median of their per-round ratios (the figure the targets are judged on); the rates are those of the run among all servers.'),
  ].join("\n");
}

/** Replaces docs/performance.md's table (between its markers) with `table`; false when the markers are missing. */
function writeReadmeTable(table: string): boolean {
  const file = resolve(ROOT, "docs/performance.md");
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start === -1 || end < start) return false;
  writeFileSync(
    file,
    text.slice(0, start + README_START.length) + "\n\n" + table + "\n\n" + text.slice(end),
  );
  return true;
}

const WORKLOAD_TITLES: Record<LoadRow["workload"], string> = {
  steady: "tools/call steady state (echo tool, pool of pre-initialized sessions)",
  progress: "tool emitting 100 progress notifications before its result (SSE)",
  large: "tool answering a 256 KiB text result (JSON and SSE answers)",
  init: "initialize + notifications/initialized (session creation; figures are sessions/s)",
  stateless: "stateless tools/call, protocol 2026-07-28 (echo tool; no session, envelope in _meta)",
  mrtr:
    "2026-07-28 multi-round-trip call: input_required with a sealed requestState, then the retry (figures are round trips/s)",
  scale: "tools/call with N live sessions (requests rotated across all of them)",
};

function loadTable(runtimes: Runtime[], workload: LoadRow["workload"]): string {
  const rows = loadRows.filter((r) => r.workload === workload && runtimes.includes(r.runtime));
  if (rows.length === 0) return "";
  const unit = workload === "init" ? "sessions/s" : "req/s";
  const lines = [
    `### ${WORKLOAD_TITLES[workload]}`,
    "",
    `| runtime | server |${
      workload === "scale" ? " live sessions |" : ""
    } ${unit} per server CPU-s | ${unit} | p50 | p99 | server CPU (cores) | generator | load-gen CPU (cores, share) | wrong / errors |`,
    `|---|---|${workload === "scale" ? "---|" : ""}---|---|---|---|---|---|---|---|`,
  ];
  for (const row of rows) {
    const r = row.result;
    lines.push(
      `| ${row.runtime} | ${SERVER_LABELS[row.server]} |${
        workload === "scale" ? ` ${fmtInt(row.sessions!)} |` : ""
      } ${fmtInt(r.okPerCpuSecond)} | ${fmtInt(r.okPerSecond)} | ${fmtMs(r.p50)} | ${
        fmtMs(r.p99)
      } | ${r.serverCores.toFixed(2)} | ${row.generator} | ${r.generatorCores.toFixed(2)} (${
        generatorShare(r)
      })${generatorBound(r) ? " ⚠ generator-bound" : ""} | ${r.bad} / ${r.errors + r.timeouts} |`,
    );
  }
  lines.push(
    "",
    `Rates are medians of the measured rounds; "share" is the load generator's part of the CPU it and the server used; ⚠ generator-bound: the generator used ≥ ${GENERATOR_BOUND_CORES} of its one core, so the server's figure is a lower bound.`,
  );
  if (workload === "init") {
    lines.push(
      "",
      "p50/p99 are per HTTP request (initialize and initialized mixed). fastmcp's FastMCPSession.connect polls for the client's capabilities (10 × 100 ms) before the initialize it waits for is handled, so each of its sessions takes about a second: its rate is latency-bound (about one session per connection per second), its per-CPU figure is not.",
    );
  }
  return lines.join("\n");
}

function memoryTable(runtimes: Runtime[], settings: Settings): string {
  const rows = memoryRows.filter((r) => runtimes.includes(r.runtime));
  if (rows.length === 0) return "";
  const lines = [
    "### memory per idle session",
    "",
    `Δ from a baseline taken with ${settings.memoryBase} live sessions (after a tools/call warm-up), after forced GC; divided by the sessions added.`,
    "",
    "| runtime | server | live sessions | heapUsed Δ / session | RSS Δ / session | in-process creation rate | forced GC | generator |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.runtime} | ${SERVER_LABELS[r.server]} | ${fmtInt(r.sessions)} | ${
        fmtBytes(r.heapPerSession)
      } | ${fmtBytes(r.rssPerSession)} | ${fmtInt(r.createRate)}/s | ${
        r.gc ? "yes" : "no"
      } | none (in-process route) |`,
    );
  }
  return lines.join("\n");
}

function streamsTable(runtimes: Runtime[]): string {
  const rows = streamRows.filter((r) => runtimes.includes(r.runtime));
  if (rows.length === 0) return "";
  const lines = [
    `### concurrent SSE streams (ticker tool: one progress notification a second, then the result)`,
    "",
    "Memory Δ from a baseline taken after the sessions and a warm-up batch, forced GC each time; server CPU over the window in which all streams are open. " +
    "Streams opened at once from the driver with Node's fetch (undici, one connection each), 16 per session; every stream's body is checked (all its progress notifications with its token, then the result).",
    "",
    "| runtime | server | streams × seconds | all open after | RSS Δ / stream (open) | heapUsed Δ / stream (open) | server CPU / stream-second | server CPU (cores) | RSS Δ / stream (after) | heapUsed Δ / stream (after) | generator | wrong / errors |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.runtime} | ${SERVER_LABELS[r.server]} | ${fmtInt(r.streams)} × ${r.seconds} s | ${
        r.openSeconds.toFixed(2)
      } s | ${fmtBytes(r.rssPerStream)} | ${fmtBytes(r.heapPerStream)} | ${
        fmtMicros(r.cpuPerStreamSecond)
      } | ${r.serverCores.toFixed(3)} | ${fmtBytes(r.rssAfterPerStream)} | ${
        fmtBytes(r.heapAfterPerStream)
      } | fetch (undici, in the driver) | ${r.bad} / ${r.errors} |`,
    );
  }
  return lines.join("\n");
}

/**
 * How many cores' worth of work the machine delivers with two busy threads:
 * one thread spins a fixed loop, then two threads spin it at once. On a
 * VM whose vCPUs share physical cores this is below 2 (steal is often not
 * reported), which bounds every figure below.
 */
async function calibrate(): Promise<number> {
  const code = `const { parentPort } = require("node:worker_threads");
    const t = performance.now(); let x = 0; for (let i = 0; i < 3e8; i++) x += i % 7;
    parentPort.postMessage(performance.now() - t + (x < 0 ? 1 : 0));`;
  const spin = () =>
    new Promise<number>((resolve, reject) => {
      const worker = new Worker(code, { eval: true });
      worker.once("message", (ms: number) => {
        resolve(ms);
        void worker.terminate();
      });
      worker.once("error", reject);
    });
  const alone = await spin();
  const started = performance.now();
  await Promise.all([spin(), spin()]);
  const together = performance.now() - started;
  return (2 * alone) / together;
}

let effectiveCores = NaN;
let loadBefore = "";
let loadAfter = "";

/** The refusal probes' table, when the steady workload ran. */
function refusalSection(): string[] {
  if (refusalRows.length === 0) return [];
  return [
    "### What each server of the steady workload refuses (bench/lib/refusals.ts)",
    "",
    "Sent after the timed runs, each on a fresh session, after a valid call as the positive control; ✓ refused as asked, ✗ not (the status it answered instead).",
    "",
    refusalTable(
      refusalRows.map((r) => ({
        runtime: r.runtime,
        server: SERVER_LABELS[r.server],
        refusals: r.refusals,
      })),
    ),
    "",
  ];
}

/** The tether commit measured (read-only git), flagged when src/ or mod.ts has uncommitted changes. */
function commit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "mod.ts"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    return dirty.trim() === "" ? head : `${head} + uncommitted changes in src/`;
  } catch {
    return "unknown";
  }
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), ${
    (os.totalmem() / 2 ** 30).toFixed(1)
  } GiB memory, ${os.type()} ${os.release()}`;
}

function report(runtimes: Runtime[], settings: Settings, command: string, seconds: number): string {
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const sections = [
    `# tether benchmark results`,
    "",
    "Generated by the harness (`bench/run.ts`); do not edit by hand.",
    "",
    `- Date: ${date}; tether commit ${commit()}`,
    `- Command: \`${command}\` (from the repository root; took ${Math.round(seconds)} s${
      settings.smoke ? ", smoke mode" : ""
    })`,
    `- Machine: ${machine()}; two busy threads got ${
      effectiveCores.toFixed(2)
    } cores' worth of work (calibration spin loop); load average before / after: ${loadBefore} / ${loadAfter}`,
    ...runtimes.map((rt) =>
      `- ${rt}: ${versions.get(rt) ?? "not run"} — server command e.g. \`${
        commands.get(rt) ?? "n/a"
      }\``
    ),
    `- Load generators (each table row and each headline figure names its own): ${
      settings.generator === "wrk"
        ? `**wrk** (${wrkVersion()}, C, one thread, ${settings.connections} connections, no pipelining) for every single-request workload (steady, progress, large, stateless, scaling): ` +
          "a generated Lua script gives every request its own JSON-RPC id, rotates Mcp-Session-Id over the target's session pool, and checks every response (status 200, an id that was sent and not yet answered, the workload's text; for the progress tool all 100 notifications carrying the request's token, before the result; for the large tool the whole text's ends and size); " +
          `slices of whole seconds, ${settings.wrk.steady.rounds} × ${settings.wrk.steady.slice} s per server after a ${settings.wrk.steady.warmup} s warm-up (steady, stateless), ${settings.wrk.short.rounds} × ${settings.wrk.short.slice} s after ${settings.wrk.short.warmup} s (progress, large), ${settings.wrk.scale.rounds} × ${settings.wrk.scale.slice} s after ${settings.wrk.scale.warmup} s (scaling). ` +
          "wrk needs far less CPU per request than autocannon, so the server rather than the generator saturates and raw ratios are more honest (on the ceiling rows, and with 256 KiB bodies, wrk can still be the busier process: see its CPU in the load-gen column, the driver's reaped-children time around each run). " +
          `**autocannon** 9.0.0 (programmatic, in the driver process, Node ${process.version}, ${settings.connections} connections, no pipelining) only for the sequence wrk cannot send (MRTR rounds: the retry carries the same connection's first answer; session creation goes through wrk, each issued session id queued for the next request of any connection): ` +
          `${settings.short.rounds} × ${settings.short.slice} s per server after a ${settings.short.warmup} s warm-up.`
        : `**autocannon** 9.0.0 for everything (${
          wrkBinary() === undefined ? "wrk is not installed" : "--generator autocannon"
        }), programmatic, in the driver process (Node ${process.version}), ${settings.connections} connections, no pipelining; ` +
          `after a warm-up per server (${settings.steady.warmup} s steady, ${settings.short.warmup} s others), ${settings.steady.rounds} rounds × ${settings.steady.slice} s per server (steady, stateless) or ` +
          `${settings.short.rounds} × ${settings.short.slice} s (others; scaling ${settings.scale.rounds} × ${settings.scale.slice} s). autocannon shares the cores with the server and saturates first, so raw ratios understate the faster server.`
    }`,
    "- The servers compared in a table run side by side (idle unless driven) and are measured **interleaved**: after a warm-up per server, short slices, the order rotated each round, so drifts in machine load hit every server alike. " +
    "Every 2026-07-28 row is served by a process that has served nothing before, as the floor's is (one that answered SSE progress streams and 256 KiB results first serves later calls slower on Bun and Deno). " +
    'Each row\'s rates are the medians of its rounds; "rounds a–b" is the range of the per-round ratios (a measure of the noise). ' +
    `**Close targets are judged on paired runs:** with a dozen servers in the rotation, a pair's slices of one round are up to a dozen seconds apart, and on a shared host one server's rate can move by half within a minute. So tether and its floor, tether and the fastest peer (steady and stateless), and the legacy floor and that peer (steady), are measured again on their own right after, in adjacent slices (a b, b a, …; ${settings.pairs.rounds} rounds × ${settings.pairs.slice} s), and judged on the median of their per-round ratios ("paired"); the ratio of the medians among all servers is printed beside it. The 100k ÷ 100 scaling pair runs alone anyway and is judged the same way. ` +
    `**Per server CPU-second is the primary figure** (every target is judged on it); the load generator's CPU is printed beside each row with its share, and a row is flagged ⚠ generator-bound when the generator used ≥ ${GENERATOR_BOUND_CORES} of its one core.`,
    `- **The load generator and the server share the same ${os.cpus().length} cores.** Absolute figures are bounded by that; ` +
    'quote ratios. "per server CPU-s" divides the correct responses by the server process\'s utime+stime (/proc/<pid>/stat) over the measured run, ' +
    "which is less sensitive to the sharing.",
    "- Every response is checked (status, JSON-RPC id, echoed text or all 100 progress notifications + result); only correct ones are counted.",
    "- **Stateless (2026-07-28) rows:** each request carries the 2026-07-28 envelope in `_meta` and the routing headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name); SDK v2 is the same `createMcpHandler` as above, which serves 2026-07-28 natively.",
    "",
    "## Targets",
    "",
    headline(runtimes, settings),
    "",
    "## README table",
    "",
    "What a full run writes into docs/performance.md (the README links it).",
    "",
    readmeTable(runtimes, settings),
    "",
    "## All figures",
    "",
    ...(["steady", "progress", "large", "init", "stateless", "mrtr", "scale"] as const).map((w) =>
      loadTable(runtimes, w)
    ).filter(
      (s) => s !== "",
    )
      .flatMap((s) => [s, ""]),
    memoryTable(runtimes, settings),
    "",
    ...refusalSection(),
    ...[streamsTable(runtimes)].filter((t) => t !== "").flatMap((t) => [t, ""]),
    "## Method",
    "",
    `- Servers (bench/servers/): **ceiling** parses the body and returns fixed bytes (the 256 KiB answer precomputed behind a per-request head; \`--mode sse\` frames it as one SSE event); **tether** is \`createMcpHandler\` with an \`echo {text}\` tool (zod), a \`progress\` tool, a \`large\` tool (256 KiB text) and a \`ticker\` tool (one progress notification a second), default options; ` +
    "**SDK v1** is `@modelcontextprotocol/sdk` `WebStandardStreamableHTTPServerTransport` wired like its sessionful examples (one transport + one `McpServer` per session, session map, `onsessioninitialized`/`onclose`), defaults otherwise; " +
    "**SDK v2** is `@modelcontextprotocol/server` `createMcpHandler` with defaults (2025 traffic served statelessly: no session id, so requests to it carry none). " +
    "**floor** (stateless workload only) is the 2026-07-28 checks tether makes (Host, Origin, Accept, Content-Type, size, UTF-8, depth, JSON-RPC shape, the version, method and name headers against the body, the zod schema) and the stateless result, written in one function: a yardstick for what the checks alone cost, not a server. " +
    "**legacy floor** (steady workload only) is the same for a sessionful 2025-11-25 call: the same guards, then the session lookup, its owner check, its touch, the in-flight entry, zod and the awaited tool, in one function. " +
    "All are served the same way per runtime: `Deno.serve`, `Bun.serve`, or `@hono/node-server` on Node (examples/serve.ts).",
    "- Peers, each at its pinned version with the same echo tool, sessionful as its documentation shows, its defaults otherwise (bench/servers/*.ts; bench/README.md): **mcp-lite** 0.10.0 (`InMemorySessionAdapter`; SSE answers to a client whose Accept names both types, and its JSON path, `mcp-lite-json`, for a client naming `application/json` only); **tmcp** 1.20.0 with @tmcp/transport-http 0.9.0 and @tmcp/adapter-zod 0.1.7 (SSE; it also serves 2026-07-28, the stateless rows); **@hono/mcp** 0.3.2 (SDK v1's server behind Hono's transport, one per session; SSE); **fastmcp** 4.20.16 (`httpStream` on its own node:http server; SSE; each initialize waits about a second for the client's capabilities, so its session rate is latency-bound). " +
    "The client negotiates like a real one: after initialize it sends the protocol version the server answered (mcp-lite: 2025-03-26).",
    `- Protocol version 2025-11-25 for every client; the same headers (Content-Type, Accept: application/json + text/event-stream, MCP-Protocol-Version, Mcp-Session-Id) for every server; unique JSON-RPC ids per request; sessions rotated across a pool of ${settings.pool} sessions created over HTTP before the run.`,
    '- CPU: "per server CPU-s" is correct responses ÷ the server process\'s utime+stime from /proc/<pid>/stat over the measured slices (all threads, GC and I/O included).',
    "- Session creation: each connection loops initialize → notifications/initialized (with the issued session id); one loop = one session. tether runs it with `sessions.maxSessions` raised to 10,000,000 (the default cap of 10,000 would be reached within a second); nothing else differs from the defaults. Sessions are never deleted during the run, for any server.",
    `- Memory and scaling: a "few" and a "many" process per server (V8 old space raised to 16 GiB on Node/Deno; forced GC via --expose-gc / Bun.gc(true)), both given ${settings.memoryBase} sessions. ` +
    `The "many" process runs tools/call briefly (so compiled code is in the baseline), takes a baseline, then grows to ${
      settings.memorySteps.map(fmtInt).join(" / ")
    } sessions through the bench-only in-process route \`POST /__bench/sessions?n=N\` (it calls the server's own fetch handler with synthetic initialize + initialized Requests, 64 concurrent; the "in-process creation rate" column is that route's rate, no sockets involved), ` +
    'reading `process.memoryUsage()` / `Deno.memoryUsage()` after forced GC at each step. The scaling pair is the "few" process and a third, grown to the same count through the same route but never forced to collect garbage (on Node a forced gc() can leave `process.nextTick` slow for the rest of the process; bench/README.md), driven with tools/call, interleaved, requests rotated across all of their live sessions. ' +
    "The SDK is measured in its enableJsonResponse variant there so its load matches tether's JSON answers. tether runs with `sessions.maxSessions` raised to 10,000,000.",
    "- Large results: tools/call of a tool answering a 256 KiB ASCII text, through the same session pool; JSON answers (tether auto, SDK v1 enableJsonResponse, the ceiling) and SSE answers (tether responseMode sse, SDK v1 default, the ceiling with `--mode sse`). " +
    "Each response is checked for its id, the text's first and last bytes and its size. On the ceiling rows wrk, which reads every body into Lua to check it, is the busier process.",
    `- Concurrent streams: a fresh process per server; ${
      Math.ceil(settings.streams.count / settings.streams.perSession)
    } sessions (${settings.streams.perSession} streams each, under tether's default \`maxRequestsPerSession\` of 64) and a warm-up batch of 50 two-second calls, then a baseline (forced GC), ` +
    `then ${
      fmtInt(settings.streams.count)
    } ticker calls of ${settings.streams.seconds} s opened at once. Server CPU over the window in which all are open (until 1.5 s before the first would end); memory (forced GC) at the end of that window and again after all have ended. ` +
    "RSS rarely shrinks after a burst (allocators keep their pages), so the after-RSS column is an upper bound on what is retained; heapUsed after is the retained JS memory.",
    "",
  ];
  if (failures.length > 0) {
    sections.push("## Failures", "", ...failures.map((f) => `- ${f.replace(/\n/g, " ")}`), "");
  }
  return sections.join("\n");
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const settings: Settings = { ...(cli.smoke ? SMOKE : FULL), generator: cli.generator };
  const started = performance.now();
  const script = relative(ROOT, process.argv[1]);
  const command = [process.execPath, ...process.execArgv, script, ...process.argv.slice(2)].join(
    " ",
  );
  loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  effectiveCores = await calibrate();
  console.log(
    `tether bench: ${cli.smoke ? "smoke" : "full"} run on ${
      cli.runtimes.join(", ")
    } — ${machine()}; ` +
      `two busy threads get ${effectiveCores.toFixed(2)} cores; load average ${loadBefore}`,
  );

  if (cli.generator === "autocannon") {
    console.log(
      wrkBinary() === undefined
        ? "wrk is not installed (Debian: apt-get install wrk): autocannon drives every workload; the rows say so"
        : "--generator autocannon: autocannon drives every workload",
    );
  }
  for (const runtime of cli.runtimes) {
    console.log(`\n== ${runtime}`);
    const workloads = cli.onlyWorkloads.length > 0 ? cli.onlyWorkloads : [...WORKLOADS];
    await throughputPhase(runtime, workloads, cli.onlyServers, settings);
    if (workloads.includes("memory")) await memoryPhase(runtime, cli.onlyServers, settings);
    if (workloads.includes("streams")) await streamsPhase(runtime, cli.onlyServers, settings);
  }

  loadAfter = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const seconds = (performance.now() - started) / 1000;
  const text = report(cli.runtimes, settings, command, seconds);
  console.log("\n" + text);
  if (cli.out !== undefined) {
    const file = resolve(ROOT, cli.out);
    writeFileSync(file, text);
    try {
      // Tables padded the way `deno fmt` (the repository's formatter) writes them.
      execFileSync(BINARIES.deno, ["fmt", "--quiet", file], { cwd: ROOT, stdio: "ignore" });
    } catch { /* unformatted is fine */ }
    console.log(`wrote ${cli.out}`);
    if (cli.out === "bench/RESULTS.md" && !settings.smoke) {
      const wrote = writeReadmeTable(readmeTable(cli.runtimes, settings));
      console.log(
        wrote
          ? "rewrote docs/performance.md's table"
          : `docs/performance.md has no ${README_START} … ${README_END} markers: its table is unchanged`,
      );
      try {
        execFileSync(BINARIES.deno, ["fmt", "--quiet", resolve(ROOT, "docs/performance.md")], {
          cwd: ROOT,
          stdio: "ignore",
        });
      } catch { /* unformatted is fine */ }
    }
  }
  console.log(
    `${failures.length === 0 ? "OK" : `${failures.length} FAILURE(S)`} in ${seconds.toFixed(1)} s`,
  );
  process.exit(failures.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
