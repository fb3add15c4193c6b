/**
 * The benchmark harness. One Node driver starts every server of every
 * runtime as a child process on 127.0.0.1 (ports 18801-18899), pre-creates
 * sessions, drives it and prints one set of tables; a full run also
 * regenerates bench/RESULTS.md, then (scripts/performance_table.ts) the performance table of
 * docs/performance.md and the README's summary from it.
 * Single-request workloads and session creation are driven with wrk
 * (bench/lib/wrk.ts) where it is installed, MRTR rounds and everything when
 * wrk is missing with autocannon 9 (bench/lib/load.ts); every row names its
 * generator. Peers (mcp-lite, tmcp, @hono/mcp, fastmcp, SDK v1 and v2) and
 * the floors run beside tether; per server CPU-second is the primary figure.
 *
 *   npm run bench           (node_modules/node24/bin/node bench/run.ts)  the single-process run, writes its sections of bench/RESULTS.md and docs/performance.md's table
 *   npm run bench:scale / bench:gateway / bench:all  the scale-out and gateway reports (their own sections), all three
 *   npm run bench:smoke     (node_modules/node24/bin/node bench/run.ts --smoke)  CI smoke (under a minute), exits 1 on any wrong answer
 *   options: --runtime deno,bun,node   --only steady,progress,large,large-1m,init,stateless,mrtr,memory,streams,<server key>,...
 *            --generator wrk|autocannon (default: wrk where installed)   --out FILE
 *            --wide (the rows without a target that need servers of their own, plans.ts `wideOnly`)
 *            --plan (print the run's planned duration, every bench command's (bench/plan.ts), exit)
 *
 * See bench/README.md for what each workload does.
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeReport } from "./lib/results_section.ts";
import { relative, resolve } from "node:path";
import { wrkBinary } from "./lib/wrk.ts";
import { BINARIES, inTurnOrTogether, ROOT, type Runtime } from "./lib/proc.ts";
import { parseCli } from "./run/cli.ts";
import { memoryPhase, streamsPhase } from "./run/memory_streams.ts";
import { floorScalePhase, scaleRecheckPhase } from "./run/scale_pairs.ts";
import { WORKLOADS } from "./run/plans.ts";
import { FULL, type Settings, SMOKE } from "./run/settings.ts";
import { calibrate, conditions, machine, report } from "./run/report.ts";
import { failures } from "./run/results.ts";
import { main as writePerformancePages } from "../scripts/performance_table.ts";
import { throughputPhase } from "./run/throughput.ts";
import { describePlan, runPlan } from "./run/duration.ts";
import { planLine } from "./lib/plan.ts";
import { describeCommands } from "./plan.ts";

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const settings: Settings = {
    ...(cli.smoke ? SMOKE : FULL),
    generator: cli.generator,
    ...(cli.wide ? { wide: true } : {}),
  };
  console.log(
    planLine(runPlan(settings, cli.runtimes, [...cli.onlyWorkloads, ...cli.onlyServers])),
  );
  if (cli.plan) {
    // This run's phases, then every bench command's plan (bench/plan.ts, npm run bench:plan).
    console.log(`${describePlan(settings, cli.runtimes.length)}\n${describeCommands()}`);
    return;
  }
  const started = performance.now();
  const script = relative(ROOT, process.argv[1]);
  const command = [process.execPath, ...process.execArgv, script, ...process.argv.slice(2)].join(
    " ",
  );
  conditions.loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  // A smoke run compares nothing: the calibration's few seconds would buy it nothing.
  if (!settings.smoke) conditions.effectiveCores = await calibrate();
  console.log(
    `tether bench: ${cli.smoke ? "smoke" : "full"} run on ${
      cli.runtimes.join(", ")
    } — ${machine()}; ` +
      (settings.smoke
        ? ""
        : `two busy threads get ${conditions.effectiveCores.toFixed(2)} cores; `) +
      `load average ${conditions.loadBefore}`,
  );

  if (cli.generator === "autocannon") {
    console.log(
      wrkBinary() === undefined
        ? "wrk is not installed (Debian: apt-get install wrk): autocannon drives every workload; the rows say so"
        : "--generator autocannon: autocannon drives every workload",
    );
  }
  const workloads = cli.onlyWorkloads.length > 0 ? cli.onlyWorkloads : [...WORKLOADS];
  const servers = cli.onlyServers;
  // A smoke run opens its streams on the throughput phase's processes of the same servers.
  const streams = workloads.includes("streams");
  const alongside = streams && settings.concurrent;
  /** One runtime's phases: in turn, or side by side (a smoke run). */
  const runtimePhases = async (runtime: Runtime) => {
    console.log(`\n== ${runtime}`);
    const phases = [
      () =>
        throughputPhase(
          runtime,
          workloads,
          servers,
          settings,
          alongside ? (running) => streamsPhase(runtime, servers, settings, running) : undefined,
        ),
      async () => {
        if (!workloads.includes("memory")) return;
        const scaling = [
          () => memoryPhase(runtime, servers, settings),
          () => floorScalePhase(runtime, servers, settings),
        ];
        await inTurnOrTogether(scaling, settings.concurrent);
        await scaleRecheckPhase(runtime, servers, settings);
      },
      async () => {
        if (streams && !alongside) await streamsPhase(runtime, servers, settings);
      },
    ];
    await inTurnOrTogether(phases, settings.concurrent);
  };
  // The runtimes in turn, a smoke run's too: three runtimes' servers at once starve the driver
  // on a loaded 2-core host (its requests then outwait a server's 5 s keep-alive).
  for (const runtime of cli.runtimes) await runtimePhases(runtime);

  conditions.loadAfter = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const seconds = (performance.now() - started) / 1000;
  const text = report(cli.runtimes, settings, command, seconds);
  console.log("\n" + text);
  if (cli.out !== undefined) {
    const file = resolve(ROOT, cli.out);
    writeReport(file, text); // the scale-out and gateway sections (other commands') are kept
    try {
      // Tables padded the way `deno fmt` (the repository's formatter) writes them.
      execFileSync(BINARIES.deno, ["fmt", "--quiet", file], { cwd: ROOT, stdio: "ignore" });
    } catch { /* unformatted is fine */ }
    console.log(`wrote ${cli.out}`);
    // docs/performance.md's table and the README's summary, from the RESULTS.md just written.
    if (cli.out === "bench/RESULTS.md" && !settings.smoke) writePerformancePages([]);
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
