/**
 * The plan of each bench command (`npm run bench`, `bench:scale`, `bench:gateway`, `bench:all`):
 * its programs with the flags package.json gives them, each one's estimate from its own plan
 * function (run/duration.ts, scale_out/plan.ts, scale_model/plan.ts, lib/gateway_plan.ts), and
 * the command's sum against its budget. Starts nothing.
 *
 *   npm run bench:plan   (node_modules/node24/bin/node bench/plan.ts)
 * @module
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gatewayPlan, gatewaySettings } from "./lib/gateway_plan.ts";
import { estimate, type Plan, planLine, sumPlans } from "./lib/plan.ts";
import { ROOT } from "./lib/proc.ts";
import { parseCli as parseRunCli } from "./run/cli.ts";
import { runPlan } from "./run/duration.ts";
import { FULL, SMOKE } from "./run/settings.ts";
import { scaleModelPlan } from "./scale_model/plan.ts";
import { postgresPlan, redisPlan } from "./scale_out/plan.ts";
import { parseCli as parseScaleCli } from "./scale_out/settings.ts";

/** The minutes each command aims at (the budgets). */
export const BUDGETS: Record<string, number> = {
  bench: 30,
  "bench:scale": 20,
  "bench:gateway": 10,
  "bench:all": 60,
};

/** The plan of a bench program from its arguments, by its path (none: not a measuring program). */
export const PROGRAMS: Record<string, (args: string[]) => Plan> = {
  "bench/run.ts": (args) => {
    const cli = parseRunCli(args);
    const settings = { ...(cli.smoke ? SMOKE : FULL), ...(cli.wide ? { wide: true } : {}) };
    return runPlan(settings, cli.runtimes, [...cli.onlyWorkloads, ...cli.onlyServers]);
  },
  "bench/redis_scale.ts": (args) => redisPlan(parseScaleCli(args)),
  "bench/postgres_scale.ts": (args) => postgresPlan(parseScaleCli(args)),
  "bench/scale_model.ts": (args) => scaleModelPlan(args),
  "bench/gateway_cost.ts": (args) => gatewayPlan(gatewaySettings(args)),
};

/** A command's plan: each program's, in the order it runs them, and their sum. */
export interface CommandPlan {
  command: string;
  programs: Plan[];
  total: Plan;
}

/**
 * The plan of `npm run <name>` from `scripts` (package.json's): each `node … bench/X.ts args`
 * step's plan, each `npm run other` step's programs; other steps (`deno fmt`) take no time here.
 * @example
 * ```ts
 * import { commandPlan } from "./plan.ts";
 * const scripts = { "bench:gateway": "node bench/gateway_cost.ts --rounds 2 && deno fmt x.md" };
 * commandPlan("bench:gateway", scripts).programs.length; // 1
 * ```
 */
export function commandPlan(name: string, scripts: Record<string, string>): CommandPlan {
  const script = scripts[name];
  if (script === undefined) throw new Error(`package.json has no script ${name}`);
  const programs: Plan[] = [];
  for (const step of script.split("&&").map((part) => part.trim().split(/\s+/))) {
    if (step[0] === "npm" && step[1] === "run") {
      programs.push(...commandPlan(step[2], scripts).programs);
      continue;
    }
    const program = step.findIndex((word) => word in PROGRAMS);
    if (program !== -1) programs.push(PROGRAMS[step[program]](step.slice(program + 1)));
  }
  return { command: name, programs, total: sumPlans(`npm run ${name}`, programs) };
}

/** package.json's scripts. */
export function packageScripts(): Record<string, string> {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;
}

/**
 * Each command's lines: its total against its budget, then its programs' plan lines.
 * @example
 * ```ts
 * import { describeCommands } from "./plan.ts";
 * describeCommands().startsWith("npm run bench: estimated"); // true
 * ```
 */
export function describeCommands(scripts: Record<string, string> = packageScripts()): string {
  const lines: string[] = [];
  for (const name of Object.keys(BUDGETS)) {
    const { programs, total } = commandPlan(name, scripts);
    const over = total.high / 60 > BUDGETS[name] ? " — its upper end is over budget" : "";
    lines.push(`npm run ${name}: ${estimate(total)} (budget ${BUDGETS[name]} min)${over}`);
    // bench:all's programs are the three commands' above.
    if (name !== "bench:all") lines.push(...programs.map((plan) => `  ${planLine(plan)}`));
  }
  return lines.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(describeCommands());
