/**
 * The throughput phase: each workload measured interleaved across servers, the paired runs of its
 * close pairs (paired.ts), and the refusal probes. Adds rows to results.ts.
 * @module
 */

import { probeRefusals, type ServerRefusals } from "../lib/refusals.ts";
import type { Runtime } from "../lib/proc.ts";
import { POST_HEADERS } from "../lib/protocol.ts";
import { PLANS, type ServerKey, type Workload, workloadsOf } from "./plans.ts";
import type { Settings } from "./settings.ts";
import { fail, refusalRows } from "./results.ts";
import { elapsed, JSON_ONLY_HEADERS, probe } from "./traffic.ts";
import { type Entry, interleaved, label, type Running, start, trafficOf } from "./measure.ts";
import { pairedRuns } from "./paired.ts";

/** Throughput phase of one runtime: steady, progress, init, each measured interleaved across servers. */
export async function throughputPhase(
  runtime: Runtime,
  workloads: Workload[],
  servers: ServerKey[],
  settings: Settings,
) {
  const plans = PLANS.filter((p) =>
    (servers.length === 0 || servers.includes(p.server)) &&
    workloadsOf(p, settings).some((w) => workloads.includes(w))
  );
  const running: Running[] = [];
  for (const plan of plans) {
    const r = await start(runtime, plan);
    if (r !== undefined) running.push(r);
  }
  try {
    for (
      const workload of [
        "steady",
        "progress",
        "large",
        "large-1m",
        "init",
        "stateless",
        "mrtr",
      ] as const
    ) {
      if (!workloads.includes(workload)) continue;
      const entries: Entry[] = [];
      for (const r of running.filter((r) => workloadsOf(r.plan, settings).includes(workload))) {
        const row = { runtime, workload, server: r.plan.server };
        try {
          const traffic = await trafficOf(r, workload, settings);
          await probe(r.base, traffic.sequence[0]);
          entries.push({ running: r, row, traffic });
        } catch (error) {
          fail(`${label(row)}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (workload === "steady" || workload === "stateless") {
        await interleaved(entries, "steady", settings);
        await pairedRuns(entries, workload, settings);
      } else if (workload === "progress" || workload === "large" || workload === "large-1m") {
        await interleaved(entries, "short", settings);
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
export async function probeRefusalsOf(
  runtime: Runtime,
  running: readonly Running[],
): Promise<void> {
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
