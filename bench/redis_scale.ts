/**
 * Scale-out bench: two tether instances on one Redis (createRedisBackend)
 * against one instance in memory, on each runtime, driven from this process
 * the way a load balancer spreads a client: every request goes to the next
 * instance in turn. Prints (and with `--out FILE` writes) one report:
 *
 * - throughput of JSON `tools/call` and of a 10-progress SSE tool in two
 *   shapes (its events in one burst; one every 20 ms, as a real tool's
 *   ticks come), raw and per CPU-second of everything that serves it (the
 *   instances and, for the Redis rows, redis-server too), as a ratio to the
 *   memory instance and to the Redis floor (bench/servers/floor_redis.ts:
 *   two instances on the same Redis sending the least that keeps tether's
 *   promises), the three measured in alternating slices;
 * - Redis commands per call of each workload, tether's and the floor's
 *   (`INFO commandstats` deltas, every master of a Cluster summed, scripts'
 *   own commands included, idle traffic subtracted), with Redis's µs in them;
 * - Redis round trips per JSON `tools/call` (commands sent by clients, seen
 *   with MONITOR, idle traffic of the bus readers subtracted), and the
 *   commands its scripts run; the same per 10-progress call, with `WORKERS`
 *   callers (writes to one budget book share a booking under load);
 * - first byte of a `Last-Event-ID` resume on the other instance, and the
 *   latency of a `notifications/cancelled` or an elicitation reply posted to
 *   the instance that is not running the tool (p50/p99);
 * - Redis memory per idle session (INFO memory, 2,000 sessions);
 * - Redis bytes out and commands per request at 2 and 8 instances on one
 *   Redis (bench/lib/redis_fanout.ts): a JSON call, a cancel posted to
 *   another instance than the holder's (one bus message), and a 2026-07-28
 *   cancel posted to another instance than the call's; with the idle traffic
 *   per instance (subtracted from those) as its own column.
 *
 * The load generator is a closed loop of `fetch` calls in this Node process
 * (wrk cannot rotate hosts per request); it shares the two cores with the
 * servers, so raw figures are bounded by it, and per-CPU-second figures are
 * the ones to compare.
 *
 *   node_modules/node24/bin/node bench/redis_scale.ts [--runtime node,deno,bun] [--seconds 4]
 *     [--redis node|cluster]        one redis-server (default), or a local Redis Cluster of 3
 *                                   masters + 3 replicas (scripts/redis_topologies.ts) for the
 *                                   throughput and latency rows (its own section; no MONITOR
 *                                   round trips, idle-session memory or fan-out table there)
 *     [--append bench/RESULTS.md]   replace (or add) this report's section in a results file
 *     [--smoke]                     one short slice and a sample or a few calls of each row:
 *                                   checks that it runs and answers right (CI), measures nothing
 *     [--plan]                      print the plan line (scale_out/plan.ts) and exit
 * `npm run bench` runs it after bench/run.ts, appending to bench/RESULTS.md.
 */

import { loadavg } from "node:os";
import { writeSection } from "./lib/results_section.ts";
import { freeRigPort as freePort } from "../scripts/rig_processes.ts";
import {
  inTurnOrTogether,
  type Runtime,
  RUNTIMES,
  type ServerProcess,
  startServer,
} from "./lib/proc.ts";
import { measureFanout } from "./lib/redis_fanout.ts";
import { ECHO_TEXT } from "./lib/protocol.ts";
import {
  call,
  compareSides,
  drive,
  isDone,
  isEcho,
  post,
  sessionsOf,
  sharedSessions,
  type Target,
  usedMemory,
} from "./scale_out/calls.ts";
import { commandsPerCall, idleRate } from "./scale_out/commands.ts";
import { cancelLatency, replyLatency, resumeLatency } from "./scale_out/latency.ts";
import { planLine } from "./lib/plan.ts";
import { redisPlan } from "./scale_out/plan.ts";
import { type Redis, startCluster, startRedis } from "./scale_out/redis.ts";
import { report, type RuntimeReport } from "./scale_out/report.ts";
import {
  CLUSTER_SECTION,
  FLOOR,
  parseCli,
  SECTION,
  SERVER,
  type Sizes,
  SPREAD_WORKERS,
  WORKERS,
} from "./scale_out/settings.ts";

