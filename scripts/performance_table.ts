/**
 * Copies bench/RESULTS.md's README table (the "## README table" section a full `npm run bench`
 * writes) into docs/performance.md between its `bench:readme-table` markers, and rewrites the
 * README's short performance summary (between its `bench:readme-summary` markers) from the same
 * table's figures. RESULTS.md is the only source: nothing here measures. With `--check` it writes
 * nothing and fails when either page is not what RESULTS.md gives (CI: .ci/run).
 *
 *   node_modules/node24/bin/node scripts/performance_table.ts [--check]   (npm run docs:performance)
 */

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { README_ROWS } from "../bench/run/tables.ts";
import { formatted } from "./options_reference.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The files the script reads and writes (tests pass copies). */
export interface Paths {
  results: string;
  page: string;
  readme: string;
}

export const PATHS: Paths = {
  results: join(ROOT, "bench", "RESULTS.md"),
  page: join(ROOT, "docs", "performance.md"),
  readme: join(ROOT, "README.md"),
};

/** Where docs/performance.md's table sits. */
export const TABLE_START = "<!-- bench:readme-table:start -->";
export const TABLE_END = "<!-- bench:readme-table:end -->";
/** Where the README's summary sits. */
export const SUMMARY_START = "<!-- bench:readme-summary:start -->";
export const SUMMARY_END = "<!-- bench:readme-summary:end -->";

/**
 * The README table of a RESULTS.md: the table and the paragraph under it, from its
 * "## README table" section; links to RESULTS.md as seen from docs/ (a run before 2026-11-25
 * wrote them from the repository root).
 *
 * @example
 * ```ts
 * readmeTableOf("## README table\n\nIntro.\n\n| a | deno |\n|---|---|\n| x | 1 |\n\n## All figures\n");
 * // "| a | deno |\n|---|---|\n| x | 1 |"
 * ```
 */
export function readmeTableOf(results: string): string {
  const lines = results.split("\n");
  const heading = lines.indexOf("## README table");
  if (heading === -1) throw new Error('RESULTS.md has no "## README table" section');
  let end = lines.findIndex((line, i) => i > heading && line.startsWith("## "));
  if (end === -1) end = lines.length;
  const first = lines.findIndex((line, i) => i > heading && line.startsWith("|"));
  if (first === -1 || first > end) {
    throw new Error("RESULTS.md's README table section has no table");
  }
  return lines.slice(first, end).join("\n").trim().replaceAll(
    "](bench/RESULTS.md)",
    "](../bench/RESULTS.md)",
  );
}

/** A markdown table's cells by row name, and its column names (the runtimes). */
export function parseTable(table: string): { columns: string[]; rows: Map<string, string[]> } {
  const cells = (line: string) => line.slice(1, -1).split("|").map((cell) => cell.trim());
  const lines = table.split("\n").filter((line) => line.startsWith("|"));
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(2)) {
    const [name, ...rest] = cells(line);
    rows.set(name, rest);
  }
  return { columns: cells(lines[0] ?? "||").slice(1), rows };
}

/** The first number of a cell in thousands ("37.9k" → 37.9) or bytes ("379 B" → 379). */
const leading = (cell: string) => Number(/^([\d.,]+)/.exec(cell)?.[1]?.replaceAll(",", ""));
/** The ratio in a cell's parentheses ("34.5k (paired 0.95×)" → 0.95). */
const ratioOf = (cell: string) => Number(/\((?:paired )?([\d.]+)×\)/.exec(cell)?.[1]);

/** A ratio as the summary writes it: 26, 3.7, 0.86. */
export function fmtTimes(n: number): string {
  return n >= 10 ? String(Math.round(n)) : n >= 1 ? n.toFixed(1) : n.toFixed(2);
}

/**
 * The README's performance paragraph from the README table: tether's rate per runtime, its ratio
 * to the peers and the floor (lowest to highest over the runtimes), the heap per idle session.
 */
