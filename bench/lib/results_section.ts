/**
 * Writes a report into a results file (bench/RESULTS.md) without touching
 * what another command wrote there. {@linkcode writeSection}: one section
 * (under its `## ` heading) replaced, or added at the end, for the scripts
 * of `npm run bench:scale` and `npm run bench:gateway` (redis_scale.ts,
 * postgres_scale.ts, gateway_cost.ts). {@linkcode writeReport}: the whole
 * single-process report of `npm run bench` (bench/run.ts), with the
 * sections it does not write kept after it.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Replaces (or appends) the section of `file` that starts with `heading` by `text`. */
export function writeSection(file: string, heading: string, text: string): void {
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  const at = before.indexOf(heading);
  const next = at === -1 ? -1 : before.indexOf("\n## ", at + 1);
  const kept = (at === -1 ? before : before.slice(0, at)).trimEnd();
  const rest = next === -1 ? "" : `\n${before.slice(next + 1)}`;
  writeFileSync(file, `${kept === "" ? "" : kept + "\n\n"}${text}${rest}`);
}

/**
 * Writes `text` (a report: a title, then `## ` sections) into `file`, and
 * after it every section of the file's old text whose heading `text` does
 * not have: the sections other commands wrote stay as they were.
 */
export function writeReport(file: string, text: string): void {
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  const own = new Set(headingsOf(text));
  const kept = sectionsOf(before).filter((section) => !own.has(section.split("\n", 1)[0]));
  writeFileSync(
    file,
    [text.trimEnd(), ...kept.map((section) => section.trimEnd())].join("\n\n") + "\n",
  );
}

/** The `## ` heading lines of `text`. */
function headingsOf(text: string): string[] {
  return text.split("\n").filter((line) => line.startsWith("## "));
}

/** The `## ` sections of `text`, each from its heading to the next (what comes before the first is left out). */
function sectionsOf(text: string): string[] {
  const starts = [...text.matchAll(/^## /gm)].map((match) => match.index);
  return starts.map((start, i) => text.slice(start, starts[i + 1] ?? text.length));
}