/** One runtime's figures: the instances started, measured and stopped. */
async function benchRuntime(runtime: Runtime, redis: Redis, seconds: number, sizes: Sizes) {
  // Each runtime's own (a smoke run's start in the same millisecond), all of one length.
  const prefix = `bench${Date.now() + RUNTIMES.indexOf(runtime)}:`;
  // Each step's seconds on stderr: where a run's time goes.
  let stepStart = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    console.error(`  ${runtime} ${name}: ${((now - stepStart) / 1_000).toFixed(1)} s`);
    stepStart = now;
  };
  const started: ServerProcess[] = [];
  const load = loadavg().map((n) => n.toFixed(1)).join(" / ");
  try {
    const memory = await startServer(runtime, SERVER, [], { port: await freePort() });
    started.push(memory);
    const redisArgs = [...redis.serverArgs, "--prefix", prefix];
    const a = await startServer(runtime, SERVER, redisArgs, { port: await freePort() });
    started.push(a);
    const b = await startServer(runtime, SERVER, redisArgs, { port: await freePort() });
    started.push(b);
    const floorArgs = [...redis.serverArgs, "--prefix", `${prefix}floor:`];
    const fa = await startServer(runtime, FLOOR, floorArgs, { port: await freePort() });
    started.push(fa);
    const fb = await startServer(runtime, FLOOR, floorArgs, { port: await freePort() });
    started.push(fb);
    const sessions = await sessionsOf(memory.port, a.port, b.port);
    const [memoryTargets, redisTargets] = [sessions.memory, sessions.shared];
    const floorTargets = await sharedSessions(fa.port, fb.port);
    const echo = (id: number) => call(id, "echo", { text: ECHO_TEXT });
    const progress = (id: number) => call(id, "progress10", {}, `p${id}`);
    const spread = (id: number) => call(id, "progress10spread", {}, `p${id}`);
    const memorySide = { targets: memoryTargets, serving: [memory.pid] };
    const redisSide = { targets: redisTargets, serving: [a.pid, b.pid, ...redis.pids] };
    const floorSide = { targets: floorTargets, serving: [fa.pid, fb.pid, ...redis.pids] };
    for (const side of sizes.warmup ? [memorySide, redisSide, floorSide] : []) {
      await drive(side.targets, side.serving, Math.max(1, seconds / 5), echo, isEcho);
    }
    /** Memory, tether on Redis and the floor on Redis in alternating slices, then summed. */
    const sides = async (
      body: (id: number) => string,
      check: typeof isEcho,
      workers = WORKERS,
    ) => {
      const { loads, ratios } = await compareSides(
        [memorySide, redisSide, floorSide],
        seconds,
        body,
        check,
        workers,
        sizes.rounds,
      );
      const rounds = ratios.map(([, tether, floor]) => tether / floor);
      return { memory: loads[0], redis: loads[1], floor: loads[2], rounds };
    };
    step("instances and sessions, warm-up");
    const json = await sides(echo, isEcho);
    const progressLoads = await sides(progress, isDone);
    const spreadLoads = await sides(spread, isDone, SPREAD_WORKERS);
    step("throughput");

    // Redis commands per call, every command Redis ran (scripts' own too), idle traffic subtracted.
    const idleCommands = await idleRate(redis, sizes.idleMs);
    const count = (targets: Target[], body: (id: number) => string, workers = WORKERS) =>
      commandsPerCall(redis, targets, body, isDone, sizes.monitoredCalls, workers, idleCommands);
    const countJson = (targets: Target[]) =>
      commandsPerCall(redis, targets, echo, isEcho, sizes.monitoredCalls, WORKERS, idleCommands);
    const commands = {
      tether: {
        json: await countJson(redisTargets),
        burst: await count(redisTargets, progress),
        spread: await count(redisTargets, spread, SPREAD_WORKERS),
      },
      floor: {
        json: await countJson(floorTargets),
        burst: await count(floorTargets, progress),
        spread: await count(floorTargets, spread, SPREAD_WORKERS),
      },
    };
    // The floors are done: their sessions are not the idle-session or fan-out rows'.
    for (const floor of [fa, fb]) {
      await floor.stop();
      started.splice(started.indexOf(floor), 1);
    }
    step("commands per call");

    for (const pair of [json, progressLoads, spreadLoads]) {
      for (const load of [pair.memory, pair.redis, pair.floor]) {
        if (load.bad > 0) throw new Error(`${runtime}: ${load.bad} wrong answers`);
      }
    }
    const measured = {
      runtime,
      load,
      version: memory.version,
      json,
      progress: progressLoads,
      spread: spreadLoads,
      commands,
    };
    const [ta, tb] = [redisTargets[0], redisTargets[1]];
    if (redis.cluster) {
      // The throughput and latency rows only: MONITOR and INFO would be per node.
      return {
        ...measured,
        roundTripsPerCall: NaN,
        scriptCommandsPerCall: NaN,
        progressRoundTrips: NaN,
        progressScriptCommands: NaN,
        resume: await resumeLatency(ta, tb, sizes),
        cancel: await cancelLatency(ta, tb, sizes),
        reply: await replyLatency(ta, tb, sizes),
        bytesPerSession: NaN,
        fanout: [],
      } satisfies RuntimeReport;
    }

    // Round trips to Redis per JSON tools/call: commands from clients (MONITOR lines not
    // from Lua) over N calls, less the idle traffic (bus reads, heartbeats) over as long.
    const monitor = await redis.monitor();
    await new Promise((resolve) => setTimeout(resolve, sizes.idleMs));
    const idle = monitor.take();
    const idlePerMs = idle.clients / idle.ms;
    const calls = sizes.monitoredCalls;
    for (let i = 0; i < calls; i++) {
      const response = await post(redisTargets[i % redisTargets.length], echo(i));
      if (!isEcho(await response.text(), i)) throw new Error("echo answered wrongly");
    }
    const busy = monitor.take();
    let next = 0;
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (next < calls) {
        const id = next++;
        const response = await post(redisTargets[id % redisTargets.length], progress(id));
        if (!isDone(await response.text(), id)) throw new Error("progress10 answered wrongly");
      }
    }));
    const streamed = monitor.take();
    await monitor.stop();
    const roundTripsPerCall = (busy.clients - idlePerMs * busy.ms) / calls;
    const scriptCommandsPerCall = busy.scripted / calls;
    const progressRoundTrips = (streamed.clients - idlePerMs * streamed.ms) / calls;
    const progressScriptCommands = streamed.scripted / calls;

    step("round trips");
    const resume = await resumeLatency(ta, tb, sizes);
    const cancel = await cancelLatency(ta, tb, sizes);
    const reply = await replyLatency(ta, tb, sizes);

    step("latencies");
    const before = await usedMemory(redis);
    const created = await fetch(
      `http://127.0.0.1:${a.port}/__bench/sessions?n=${sizes.idleSessions}`,
      {
        method: "POST",
      },
    );
    await created.text();
    const bytesPerSession = (await usedMemory(redis) - before) / sizes.idleSessions;
    // Stopped first: their idle traffic (heartbeats of their streams) is not the fan-out's.
    for (const server of started.splice(0)) await server.stop();
    const fanout = await measureFanout(runtime, SERVER, redis, {
      counts: sizes.fanoutCounts,
      requests: sizes.fanoutRequests,
      graceRequests: sizes.fanoutGraceRequests,
      idleMs: sizes.fanoutIdleMs,
      freePort,
    });
    step("idle sessions, fan-out");
    return {
      ...measured,
      roundTripsPerCall,
      scriptCommandsPerCall,
      progressRoundTrips,
      progressScriptCommands,
      resume,
      cancel,
      reply,
      bytesPerSession,
      fanout,
    } satisfies RuntimeReport;
  } finally {
    for (const server of started) await server.stop();
  }
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  console.log(planLine(redisPlan(cli)));
  if (cli.plan) return;
  const started = performance.now();
  const redis = cli.cluster ? await startCluster() : await startRedis();
  const reports: RuntimeReport[] = [];
  try {
    // A smoke run's runtimes side by side (its step lines name their runtime).
    const runtimes = cli.runtimes.map((runtime) => () => {
      console.error(`== ${runtime}`);
      return benchRuntime(runtime, redis, cli.seconds, cli.sizes);
    });
    reports.push(...await inTurnOrTogether(runtimes, cli.sizes.together));
  } finally {
    await redis.stop();
  }
  const text = report(reports, cli, (performance.now() - started) / 1_000);
  console.log(text);
  if (cli.append !== undefined) {
    // This report's section is replaced up to the next section (the other topology's stays).
    writeSection(cli.append, cli.cluster ? CLUSTER_SECTION : SECTION, text);
  }
}

await main();
