/**
 * The memory-and-scaling and the concurrent-streams phases: sessions created in bulk and the
 * server's memory read, then many streams held open from the driver. Adds rows to results.ts.
 * @module
 */

import { openStreams } from "../lib/streams.ts";
import { measureScalePair, type ScalePair, type ScaleServer } from "../scale_pair.ts";
import { median } from "../lib/load.ts";
import { cpuSecondsPrecise, type Runtime } from "../lib/proc.ts";
import { find, fmtInt, fmtMicros, fmtRatio, perRoundRatios } from "./format.ts";
import { MEMORY_PLANS, type ProcessPlan, type ServerKey, STREAM_PLANS } from "./plans.ts";
import type { Settings } from "./settings.ts";
import {
  fail,
  loadRows,
  type MemoryRow,
  memoryRows,
  scaleRechecks,
  type StreamRow,
  streamRows,
} from "./results.ts";
import { interleaved, type Running, start, warm } from "./measure.ts";
import {
  adminCreate,
  adminMemory,
  createSessionsOverHttp,
  echoTemplate,
  echoTraffic,
  elapsed,
  probe,
  takeIds,
} from "./traffic.ts";

/**
 * Memory and scaling phase of one runtime, per server: a "few" process keeps
 * `memoryBase` sessions; a "many" process grows to each memory step (memory
 * read after forced GC at each), then both are measured interleaved with
 * tools/call rotated across all of their sessions.
 */
