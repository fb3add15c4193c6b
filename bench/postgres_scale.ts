/**
 * Scale-out bench on Postgres: two tether instances with sessions, the event log and the bus on
 * one PostgreSQL 15 (createPostgresBackend, its defaults) against one instance in memory, on each
 * runtime, with bench/redis_scale.ts's load and method (bench/scale_out/): every request goes to
 * the next instance in turn. Prints (and with `--append FILE` writes) one section:
 *
 * - throughput of JSON `tools/call` and of a 10-progress SSE tool, raw and per CPU-second of
 *   every serving process (both instances and every Postgres process: the postmaster and its
 *   children), as a ratio to the memory instance, with each round's ratio (the spread);
 * - Postgres statements per call (pg_stat_statements, preloaded for the run: every statement a
 *   client ran, BEGIN and COMMIT included; the idle traffic over as long subtracted), for a JSON
 *   call and a 10-progress call with `WORKERS` callers;
 * - bytes of the session tables per idle session (pg_total_relation_size, N sessions made);
 * - connections per instance (pg_stat_activity by application_name, after the load).
 *
 *   node_modules/node24/bin/node bench/postgres_scale.ts [--runtime node,deno,bun] [--seconds 4]
 *     [--append bench/RESULTS.md] [--smoke] [--plan (print the plan line and exit)]
 * `npm run bench` runs it after bench/redis_scale.ts, appending to bench/RESULTS.md.
 */

import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { freeRigPort as freePort } from "../scripts/rig_processes.ts";
import {
  cpuSeconds,
  inTurnOrTogether,
  type Runtime,
  type ServerProcess,
  startServer,
} from "./lib/proc.ts";
import { ECHO_TEXT } from "./lib/protocol.ts";
import { writeSection } from "./lib/results_section.ts";
import { fmt, perCpu, rate } from "./scale_out/report.ts";
import {
  call,
  compare,
  drive,
  isDone,
  isEcho,
  type Load,
  post,
  sessionsOf,
} from "./scale_out/calls.ts";
import { planLine } from "./lib/plan.ts";
import { postgresPlan } from "./scale_out/plan.ts";
import { type BenchPostgres, startBenchPostgres } from "./scale_out/postgres.ts";
import { type Cli, parseCli, SERVER, SESSIONS, WORKERS } from "./scale_out/settings.ts";

const SECTION = "## Scale-out: 2 instances + Postgres against 1 in memory";

interface Pair {
  memory: Load;
  shared: Load;
  ratios: number[];
  /** The Postgres processes' share of the shared side's CPU. */
  postgresShare: number;
}

interface RuntimeReport {
  runtime: Runtime;
  /** The default named statements (a direct connection), or unnamed ones as behind a pooler. */
  prepared: boolean;
  version: string;
  load: string;
  json: Pair;
  progress: Pair;
  jsonCounts: Counts;
  progressCounts: Counts;
  bytesPerSession: number;
  connections: number[];
}

const loadAverage = () => loadavg().map((n) => n.toFixed(1)).join(" / ");

/** Per call: statements, and round trips (unnamed statements with parameters take two). */
interface Counts {
  statements: number;
  roundTrips: number;
}

