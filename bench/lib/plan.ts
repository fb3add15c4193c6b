/**
 * A bench program's plan: what it will run and how long that should take, printed as one line
 * before it measures anything (`plan: …; estimated a to b min`) and with `--plan` instead of
 * running. The programs' estimates (bench/run/duration.ts, bench/scale_out/plan.ts,
 * bench/scale_model/plan.ts, bench/gateway/plan.ts) build on these; bench/plan.ts sums them per
 * npm command.
 * @module
 */

/** What a program will run and its estimated seconds (`low` = `high` when no part of it varies). */
export interface Plan {
  /** What it runs, in a few words (runtimes, rounds, slices, sizes). */
  what: string;
  /** Seconds at the least. */
  low: number;
  /** Seconds at the most. */
  high: number;
}

/**
 * Seconds as minutes with one decimal.
 * @example
 * ```ts
 * import { minutes } from "./plan.ts";
 * minutes(90); // "1.5"
 * ```
 */
export function minutes(seconds: number): string {
  return (seconds / 60).toFixed(1);
}

/**
 * "estimated a to b min", or "estimated a min" when both ends round alike.
 * @example
 * ```ts
 * import { estimate } from "./plan.ts";
 * estimate({ low: 60, high: 120 }); // "estimated 1.0 to 2.0 min"
 * ```
 */
export function estimate(plan: Pick<Plan, "low" | "high">): string {
  const [low, high] = [minutes(plan.low), minutes(plan.high)];
  return low === high ? `estimated ${low} min` : `estimated ${low} to ${high} min`;
}

/**
 * The line a program prints when it starts, or alone with `--plan`.
 * @example
 * ```ts
 * import { planLine } from "./plan.ts";
 * planLine({ what: "8 rounds of 4 targets", low: 300, high: 300 });
 * // "plan: 8 rounds of 4 targets; estimated 5.0 min"
 * ```
 */
export function planLine(plan: Plan): string {
  return `plan: ${plan.what}; ${estimate(plan)}`;
}

/**
 * The plans of a command's programs run one after another, as one plan.
 * @example
 * ```ts
 * import { sumPlans } from "./plan.ts";
 * sumPlans("both", [{ what: "a", low: 60, high: 90 }, { what: "b", low: 30, high: 30 }]).high; // 120
 * ```
 */
export function sumPlans(what: string, plans: readonly Plan[]): Plan {
  return {
    what,
    low: plans.reduce((sum, plan) => sum + plan.low, 0),
    high: plans.reduce((sum, plan) => sum + plan.high, 0),
  };
}