export async function memoryPhase(runtime: Runtime, servers: ServerKey[], settings: Settings) {
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
      for (const step of memoryStepsOf(plan, settings)) {
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
      if (plan.scalePair === false) continue;
      // The scale pair is timed on a third process, grown the same way but never made to
      // collect garbage: a forced gc() can leave Node's own process.nextTick on a slow path
      // for the rest of the process (bench/notes/2026-11-24-gap-under-load.md, "Forced GC and the scale pair"), and
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

/** The memory steps `plan`'s "many" process grows through (up to its `memoryMax`). */
export function memoryStepsOf(
  plan: ProcessPlan,
  settings: Pick<Settings, "memorySteps">,
): number[] {
  const steps = settings.memorySteps.filter((step) => step <= (plan.memoryMax ?? Infinity));
  return steps.length > 0 ? steps : settings.memorySteps.slice(0, 1);
}

/** A scale pair in two fresh processes (bench/scale_pair.ts): the last memory step ÷ the base. */
function scalePair(runtime: Runtime, server: ScaleServer, settings: Settings): Promise<ScalePair> {
  return measureScalePair({
    runtime,
    server,
    sessions: settings.memorySteps[settings.memorySteps.length - 1],
    base: settings.memoryBase,
    connections: settings.connections,
    timing: settings.wrk.scale,
  });
}

/**
 * The legacy floor's scale pair (bench/scale_pair.ts, wrk only): tools/call per server CPU-second
 * at the last memory step ÷ at `memoryBase` sessions, the bound tether's scaling target is judged
 * against where it is below 0.9 (bench/run/headline.ts). Adds two "scale" rows for "floor-legacy".
 */
export async function floorScalePhase(runtime: Runtime, servers: ServerKey[], settings: Settings) {
  if (servers.length > 0 && !servers.includes("floor-legacy")) return;
  const big = settings.memorySteps[settings.memorySteps.length - 1];
  if (settings.generator !== "wrk") {
    console.log(
      `${elapsed()} ${runtime.padEnd(4)} scale        floor-legacy: needs wrk, not measured`,
    );
    return;
  }
  try {
    const pair = await scalePair(runtime, "floor-legacy", settings);
    for (const [sessions, result] of [[settings.memoryBase, pair.few], [big, pair.many]] as const) {
      loadRows.push({
        runtime,
        workload: "scale",
        server: "floor-legacy",
        sessions,
        result,
        generator: "wrk",
      });
    }
    console.log(
      `${elapsed()} ${runtime.padEnd(4)} scale        floor-legacy ${
        fmtInt(big)
      } ÷ ${settings.memoryBase} sessions per server CPU-s: rounds ${
        pair.ratios.map((r) => r.toFixed(2)).join(" ")
      }`,
    );
  } catch (error) {
    fail(
      `${runtime} scale floor-legacy: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * The scale row is never settled by one run: its six rounds spread widely (0.64–1.12 around a
 * median of 0.77 on Node, 2026-11-27), so a single run lands on either side of its line wherever
 * the row truly lies. Both scale pairs, tether's and the legacy floor's, are measured
 * `settings.rechecks` times more, each in two fresh processes (bench/scale_pair.ts), and the row
 * is judged on the median of each pair's runs' medians (`scaleRechecks`). Always, not only near
 * the line, so the rule favours neither side.
 */
export async function scaleRecheckPhase(
  runtime: Runtime,
  servers: ServerKey[],
  settings: Settings,
): Promise<void> {
  if (settings.rechecks === 0 || settings.generator !== "wrk") return;
  if (servers.length > 0 && !(servers.includes("tether") && servers.includes("floor-legacy"))) {
    return;
  }
  const big = settings.memorySteps[settings.memorySteps.length - 1];
  const rounds = (server: ServerKey) =>
    perRoundRatios(
      find(runtime, "scale", server, big),
      find(runtime, "scale", server, settings.memoryBase),
      true,
    );
  if (rounds("tether").length === 0 || rounds("floor-legacy").length === 0) return;
  for (let k = 0; k < settings.rechecks; k++) {
    for (const server of ["tether", "floor-legacy"] as const) {
      try {
        const pair = await scalePair(runtime, server, settings);
        scaleRechecks.push({ runtime, server, ratios: pair.ratios });
        console.log(
          `${elapsed()} ${runtime.padEnd(4)} scale again  ${server} ${
            fmtInt(big)
          } ÷ ${settings.memoryBase} sessions per server CPU-s, fresh processes: ${
            fmtRatio(median(pair.ratios))
          } (rounds ${pair.ratios.map((r) => r.toFixed(2)).join(" ")})`,
        );
      } catch (error) {
        fail(
          `${runtime} scale ${server} (again): ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
        return;
      }
    }
  }
}

/**
 * Concurrent-streams phase of one runtime: `streams.rounds` rounds, each
 * server once a round in a fresh process, the order rotated from round to
 * round (a drift in the machine's memory or load hits every server alike).
 * One row per server: the medians of its rounds, with each round's RSS per
 * stream (`rssRounds`, in round order, so a ratio can be taken round by round).
 */
export async function streamsPhase(runtime: Runtime, servers: ServerKey[], settings: Settings) {
  const plans = STREAM_PLANS.filter((plan) =>
    servers.length === 0 || servers.includes(plan.server)
  );
  const rounds = new Map<ServerKey, StreamRow[]>(plans.map((plan) => [plan.server, []]));
  for (let round = 0; round < settings.streams.rounds; round++) {
    for (let i = 0; i < plans.length; i++) {
      const plan = plans[(i + round) % plans.length];
      const row = await measureStreams(runtime, plan, settings);
      if (row !== undefined) rounds.get(plan.server)!.push(row);
    }
  }
  for (const [server, rows] of rounds) {
    if (rows.length === settings.streams.rounds) streamRows.push(medianRow(rows));
    else if (rows.length > 0) {
      fail(
        `${runtime} streams ${server}: ${rows.length} of ${settings.streams.rounds} rounds measured`,
      );
    }
  }
}

/** One row of the medians of `rows` (one server's rounds), each round's RSS per stream kept. */
function medianRow(rows: StreamRow[]): StreamRow {
  const of = (field: (row: StreamRow) => number) => median(rows.map(field));
  return {
    ...rows[0],
    openSeconds: of((r) => r.openSeconds),
    rssPerStream: of((r) => r.rssPerStream),
    rssOrdinaryGcPerStream: of((r) => r.rssOrdinaryGcPerStream),
    heapPerStream: of((r) => r.heapPerStream),
    rssAfterPerStream: of((r) => r.rssAfterPerStream),
    heapAfterPerStream: of((r) => r.heapAfterPerStream),
    cpuPerStreamSecond: of((r) => r.cpuPerStreamSecond),
    serverCores: of((r) => r.serverCores),
    window: of((r) => r.window),
    ok: Math.min(...rows.map((r) => r.ok)),
    bad: rows.reduce((sum, r) => sum + r.bad, 0),
    errors: rows.reduce((sum, r) => sum + r.errors, 0),
    rssRounds: rows.map((r) => r.rssPerStream),
  };
}

/**
 * One server's round of the streams phase: a fresh process gets its
 * sessions and a short warm-up batch, then a memory baseline; `streams.count`
 * ticker calls are opened at once from the driver. Server CPU is read over the
 * window in which all are open, memory at its end while they still are, and
 * again once all have ended. Each memory reading follows the memory-reducing
 * GC (V8), so the young generation's pages, which hold garbage, not streams,
 * are not counted as the streams'; the open streams' RSS is also read after
 * an ordinary forced GC (`rssOrdinaryGcPerStream`), as earlier runs read it. Undefined when the
 * round failed (reported with `fail`).
 */
async function measureStreams(
  runtime: Runtime,
  plan: (typeof STREAM_PLANS)[number],
  settings: Settings,
): Promise<StreamRow | undefined> {
  const { count, seconds, perSession } = settings.streams;
  const running = await start(runtime, plan);
  if (running === undefined) return undefined;
  const what = `${runtime} streams ${plan.server}`;
  try {
    const { ids: sessions } = await createSessionsOverHttp(
      running.base,
      Math.ceil(count / perSession),
      plan.sessionful,
    );
    const open = (streams: number, length: number) => {
      const firstId = takeIds(streams);
      return openStreams({ base: running.base, sessions, streams, seconds: length, firstId });
    };
    // Two-second calls (one in a smoke run, which has four servers to hold streams on).
    const warmup = await open(Math.min(count, 50), settings.smoke ? 1 : 2).finished;
    if (warmup.ok !== Math.min(count, 50)) {
      throw new Error(
        `warm-up: ${warmup.bad} wrong, ${warmup.errors} failed (first: ${warmup.badSample})`,
      );
    }
    // The ordinary forced GC first: the memory-reducing one would shrink what it reads.
    const beforeOrdinary = await adminMemory(running.base);
    const before = await adminMemory(running.base, true);
    const started = performance.now();
    const streams = open(count, seconds);
    const openSeconds = await streams.opened;
    // To the nanosecond: a smoke run's window (about a second, 50 streams) holds less than one
    // clock tick of a quiet server's CPU, which /proc/<pid>/stat would read as 0.
    const cpuOpen = cpuSecondsPrecise(running.server.pid);
    const windowStart = performance.now();
    // Hold until 1.5 s before the first stream ends, leaving time to read memory while all are open.
    const windowEnd = started + (seconds - 1.5) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowEnd - windowStart)));
    const cpu = cpuSecondsPrecise(running.server.pid) - cpuOpen;
    const window = (performance.now() - windowStart) / 1000;
    const duringOrdinary = await adminMemory(running.base);
    const during = await adminMemory(running.base, true);
    const readAt = (performance.now() - started) / 1000;
    const outcome = await streams.finished;
    const after = await adminMemory(running.base, true);
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
      rssOrdinaryGcPerStream: (duringOrdinary.rss - beforeOrdinary.rss) / count,
      heapPerStream: (during.heapUsed - before.heapUsed) / count,
      rssAfterPerStream: (after.rss - before.rss) / count,
      heapAfterPerStream: (after.heapUsed - before.heapUsed) / count,
      cpuPerStreamSecond: cpu / window / count,
      serverCores: cpu / window,
      window,
      ok: outcome.ok,
      bad: outcome.bad,
      errors: outcome.errors,
      rssRounds: [],
    };
    console.log(
      `${elapsed()} ${runtime.padEnd(4)} streams      ${plan.server.padEnd(10)} ${count} open in ${
        openSeconds.toFixed(2)
      } s  rss ${fmtInt(row.rssPerStream)} B/stream  heap ${fmtInt(row.heapPerStream)} B/stream` +
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
    return row;
  } catch (error) {
    fail(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  } finally {
    await running.server.stop();
  }
}
