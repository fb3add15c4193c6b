/**
 * Prints where `npm test`'s time went: for each runtime, its test files' summed
 * time and its slowest files (20 by default), and the files over the budget
 * of one file (60 s on a runtime) that `tests/rooms.ts` does not list with a
 * reason. It reads what `scripts/test_all.sh` leaves in its log folder: Node's
 * `<runtime>.times` (from `scripts/file_times_reporter.ts`), Deno's and Bun's
 * JUnit files. It reports and never fails the run: times on a shared machine
 * are noisy, and a test run is no benchmark.
 *
 *   node_modules/node24/bin/node scripts/test_times.ts <log folder> [--slowest 20]
 */

import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { FILE_BUDGET_MS, SLOW_FILES } from "../tests/rooms.ts";

const RUNTIMES = ["node24", "node22", "deno", "bun"] as const;

/** A runtime's files and their wall times in milliseconds, keyed by path from the repository. */
export type FileTimes = Map<string, number>;

/**
 * Reads one runtime's file times from a log folder; an empty map when the runtime did not run.
 *
 * @example
 * ```ts
 * import { readFileTimes } from "./test_times.ts";
 * const times = readFileTimes("/tmp/logs", "deno");
 * console.log(times.size);
 * ```
 */
export function readFileTimes(folder: string, runtime: string): FileTimes {
  const times: FileTimes = new Map();
  const tsv = join(folder, `${runtime}.times`);
  const xml = join(folder, `${runtime}.xml`);
  if (existsSync(tsv)) {
    for (const line of readFileSync(tsv, "utf8").split("\n")) {
      const [file, ms] = line.split("\t");
      if (file && ms) times.set(normalize(file), Number(ms));
    }
  } else if (existsSync(xml)) {
    for (const [file, ms] of junitFileTimes(readFileSync(xml, "utf8"))) {
      times.set(normalize(file), (times.get(normalize(file)) ?? 0) + ms);
    }
  }
  return times;
}

/**
 * The file times a JUnit report gives: Bun writes a `<testsuite>` per file with its
 * `time`; Deno writes one without a time, so its top-level test cases are summed.
 */
function junitFileTimes(xml: string): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  const suite = /<testsuite name="([^"]+)"([^>]*)>([\s\S]*?)(?=<testsuite name="|<\/testsuites>)/g;
  for (const [, name, attributes, body] of xml.matchAll(suite)) {
    if (!name.endsWith("_test.ts")) continue;
    const own = /\stime="([\d.]+)"/.exec(attributes);
    if (own) found.push([name, Number(own[1]) * 1000]);
    else {
      let ms = 0;
      for (const [, seconds] of body.matchAll(/<testcase [^>]*time="([\d.]+)"/g)) {
        ms += Number(seconds) * 1000;
      }
      found.push([name, ms]);
    }
  }
  return found;
}

function normalize(file: string): string {
  const path = file.startsWith("/") ? relative(process.cwd(), file) : file;
  return path.replace(/^\.\//, "");
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1).padStart(7);
}

/**
 * The report's lines: per runtime its total and its slowest files, then the files
 * over the budget that are not listed in `SLOW_FILES`.
 *
 * @example
 * ```ts
 * import { report } from "./test_times.ts";
 * console.log(report(new Map([["node24", new Map([["tests/a_test.ts", 1200]])]]), 20).join("\n"));
 * ```
 */
export function report(byRuntime: Map<string, FileTimes>, slowest: number): string[] {
  const lines: string[] = [];
  const over: string[] = [];
  for (const [runtime, times] of byRuntime) {
    if (times.size === 0) continue;
    const sorted = [...times].sort((a, b) => b[1] - a[1]);
    const total = sorted.reduce((sum, [, ms]) => sum + ms, 0);
    lines.push(
      `== ${runtime}: ${times.size} files, ${Math.round(total / 1000)} s of file time; slowest ${
        Math.min(slowest, sorted.length)
      }:`,
    );
    for (const [file, ms] of sorted.slice(0, slowest)) lines.push(`${seconds(ms)} s  ${file}`);
    for (const [file, ms] of sorted) {
      if (ms > FILE_BUDGET_MS && !(file in SLOW_FILES)) {
        over.push(`${seconds(ms)} s  ${file} (${runtime})`);
      }
    }
  }
  if (over.length > 0) {
    lines.push(
      `== over ${FILE_BUDGET_MS / 1000} s and not listed in tests/rooms.ts (SLOW_FILES):`,
      ...over,
    );
  }
  return lines;
}

if (import.meta.main ?? process.argv[1]?.endsWith("test_times.ts")) {
  const folder = process.argv[2];
  if (!folder) {
    console.error("usage: test_times.ts <log folder> [--slowest N]");
    process.exit(2);
  }
  const at = process.argv.indexOf("--slowest");
  const slowest = at > 0 ? Number(process.argv[at + 1]) : 20;
  const byRuntime = new Map(RUNTIMES.map((runtime) => [runtime, readFileTimes(folder, runtime)]));
  console.log(report(byRuntime, slowest).join("\n"));
}