export function summaryOf(table: string): string {
  const { columns, rows } = parseTable(table);
  const named = (server: string, workload = "steady") =>
    rows.get(README_ROWS.find((r) => r.server === server && r.workload === workload)?.name ?? "");
  const ratios = (...servers: string[]) =>
    servers.flatMap((server) => named(server) ?? []).map(ratioOf).filter(Number.isFinite);
  const span = (values: number[]) =>
    values.length === 0
      ? "n/a"
      : Math.min(...values) === Math.max(...values)
      ? fmtTimes(values[0])
      : `${fmtTimes(Math.min(...values))} to ${fmtTimes(Math.max(...values))}`;
  const runtime = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
  const rates = (named("tether") ?? []).map((cell, i) => `${cell} on ${runtime(columns[i])}`);
  const listed = rates.length < 2
    ? rates.join("")
    : `${rates.slice(0, -1).join(", ")} and ${rates[rates.length - 1]}`;
  const heapRow = [...rows.entries()].find(([name]) => name.startsWith("heap per idle session"));
  const heaps = (heapRow?.[1] ?? []).map(leading).filter(Number.isFinite);
  const heap = heaps.length === 0
    ? "n/a"
    : `${Math.round(heaps.reduce((a, b) => a + b, 0) / heaps.length / 10) * 10} B`;
  const generated = /\((\d{4}-\d\d-\d\d), tether [^;]*;[^)]* on (\d+) shared cores\)/.exec(
    table.replace(/\s+/g, " "),
  );
  return [
    `\`tools/call\` answers per server CPU-second (run of ${generated?.[1] ?? "n/a"}, one server`,
    `at a time, ${generated?.[2] ?? "n/a"} shared cores): tether serves ${listed};`,
    `${span(ratios("mcp-lite", "tmcp"))} times mcp-lite and tmcp as clients call them (SSE),`,
    `${span(ratios("mcp-lite-json"))} times mcp-lite's JSON-only path (outside the spec, and`,
    `without its checks: a bound, not a target), ${
      span(ratios("sdk-json", "sdk", "hono-mcp", "fastmcp"))
    } times the official SDK, @hono/mcp and fastmcp; ${span(ratios("floor-legacy"))} times the`,
    `plain "floor" (the checks a spec-complete server must make, in one function: a bound, not a`,
    `target; tether is judged against that floor with tether's own guards added, at 0.80 or more);`,
    `about ${heap} of heap per idle`,
    "session. The table: [docs/performance.md](docs/performance.md); every figure, the method and",
    "the machine: [bench/RESULTS.md](bench/RESULTS.md) (`npm run bench`).",
  ].join(" "); // deno fmt wraps it
}

/** `text` with what is between `start` and `end` replaced by `content` (blank lines around). */
export function between(text: string, start: string, end: string, content: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) throw new Error(`no ${start} … ${end} markers`);
  return text.slice(0, from + start.length) + "\n\n" + content + "\n\n" + text.slice(to);
}

/** docs/performance.md and README.md as RESULTS.md gives them (formatted as deno fmt writes). */
export function pagesFrom(paths: Paths = PATHS): { page: string; readme: string } {
  const table = readmeTableOf(readFileSync(paths.results, "utf8"));
  return {
    page: formatted(between(readFileSync(paths.page, "utf8"), TABLE_START, TABLE_END, table)),
    readme: formatted(
      between(readFileSync(paths.readme, "utf8"), SUMMARY_START, SUMMARY_END, summaryOf(table)),
    ),
  };
}

/** Runs the script: rewrites both pages, or with `--check` compares them; returns the exit code. */
export function main(args: readonly string[], paths: Paths = PATHS): number {
  let pages: { page: string; readme: string };
  try {
    pages = pagesFrom(paths);
  } catch (error) {
    console.error(`performance_table: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  if (args.includes("--check")) {
    const stale = [
      ...(readFileSync(paths.page, "utf8") === pages.page ? [] : ["docs/performance.md"]),
      ...(readFileSync(paths.readme, "utf8") === pages.readme ? [] : ["README.md"]),
    ];
    if (stale.length > 0) {
      console.error(
        `performance_table: ${
          stale.join(" and ")
        } not what bench/RESULTS.md gives; run npm run docs:performance`,
      );
      return 1;
    }
    return 0;
  }
  writeFileSync(paths.page, pages.page);
  writeFileSync(paths.readme, pages.readme);
  console.log("performance_table: wrote docs/performance.md's table and README.md's summary");
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
