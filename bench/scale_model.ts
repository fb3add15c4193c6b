/**
 * The scale model (issue 71): per-request costs measured on this machine played forward to N = 2,
 * 8, 50 and 500 instances on a Redis Cluster for the stated workload. `--measure` measures the
 * costs against local redis-servers (bench/scale_model/measure.ts, under a minute) and writes
 * bench/scale_model/costs.json; `--markdown` prints the table and its assumptions; `--write` puts
 * them in docs/redis.md between its `scale-model` markers, `--check` fails when docs/redis.md
 * differs from what costs.json gives. Without flags: the table, as `--markdown`. `--plan` prints
 * the plan line (scale_model/plan.ts; `--measure` prints it too before measuring) and exits.
 *
 *   node_modules/node24/bin/node bench/scale_model.ts [--measure] [--markdown | --write | --check]
 *     [--plan]
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Costs, COSTS_PATH, readCosts, writeCosts } from "./scale_model/costs.ts";
import { markdown, MARKERS } from "./scale_model/table.ts";
import { scaleModelPlan } from "./scale_model/plan.ts";
import { planLine } from "./lib/plan.ts";
import { formatted } from "../scripts/options_reference.ts";
import { between } from "../scripts/performance_table.ts";

/** docs/redis.md. */
export const DOCS_PATH = new URL("../docs/redis.md", import.meta.url);

/** `page` with the section between the markers replaced by `table`, as `deno fmt` writes it. */
export function withTable(page: string, table: string): string {
  return formatted(between(page, MARKERS.start, MARKERS.end, table));
}

/** Runs the command line; the exit code. */
export async function main(
  args: readonly string[],
  paths: { costs: URL | string; docs: URL | string } = { costs: COSTS_PATH, docs: DOCS_PATH },
): Promise<number> {
  if (args.includes("--plan") || args.includes("--measure")) {
    console.log(planLine(scaleModelPlan(args)));
    if (args.includes("--plan")) return 0;
  }
  if (args.includes("--measure")) {
    const { measureCosts } = await import("./scale_model/measure.ts");
    const measured = await measureCosts();
    const costs: Costs = { ...measured, given: readCosts(paths.costs).given };
    writeCosts(costs, paths.costs);
    console.log(`measured: ${JSON.stringify(measured, null, 2)}`);
  }
  const table = markdown(readCosts(paths.costs));
  if (args.includes("--write") || args.includes("--check")) {
    const page = readFileSync(paths.docs, "utf8");
    const wanted = withTable(page, table);
    if (args.includes("--check")) {
      if (wanted === page) return 0;
      console.error("docs/redis.md's scale model differs: node bench/scale_model.ts --write");
      return 1;
    }
    writeFileSync(paths.docs, wanted);
    return 0;
  }
  console.log(table);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
