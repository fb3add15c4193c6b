/**
 * Writes one report's section into a results file (bench/RESULTS.md): the
 * section under `heading` is replaced up to the next `## ` heading, or added
 * at the end; everything else is kept. For the scripts `npm run bench` runs
 * after bench/run.ts (redis_scale.ts, gateway_cost.ts).
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
