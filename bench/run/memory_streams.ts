/**
 * The memory-and-scaling and the concurrent-streams phases: sessions created in bulk and the
 * server's memory read, then many streams held open from the driver (the scale pairs in fresh
 * processes are scale_pairs.ts's). Adds rows to results.ts.
 * @module
 */

import { openStreams } from "../lib/streams.ts";
import { median } from "../lib/load.ts";
import { cpuSecondsPrecise, type Runtime } from "../lib/proc.ts";
import { fmtInt, fmtMicros } from "./format.ts";
import { MEMORY_PLANS, type ProcessPlan, type ServerKey, STREAM_PLANS } from "./plans.ts";
import type { Settings } from "./settings.ts";
import { fail, type MemoryRow, memoryRows, type StreamRow, streamRows } from "./results.ts";
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
    const starting = settings.concurrent ? start(runtime, plan, true) : undefined;
    const few = await start(runtime, plan, true);
    const many = starting === undefined ? few && await start(runtime, plan, true) : await starting;
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

/**
 * Concurrent-streams phase of one runtime: `streams.rounds` rounds, each
 * server once a round in a fresh process, the order rotated from round to
 * round (a drift in the machine's memory or load hits every server alike;
 * `settings.concurrent`: every server of a round at once). A server with a
 * process in `running` (a smoke run's throughput phase, the same flags) has
 * its streams opened there rather than in a fresh process.
 * One row per server: the medians of its rounds, with each round's RSS per
 * stream (`rssRounds`, in round order, so a ratio can be taken round by round).
 */
export async function streamsPhase(
  runtime: Runtime,
  servers: ServerKey[],
  settings: Settings,
  running: readonly Running[] = [],
) {
  const plans = STREAM_PLANS.filter((plan) =>
    servers.length === 0 || servers.includes(plan.server)
  );
  const rounds = new Map<ServerKey, StreamRow[]>(plans.map((plan) => [plan.server, []]));
  const measured = async (plan: ProcessPlan) => {
    const same = running.find((r) =>
      r.plan.server === plan.server && r.plan.entry === plan.entry &&
      r.plan.args.join(" ") === plan.args.join(" ")
    );
    const row = await measureStreams(runtime, plan, settings, same);
    if (row !== undefined) rounds.get(plan.server)!.push(row);
  };
  for (let round = 0; round < settings.streams.rounds; round++) {
    if (settings.concurrent) await Promise.all(plans.map(measured));
    else for (let i = 0; i < plans.length; i++) await measured(plans[(i + round) % plans.length]);
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
 * One server's round of the streams phase: a fresh process (or `shared`, left running) gets its
 * sessions and a warm-up batch
 * (`streams.warmup`), then a memory baseline; `streams.count` ticker calls are opened at once from
 * the driver. Server CPU is read over the window in which all are open, memory at its end while
 * they still are, and again once all have ended. Each memory reading follows the memory-reducing
 * GC (V8), so the young generation's pages, which hold garbage, not streams, are not counted as the
 * streams'; the open streams' RSS is also read after an ordinary forced GC
 * (`rssOrdinaryGcPerStream`), as earlier runs read it. A window too short fails a measuring run
 * only (a smoke run's readings mean nothing). Undefined when the round failed (`fail`).
 */
async function measureStreams(
  runtime: Runtime,
  plan: (typeof STREAM_PLANS)[number],
  settings: Settings,
  shared?: Running,
): Promise<StreamRow | undefined> {
  const { count, seconds, perSession } = settings.streams;
  const running = shared ?? await start(runtime, plan);
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
    // Calls of `streams.warmup` seconds (none in a smoke run).
    const warmup = settings.streams.warmup > 0
      ? await open(Math.min(count, 50), settings.streams.warmup).finished
      : undefined;
    if (warmup !== undefined && warmup.ok !== Math.min(count, 50)) {
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
    // To the nanosecond: a smoke run's window (a second or so, 8 streams) holds less than one
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
    if (!settings.smoke && (window < 0.5 || readAt >= seconds)) {
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
    if (shared === undefined) await running.server.stop();
  }
}
