/**
 * bench/gateway_cost.ts's command line and its plan: the rows it measures (`--only`), their rounds
 * of slices, warm-ups, sessions and new sessions, and its estimated seconds. Parsing and
 * arithmetic only: nothing is started.
 * @module
 */

import { createRequire } from "node:module";
import { join } from "node:path";
import { optionReader } from "./args.ts";
import type { Plan } from "./plan.ts";
import { ROOT, type Runtime } from "./proc.ts";

/** The settings of a gateway-cost run (its flags, or their defaults). */
export interface GatewaySettings {
  smoke: boolean;
  /** Print the plan line and exit (`--plan`). */
  plan: boolean;
  runtime: Runtime;
  /** Alternating rounds of each pass (`--rounds`). */
  rounds: number;
  /** Seconds of each slice (`--slice`). */
  sliceSeconds: number;
  /** Connections of the pass under load (`--connections`). */
  connections: number;
  /** 2025 sessions per target (`--sessions`; a stdio upstream's at most 8). */
  sessions: number;
  /** New downstream sessions of the first-call table (`--first`; a stdio upstream's at most 10). */
  newSessions: number;
  /** The rows measured (`--only`): http, stdio, peer, first. */
  only: string[];
  /** The results file whose section is replaced (`--append`), or "". */
  append: string;
}

/**
 * The settings `argv` gives.
 * @example
 * ```ts
 * import { gatewaySettings } from "./gateway_plan.ts";
 * gatewaySettings(["--smoke"]).rounds; // 1
 * ```
 */
export function gatewaySettings(argv: readonly string[]): GatewaySettings {
  const opt = optionReader(argv);
  const smoke = argv.includes("--smoke");
  return {
    smoke,
    plan: argv.includes("--plan"),
    runtime: opt("runtime", "node") as Runtime,
    rounds: Number(opt("rounds", smoke ? "1" : "8")),
    sliceSeconds: Number(opt("slice", "1")),
    connections: Number(opt("connections", smoke ? "4" : "32")),
    sessions: Number(opt("sessions", "16")),
    newSessions: Number(opt("first", smoke ? "3" : "20")),
    only: opt("only", "http,stdio,peer,first").split(","),
    append: opt("append", ""),
  };
}

/** The pause after each slice, ms (a call wrk left unanswered ends before the next slice). */
export const SLICE_GAP_MS = 300;

/** A target's warm-up before each pass, seconds (a smoke run's, then a full run's). */
export const WARMUP_SECONDS = { smoke: 1, full: 2 };

/**
 * Per-step costs of a gateway-cost run, seconds: ESTIMATES, not yet timed on a full run (check
 * them against `npm run bench:gateway` and adjust). The driver's start with its imports, a server
 * started (bench/run/duration.ts's figure), mcp-use's proxy started, a direct stdio server started
 * and initialized, a wrk process's start and exit around a slice, a 2025 session made over HTTP,
 * a gateway session's stdio upstream (a process) opened, and a new session of the first-call
 * table (setup and two calls) on an HTTP upstream and on a stdio one (its process started).
 */
export const STEP_COSTS = {
  processStart: 1,
  serverStart: 1.5,
  mcpUseStart: 3,
  stdioStart: 0.5,
  wrkSlice: 0.05,
  httpSession: 0.02,
  stdioSession: 0.5,
  firstHttpSession: 0.05,
  firstStdioSession: 0.6,
};

/** Whether mcp-use resolves where its proxy looks (`MCP_USE_DIR`, else this repository). */
export function mcpUseInstalled(): boolean {
  try {
    createRequire(join(process.env.MCP_USE_DIR ?? ROOT, "_")).resolve("mcp-use");
    return true;
  } catch {
    return false;
  }
}

/** Seconds of one pass over `targets` targets: their warm-ups, then the rounds of slices. */
function passSeconds(s: GatewaySettings, targets: number): number {
  const warm = s.smoke ? WARMUP_SECONDS.smoke : WARMUP_SECONDS.full;
  return targets * (warm + STEP_COSTS.wrkSlice) +
    s.rounds * targets * (s.sliceSeconds + SLICE_GAP_MS / 1_000 + STEP_COSTS.wrkSlice);
}

/**
 * The plan of a gateway-cost run with `s` (`peer`: whether mcp-use is there to measure).
 * @example
 * ```ts
 * import { gatewayPlan, gatewaySettings } from "./gateway_plan.ts";
 * gatewayPlan(gatewaySettings([]), true).low; // seconds of a full run with the mcp-use row
 * ```
 */
export function gatewayPlan(s: GatewaySettings, peer: boolean = mcpUseInstalled()): Plan {
  const c = STEP_COSTS;
  let seconds = c.processStart + 2 * c.serverStart;
  const rows: string[] = [];
  if (s.only.includes("http")) {
    seconds += 2 * s.sessions * c.httpSession + 2 * passSeconds(s, 4);
    rows.push("HTTP upstream");
  }
  if (s.only.includes("stdio")) {
    const n = Math.min(s.sessions, 8);
    seconds += c.serverStart + 2 * c.stdioStart + n * (c.httpSession + c.stdioSession) +
      2 * passSeconds(s, 4);
    rows.push("stdio upstream");
  }
  if (s.only.includes("peer")) {
    seconds += c.serverStart;
    if (peer && s.runtime === "node") {
      seconds += c.mcpUseStart + (s.sessions + 1) * c.httpSession + passSeconds(s, 4);
      rows.push("mcp-use");
    } else rows.push("mcp-use (skipped)");
  }
  if (s.only.includes("first")) {
    seconds += 2 * c.serverStart + 2 * 2 * s.newSessions * c.firstHttpSession +
      2 * Math.min(s.newSessions, 10) * c.firstStdioSession;
    rows.push(`first calls of ${s.newSessions} sessions`);
  }
  return {
    what: `gateway cost on ${s.runtime}: ${
      rows.join(", ")
    }; ${s.rounds} rounds × ${s.sliceSeconds} s per target, 1 and ${s.connections} connections`,
    low: seconds,
    high: seconds,
  };
}
