/**
 * The throughput phase: each workload measured interleaved across servers, the paired runs of its
 * close pairs (paired.ts), and the refusal probes. Adds rows to results.ts.
 * @module
 */

import { probeRefusals, type ServerRefusals } from "../lib/refusals.ts";
import type { Runtime } from "../lib/proc.ts";
import { POST_HEADERS } from "../lib/protocol.ts";
import { PLANS, type ProcessPlan, type ServerKey, type Workload, workloadsOf } from "./plans.ts";
import type { Settings } from "./settings.ts";
import { fail, refusalRows } from "./results.ts";
import { elapsed, JSON_ONLY_HEADERS, probe } from "./traffic.ts";
import { type Entry, interleaved, label, type Running, startAll, trafficOf } from "./measure.ts";
import { pairedRuns } from "./paired.ts";

/** The workloads of the throughput phase, in the order they are measured. */
const MEASURED = ["steady", "progress", "large", "large-1m", "init", "stateless", "mrtr"] as const;

/**
 * Throughput phase of one runtime: steady, progress, init, each measured interleaved across
 * servers, then the refusal probes. `alongside` runs on the phase's processes beside them (a
 * smoke run's streams phase, which then starts no process of its own).
 */
export async function throughputPhase(
  runtime: Runtime,
  workloads: Workload[],
  servers: ServerKey[],
  settings: Settings,
  alongside?: (running: readonly Running[]) => Promise<void>,
) {
  const chosen = PLANS.filter((p) =>
    (servers.length === 0 || servers.includes(p.server)) &&
    workloadsOf(p, settings).some((w) => workloads.includes(w))
  );
  const running = await startAll(
    runtime,
    settings.concurrent ? oneProcessEach(chosen) : chosen,
    settings,
  );
  /** One workload: its traffic made and probed on each server serving it, then measured. */
  const measureWorkload = async (workload: (typeof MEASURED)[number]) => {
    const entryOf = async (r: Running): Promise<Entry | undefined> => {
      const row = { runtime, workload, server: r.plan.server };
      try {
        const traffic = await trafficOf(r, workload, settings);
        await probe(r.base, traffic.sequence[0]);
        return { running: r, row, traffic };
      } catch (error) {
        fail(`${label(row)}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    };
    const serving = running.filter((r) => workloadsOf(r.plan, settings).includes(workload));
    const made: (Entry | undefined)[] = [];
    if (settings.concurrent) made.push(...await Promise.all(serving.map(entryOf)));
    else for (const r of serving) made.push(await entryOf(r));
    const entries = made.filter((e): e is Entry => e !== undefined);
    if (workload === "steady" || workload === "stateless") {
      await interleaved(entries, "steady", settings);
      await pairedRuns(entries, workload, settings);
    } else if (workload === "progress" || workload === "large" || workload === "large-1m") {
      await interleaved(entries, "short", settings);
      await pairedRuns(entries, workload, settings);
    } else {
      await interleaved(entries, "short", settings);
    }
  };
  // The workloads in turn, a smoke run's too: all at once, their requests would crowd the
  // driver's event loop past a Node server's 5 s keep-alive on a loaded host (a request sent on a
  // connection the server has just closed fails).
  const measureAll = async () => {
    for (const workload of MEASURED) {
      if (workloads.includes(workload)) await measureWorkload(workload);
    }
    // After every timed run: the probes open sessions and send an 8 MiB body.
    if (workloads.includes("steady")) await probeRefusalsOf(runtime, running, settings.concurrent);
  };
  try {
    await Promise.all([measureAll(), alongside?.(running)]);
  } finally {
    await Promise.all(running.map((r) => r.server.stop()));
  }
}

/**
 * The plans with the processes of one server and the same flags made one, serving all their
 * workloads (a smoke run: the separate processes keep a measured row clear of what its process
 * served before, and a smoke run measures nothing).
 */
export function oneProcessEach(plans: readonly ProcessPlan[]): ProcessPlan[] {
  const merged = new Map<string, ProcessPlan>();
  for (const plan of plans) {
    const key = JSON.stringify([plan.server, plan.entry, plan.args]);
    const first = merged.get(key);
    if (first === undefined) {
      merged.set(key, plan);
      continue;
    }
    merged.set(key, {
      ...first,
      workloads: [...first.workloads, ...plan.workloads],
      fullOnly: [...first.fullOnly ?? [], ...plan.fullOnly ?? []],
      wideOnly: [...first.wideOnly ?? [], ...plan.wideOnly ?? []],
    });
  }
  return [...merged.values()];
}

/**
 * The refusal probes (bench/lib/refusals.ts) of each running server of the steady workload; with
 * `together`, every server's at once, and each server's probes at once.
 */
export async function probeRefusalsOf(
  runtime: Runtime,
  running: readonly Running[],
  together = false,
): Promise<void> {
  const probed = async (r: Running) => {
    const accept = r.plan.accept === "json" ? JSON_ONLY_HEADERS.accept : POST_HEADERS.accept;
    let refusals: ServerRefusals;
    try {
      refusals = await probeRefusals(r.server.port, accept, together);
    } catch (error) {
      // A failure of the probes is reported like any other, without ending the run's figures.
      fail(`${runtime} ${r.plan.server}: the refusal probes failed: ${String(error)}`);
      return;
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
  };
  const probing = running.filter((r) => r.plan.workloads.includes("steady"));
  if (together) await Promise.all(probing.map(probed));
  else for (const r of probing) await probed(r);
}