async function benchRuntime(runtime: Runtime, pg: BenchPostgres, cli: Cli, prepared: boolean) {
  const started: ServerProcess[] = [];
  const load = loadAverage();
  try {
    const memory = await startServer(runtime, SERVER, [], { port: await freePort() });
    started.push(memory);
    const app = `bench-${runtime}-${Date.now()}-`;
    const instance = async (name: string) => {
      const args = ["--postgres", pg.url(app + name), "--prefix", app];
      if (!prepared) args.push("--prepared", "false");
      const server = await startServer(runtime, SERVER, args, { port: await freePort() });
      started.push(server);
      return server;
    };
    const [a, b] = [await instance("a"), await instance("b")];
    const { memory: memoryTargets, shared: sharedTargets } = await sessionsOf(
      memory.port,
      a.port,
      b.port,
    );
    // The serving CPU of the shared side, with the Postgres part of each slice kept apart.
    let postgresSpent = 0;
    let postgresStart: number | undefined;
    const serving = () => {
      const postgres = pg.cpu();
      if (postgresStart === undefined) postgresStart = postgres;
      else [postgresSpent, postgresStart] = [postgresSpent + postgres - postgresStart, undefined];
      return postgres + cpuSeconds(a.pid) + cpuSeconds(b.pid);
    };
    const memorySide = { targets: memoryTargets, serving: [memory.pid] };
    const sharedSide = { targets: sharedTargets, serving };
    const echo = (id: number) => call(id, "echo", { text: ECHO_TEXT });
    const progress = (id: number) => call(id, "progress10", {}, `p${id}`);
    if (cli.sizes.warmup) {
      const warm = Math.max(1, cli.seconds / 5);
      await drive(memoryTargets, [memory.pid], warm, echo, isEcho);
      await drive(sharedTargets, serving, warm, echo, isEcho);
    }
    const pair = async (body: (id: number) => string, check: typeof isEcho): Promise<Pair> => {
      postgresSpent = 0;
      const measured = await compare(
        memorySide,
        sharedSide,
        cli.seconds,
        body,
        check,
        cli.sizes.rounds,
      );
      for (const side of [measured.memory, measured.shared]) {
        if (side.bad > 0) throw new Error(`${runtime}: ${side.bad} wrong answers`);
      }
      return { ...measured, postgresShare: postgresSpent / measured.shared.cpu };
    };
    const json = await pair(echo, isEcho);
    const progressPair = await pair(progress, isDone);
    const byInstance = await pg.connections(app);
    const connections = ["a", "b"].map((name) => byInstance.get(app + name) ?? 0);

    // Statements per call: counted over N calls, less the idle rate read over `idleMs` before.
    await pg.resetStatements();
    const idleStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, cli.sizes.idleMs));
    const idle = await pg.statements();
    const idleMs = performance.now() - idleStart;
    if (process.env.BENCH_DEBUG) console.error(`idle: ${await pg.statementList()}`);
    const calls = cli.sizes.monitoredCalls;
    const counted = async (workers: number, body: typeof echo, check: typeof isEcho) => {
      await pg.resetStatements();
      const start = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: workers }, async () => {
        while (next < calls) {
          const id = next++;
          const response = await post(sharedTargets[id % sharedTargets.length], body(id));
          if (!check(await response.text(), id)) throw new Error(`${runtime}: wrong answer`);
        }
      }));
      const busy = await pg.statements();
      if (process.env.BENCH_DEBUG) console.error(await pg.statementList());
      const share = (performance.now() - start) / idleMs;
      const all = busy.all - idle.all * share;
      const parameterized = busy.parameterized - idle.parameterized * share;
      // Named statements are described once per connection; unnamed ones each time.
      return {
        statements: all / calls,
        roundTrips: (all + (prepared ? 0 : parameterized)) / calls,
      };
    };
    const jsonCounts = await counted(1, echo, isEcho);
    const progressCounts = await counted(WORKERS, progress, isDone);

    const before = await pg.sessionBytes();
    const made = await fetch(
      `http://127.0.0.1:${a.port}/__bench/sessions?n=${cli.sizes.idleSessions}`,
      {
        method: "POST",
      },
    );
    await made.text();
    if (made.status !== 200) throw new Error(`${runtime}: sessions: ${made.status}`);
    const bytesPerSession = (await pg.sessionBytes() - before) / cli.sizes.idleSessions;
    return {
      runtime,
      prepared,
      version: memory.version,
      load,
      json,
      progress: progressPair,
      jsonCounts,
      progressCounts,
      bytesPerSession,
      connections,
    } satisfies RuntimeReport;
  } finally {
    for (const server of started) await server.stop();
  }
}

const label = (r: RuntimeReport) => `${r.runtime}${r.prepared ? "" : ", unnamed"}`;

