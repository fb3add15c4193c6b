/**
 * Scale-out bench on Postgres: two tether instances with sessions, the event log and the bus on
 * one PostgreSQL 15 (createPostgresBackend, its defaults) against one instance in memory, on each
 * runtime, with bench/redis_scale.ts's load and method (bench/scale_out/): every request goes to
 * the next instance in turn. Prints (and with `--append FILE` writes) one section:
 *
 * - throughput of JSON `tools/call` and of a 10-progress SSE tool, raw and per CPU-second of
 *   every serving process (both instances and every Postgres process: the postmaster and its
 *   children), as a ratio to the memory instance and to the Postgres floor
 *   (bench/servers/floor_postgres.ts: two instances on the same Postgres sending the least SQL
 *   that keeps tether's promises), the three measured in alternating slices, with each round's
 *   ratios (the spread);
 * - Postgres statements per call (pg_stat_statements, preloaded for the run: every statement a
 *   client ran, BEGIN and COMMIT included; the idle traffic over as long subtracted), for a JSON
 *   call and a 10-progress call with `WORKERS` callers, tether's and the floor's;
 * - bytes of the session tables per idle session (pg_total_relation_size, N sessions made);
 * - connections per instance (pg_stat_activity by application_name, after the load), tether's
 *   and the floor's.
 *
 *   node_modules/node24/bin/node bench/postgres_scale.ts [--runtime node,deno,bun] [--seconds 4]
 *     [--append bench/RESULTS.md] [--smoke] [--plan (print the plan line and exit)]
 * `npm run bench` runs it after bench/redis_scale.ts, appending to bench/RESULTS.md.
 */

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
import {
  call,
  compareSides,
  drive,
  isDone,
  isEcho,
  post,
  sessionsOf,
  sharedSessions,
  type Side,
  type Target,
} from "./scale_out/calls.ts";
import { planLine } from "./lib/plan.ts";
import { postgresPlan } from "./scale_out/plan.ts";
import { type BenchPostgres, startBenchPostgres } from "./scale_out/postgres.ts";
import {
  type Counts,
  POSTGRES_SECTION,
  postgresReport,
  type PostgresRuntimeReport,
} from "./scale_out/postgres_report.ts";
import { type Cli, parseCli, POSTGRES_FLOOR, SERVER, WORKERS } from "./scale_out/settings.ts";

const loadAverage = () => loadavg().map((n) => n.toFixed(1)).join(" / ");

/**
 * A side served by `pids` and Postgres: its serving CPU (what `drive` reads at a slice's start
 * and end), with the Postgres part of the slices since the last `reset` kept apart.
 */
function postgresSide(pg: BenchPostgres, targets: Target[], pids: number[]) {
  let spent = 0;
  let start: number | undefined;
  const serving = () => {
    const postgres = pg.cpu();
    if (start === undefined) start = postgres;
    else [spent, start] = [spent + postgres - start, undefined];
    return postgres + pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  };
  return {
    side: { targets, serving } satisfies Side,
    /** Postgres's CPU seconds in the slices since the last reset. */
    spent: () => spent,
    reset: () => void (spent = 0),
  };
}

