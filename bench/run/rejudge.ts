/**
 * Judges the target rows of an existing RESULTS.md again under the current lines
 * (bench/run/targets.ts), without measuring: each row takes the current headline's name, a bound
 * loses its verdict, a judged row's figure is held to its current line (a short one whose rounds
 * reach the line says so), and the guard rows get their counted ratio. For a change of the lines
 * between full runs; the next `npm run bench` writes the rows afresh. Only the cells' text is read:
 * a row's spread is its first run's rounds and its later runs' medians, as the cell shows them.
 *
 *   node_modules/node24/bin/node bench/run/rejudge.ts [bench/RESULTS.md]
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Runtime } from "../lib/proc.ts";
import { judgedRatio } from "./format.ts";
import { counted, headline } from "./headline.ts";
import { FULL } from "./settings.ts";

/** The line under "## Targets" that says the rows were judged again, and when. */
export const REJUDGED = "Judged again by `bench/run/rejudge.ts`";

/** A row's name without a bound's reason: what stays the same when only its target changed. */
function core(name: string): string {
  return name.replace(/^\(bound, no target: [^)]*\) /, "").slice(0, 40);
}

/** The target in a row's name: "≥ 0.8" or "≤ 1.5×". */
function lineOf(name: string): { line: number; atMost: boolean } | undefined {
  if (name.startsWith("(")) return undefined; // a bound, or no target
  const found = /([≥≤]) (\d+(?:\.\d+)?)×?/.exec(name);
  return found === null ? undefined : { line: Number(found[2]), atMost: found[1] === "≤" };
}

/** The spread a cell shows: its first run's rounds and its later runs' medians. */
function roundsOf(cell: string): number[] {
  const rounds: number[] = [];
  const range = /median of \d+ rounds, (\d+\.\d+)–(\d+\.\d+)/.exec(cell);
  if (range !== null) rounds.push(Number(range[1]), Number(range[2]));
  const again = /again in fresh processes: ([^;]*);/.exec(cell);
  for (const figure of again?.[1].matchAll(/(\d+\.\d+)×/g) ?? []) rounds.push(Number(figure[1]));
  return rounds;
}

/** One cell judged again: `line` undefined for a bound. */
function cellAgain(cell: string, target: { line: number; atMost: boolean } | undefined): string {
  const lead =
    /^(\d+\.\d+)× (?:met|\*\*short\*\*)(?:, within its rounds' spread of the line \([^)]*\))?/
      .exec(cell);
  if (lead === null) return cell; // n/a, or no verdict to change
  const value = Number(lead[1]);
  // The scaling row's line is the legacy floor's own ratio where that is below its target.
  const bound = /, so the bound is (\d+\.\d+)×/.exec(cell);
  const line = bound === null ? target?.line : Number(bound[1]);
  const judged = target === undefined || line === undefined
    ? `${lead[1]}×`
    : judgedRatio(value, line, roundsOf(cell), target.atMost);
  return judged + cell.slice(lead[0].length);
}

/**
 * `results` (a RESULTS.md) with its target rows judged under the current lines, and a line under
 * "## Targets" saying so (dated `date`).
 */
export function rejudge(results: string, date: string): string {
  const lines = results.split("\n");
  const start = lines.indexOf("## Targets");
  if (start === -1) throw new Error("no ## Targets section");
  const first = lines.findIndex((line, i) => i > start && line.startsWith("|"));
  let end = first;
  while (end < lines.length && lines[end].startsWith("|")) end++;
  const cells = (line: string) => line.slice(1, -1).split(" | ").map((cell) => cell.trim());
  const runtimes = cells(lines[first]).slice(1) as Runtime[];
  const names = headline(runtimes, { ...FULL, generator: "wrk" }).split("\n").slice(2);
  const current = names.map((line) => cells(line)[0]);
  const rows = lines.slice(first + 2, end);
  if (rows.length !== current.length) {
    throw new Error(`${rows.length} target rows, the headline has ${current.length}`);
  }
  const judged = rows.map((row, i) => {
    const [old, ...values] = cells(row);
    const name = current[i];
    if (core(old) !== core(name)) throw new Error(`row ${i + 1}: "${old}" is not "${name}"`);
    const target = lineOf(name);
    const workload = /÷ the guarded (legacy )?floor per server CPU-s ≥/.test(name)
      ? name.startsWith("stateless") ? "stateless" : "steady"
      : undefined;
    const again = values.map((value, j) => {
      const cell = cellAgain(value, target);
      return workload === undefined || cell.includes("; instructions ")
        ? cell
        : `${cell}${counted(runtimes[j], workload)}`;
    });
    return `| ${[name, ...again].join(" | ")} |`;
  });
  const note =
    `${REJUDGED} on ${date} under issue 71's lines (streams against the resumable floors, the guard rows against the guarded floors at 0.80, the floors that keep no event or drop the guards bounds without a target), from the figures of the run above; not measured again.`;
  // The harness writes nothing between the heading and the table but a blank line: the note
  // replaces what is there (an earlier note).
  return [
    ...lines.slice(0, start + 1),
    "",
    note,
    "",
    lines[first],
    lines[first + 1],
    ...judged,
    ...lines.slice(end),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = process.argv[2] ?? fileURLToPath(new URL("../RESULTS.md", import.meta.url));
  writeFileSync(path, rejudge(readFileSync(path, "utf8"), new Date().toISOString().slice(0, 10)));
  console.log(`rejudge: ${path}'s target rows judged under the current lines`);
}