function report(reports: RuntimeReport[], cli: Cli, pgVersion: string, seconds: number): string {
  const lines = [
    SECTION,
    "",
    `- Date: ${new Date().toISOString()}; machine: ${
      execFileSync("nproc").toString().trim()
    } cores, shared (load average 1 / 5 / 15 min at each runtime's start in its row); PostgreSQL ${pgVersion} (fsync off, pg_stat_statements preloaded).`,
    `- Generated by \`node_modules/node24/bin/node bench/postgres_scale.ts --runtime ${
      cli.runtimes.join(",")
    } --seconds ${cli.seconds}${cli.smoke ? " --smoke" : ""}\` (${
      fmt(seconds)
    } s in all); do not edit.`,
    `- Load and method as the Redis section's (bench/scale_out/): ${WORKERS} \`fetch\` callers in the driver, ${SESSIONS} sessions, ${cli.sizes.rounds} alternating slices per side, summed; every request to the other instance than the one before. The instances keep sessions, \`streams.eventLog\` and \`bus\` on Postgres with \`createPostgresBackend\`'s defaults for a direct connection (a pool of 3, LISTEN/NOTIFY wake-ups, named statements), and in the "unnamed" rows with \`preparedStatements: false\`, as behind a pooler in transaction mode. Per CPU-second counts both instances and every Postgres process (the postmaster and its children, reaped ones included); "Postgres share" is its part of that CPU. Rounds: each round's throughput ratio, lowest to highest.`,
    `- Statements: every statement a client ran (pg_stat_statements, preloaded for the run), the idle traffic over as long (read over ${
      cli.sizes.idleMs / 1_000
    } s before) subtracted. Round trips: one per statement, plus one per statement with parameters when unnamed (postgres.js describes it first); named statements are described once per connection.`,
    "",
    "| runtime (load) | workload | 1 instance, memory (req/s, per CPU-s) | 2 instances + Postgres (req/s, per CPU-s) | ratio (throughput) | rounds | ratio per CPU-s | Postgres share of CPU | target (throughput) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of reports) {
    for (
      const [name, pair, target] of [
        ["JSON tools/call", r.json, 0.6],
        ["10-progress (SSE)", r.progress, 0.4],
      ] as const
    ) {
      const raw = rate(pair.shared) / rate(pair.memory);
      const rounds = `${fmt(Math.min(...pair.ratios), 2)}–${fmt(Math.max(...pair.ratios), 2)}×`;
      lines.push(
        `| ${label(r)} (${r.load}) | ${name} | ${fmt(rate(pair.memory))}, ${
          fmt(perCpu(pair.memory))
        } | ${fmt(rate(pair.shared))}, ${fmt(perCpu(pair.shared))} | ${
          fmt(raw, 2)
        }× | ${rounds} | ${fmt(perCpu(pair.shared) / perCpu(pair.memory), 2)}× | ${
          fmt(pair.postgresShare * 100)
        }% | ${r.prepared ? `≥ ${target}× ${raw >= target ? "✓" : "✗"}` : "— (recorded)"} |`,
      );
    }
  }
  lines.push(
    "",
    `| runtime | Postgres statements / round trips per JSON tools/call (${cli.sizes.monitoredCalls} sequential) | per 10-progress call (${WORKERS} callers) | session-table bytes per idle session (${
      fmt(cli.sizes.idleSessions)
    } made) | connections per instance (a, b) |`,
    "| --- | --- | --- | --- | --- |",
  );
  const counts = (c: Counts) => `${fmt(c.statements, 2)} / ${fmt(c.roundTrips, 2)}`;
  for (const r of reports) {
    lines.push(
      `| ${label(r)} (${r.version}) | ${counts(r.jsonCounts)} | ${counts(r.progressCounts)} | ${
        fmt(r.bytesPerSession)
      } | ${r.connections.join(", ")} |`,
    );
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.cluster) throw new Error("--redis is the Redis bench's (bench/redis_scale.ts)");
  console.log(planLine(postgresPlan(cli)));
  if (cli.plan) return;
  const started = performance.now();
  const pg = await startBenchPostgres();
  const reports: RuntimeReport[] = [];
  try {
    // A smoke run checks the default configuration only (it stays short), its runtimes side by
    // side.
    for (const prepared of cli.smoke ? [true] : [true, false]) {
      const runtimes = cli.runtimes.map((runtime) => () => {
        console.error(`== ${runtime}${prepared ? "" : ", unnamed statements"}`);
        return benchRuntime(runtime, pg, cli, prepared);
      });
      reports.push(...await inTurnOrTogether(runtimes, cli.sizes.together));
    }
  } finally {
    await pg.stop();
  }
  const text = report(reports, cli, pg.version, (performance.now() - started) / 1_000);
  console.log(text);
  if (cli.append !== undefined) writeSection(cli.append, SECTION, text);
}

await main();