async function benchRuntime(runtime: Runtime, pg: BenchPostgres, cli: Cli, prepared: boolean) {
  const started: ServerProcess[] = [];
  const load = loadAverage();
  // Each step's seconds on stderr: where a run's time goes (the plan's costs are fitted to them).
  let stepStart = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    console.error(`  ${runtime} ${name}: ${((now - stepStart) / 1_000).toFixed(1)} s`);
    stepStart = now;
  };
  try {
    const memory = await startServer(runtime, SERVER, [], { port: await freePort() });
    started.push(memory);
    const app = `bench-${runtime}-${Date.now()}-`;
    const instance = async (entry: string, name: string, prefix: string) => {
      const args = ["--postgres", pg.url(app + name), "--prefix", prefix];
      if (!prepared) args.push("--prepared", "false");
      const server = await startServer(runtime, entry, args, { port: await freePort() });
      started.push(server);
      return server;
    };
    const [a, b] = [await instance(SERVER, "a", app), await instance(SERVER, "b", app)];
    // The floor's tables are its own, named by the prefix (an identifier: underscores).
    const floorPrefix = `${app.replaceAll("-", "_")}floor_`;
    const fa = await instance(POSTGRES_FLOOR, "floor-a", floorPrefix);
    const fb = await instance(POSTGRES_FLOOR, "floor-b", floorPrefix);
    const { memory: memoryTargets, shared: tetherTargets } = await sessionsOf(
      memory.port,
      a.port,
      b.port,
    );
    const floorTargets = await sharedSessions(fa.port, fb.port);
    step("instances and sessions");
    const memorySide: Side = { targets: memoryTargets, serving: [memory.pid] };
    const tether = postgresSide(pg, tetherTargets, [a.pid, b.pid]);
    const floor = postgresSide(pg, floorTargets, [fa.pid, fb.pid]);
    const echo = (id: number) => call(id, "echo", { text: ECHO_TEXT });
    const progress = (id: number) => call(id, "progress10", {}, `p${id}`);
    if (cli.sizes.warmup) {
      const warm = Math.max(1, cli.seconds / 5);
      for (const side of [memorySide, tether.side, floor.side]) {
        await drive(side.targets, side.serving, warm, echo, isEcho);
      }
    }
    step("warm-up");
    /** Memory, tether on Postgres and the floor on Postgres in alternating slices, summed. */
    const sides = async (body: (id: number) => string, check: typeof isEcho) => {
      tether.reset();
      floor.reset();
      const { loads, ratios } = await compareSides(
        [memorySide, tether.side, floor.side],
        cli.seconds,
        body,
        check,
        WORKERS,
        cli.sizes.rounds,
      );
      for (const side of loads) {
        if (side.bad > 0) throw new Error(`${runtime}: ${side.bad} wrong answers`);
      }
      return {
        memory: loads[0],
        tether: loads[1],
        floor: loads[2],
        rounds: ratios.map((round) => round[1]),
        floorRounds: ratios.map((round) => round[1] / round[2]),
        postgresShare: tether.spent() / loads[1].cpu,
        floorPostgresShare: floor.spent() / loads[2].cpu,
      };
    };
    const json = await sides(echo, isEcho);
    const progressLoads = await sides(progress, isDone);
    step("throughput");
    const byInstance = await pg.connections(app);
    const connections = {
      tether: ["a", "b"].map((name) => byInstance.get(app + name) ?? 0),
      floor: ["floor-a", "floor-b"].map((name) => byInstance.get(app + name) ?? 0),
    };

    // Statements per call: counted over N calls, less the idle rate read over `idleMs` before.
    await pg.resetStatements();
    const idleStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, cli.sizes.idleMs));
    const idle = await pg.statements();
    const idleMs = performance.now() - idleStart;
    if (process.env.BENCH_DEBUG) console.error(`idle: ${await pg.statementList()}`);
    const calls = cli.sizes.monitoredCalls;
    const counted = async (
      targets: Target[],
      workers: number,
      body: typeof echo,
      check: typeof isEcho,
    ): Promise<Counts> => {
      await pg.resetStatements();
      const start = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: workers }, async () => {
        while (next < calls) {
          const id = next++;
          const response = await post(targets[id % targets.length], body(id));
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
    const counts = {
      tether: {
        json: await counted(tetherTargets, 1, echo, isEcho),
        progress: await counted(tetherTargets, WORKERS, progress, isDone),
      },
      floor: {
        json: await counted(floorTargets, 1, echo, isEcho),
        progress: await counted(floorTargets, WORKERS, progress, isDone),
      },
    };

    step("statements per call");
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
    step("idle sessions");
    return {
      runtime,
      prepared,
      version: memory.version,
      load,
      json,
      progress: progressLoads,
      counts,
      bytesPerSession,
      connections,
    } satisfies PostgresRuntimeReport;
  } finally {
    for (const server of started) await server.stop();
  }
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.cluster) throw new Error("--redis is the Redis bench's (bench/redis_scale.ts)");
  console.log(planLine(postgresPlan(cli)));
  if (cli.plan) return;
  const started = performance.now();
  const pg = await startBenchPostgres();
  console.error(`  postgres start: ${((performance.now() - started) / 1_000).toFixed(1)} s`);
  const reports: PostgresRuntimeReport[] = [];
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
  const text = postgresReport(reports, cli, pg.version, (performance.now() - started) / 1_000);
  console.log(text);
  if (cli.append !== undefined) writeSection(cli.append, POSTGRES_SECTION, text);
}

await main();
