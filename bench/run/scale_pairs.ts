/**
 * The scale pairs measured in two fresh processes each (bench/scale_pair.ts): the legacy floor's,
 * the bound of tether's scaling target, and both pairs again, the scale row's rechecks. Adds rows
 * to results.ts.
 * @module
 */

import { measureScalePair, type ScalePair, type ScaleServer } from "../scale_pair.ts";
import { median } from "../lib/load.ts";
import type { Runtime } from "../lib/proc.ts";
import { find, fmtInt, fmtRatio, perRoundRatios } from "./format.ts";
import type { ServerKey } from "./plans.ts";
import type { Settings } from "./settings.ts";
import { fail, loadRows, scaleRechecks } from "./results.ts";
import { elapsed } from "./traffic.ts";

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
