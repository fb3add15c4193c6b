/**
 * The headline's cells (bench/run/headline.ts): a pair judged on its paired run or side by side,
 * tether against the fastest peer, the large results against SDK v1 and the ceiling, and the RSS
 * per idle stream against a yardstick, each as the text of one runtime's cell.
 * @module
 */

import { type LoadResult, median } from "../lib/load.ts";
import type { Runtime } from "../lib/proc.ts";
import {
  find,
  findPair,
  fmtBytes,
  fmtInt,
  fmtRatio,
  generatorTag,
  judgedRatio,
  perRoundRatios,
  ratio,
  rechecked,
  roundRange,
  roundsSummary,
  voidReason,
} from "./format.ts";
import { type ServerKey, SPEC_PEERS } from "./plans.ts";
import { type LoadRow, type StreamRow, streamRows } from "./results.ts";
import { generatorBound } from "./measure.ts";
import { fastestPeerOf } from "./paired.ts";

/** Why the fastest-path peer target is retired (the refusal table in RESULTS.md shows it). */
export const FASTEST_PATH_RETIRED =
  "retired: that path (mcp-lite's JSON path, a client whose Accept leaves out text/event-stream) answers 200 to session ids it never issued or already ended, a foreign Origin, a rebinding Host, text/plain, 100,000-deep nesting and 8 MiB bodies (the refusal table below), so no server that makes the spec's checks can be held to it";

/**
 * RSS per idle stream: tether's ÷ the bare server's holding the same streams,
 * undefined when either is missing, the bare server's growth is not
 * positive (a ratio to nothing says nothing) or tether's is negative (a
 * reading that fell below its baseline, as a smoke run's 50 streams can).
 */
export function streamRssRatio(tether: number | undefined, bare: number | undefined) {
  if (
    tether === undefined || bare === undefined || !(bare > 0) ||
    !(Number.isFinite(tether) && tether >= 0)
  ) {
    return undefined;
  }
  return tether / bare;
}

/**
 * RSS per idle stream of `a` ÷ `b`, round by round (each round ran every server once, in a fresh
 * process): the rounds whose ratio says something ({@linkcode streamRssRatio}).
 */
export function streamRssRounds(
  a: StreamRow | undefined,
  b: StreamRow | undefined,
): number[] {
  if (a === undefined || b === undefined) return [];
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.rssRounds.length, b.rssRounds.length); i++) {
    const value = streamRssRatio(a.rssRounds[i], b.rssRounds[i]);
    if (value !== undefined) ratios.push(value);
  }
  return ratios;
}

/**
 * The RSS-per-stream ratio of `a` to `b` and how it was taken, as the lead of its cell's
 * parenthesis: the median of the per-round ratios, "by round: " their count and range, when both
 * have rounds; else the ratio of the rows' figures, with no lead.
 */
export function pairedStreamRss(
  a: StreamRow | undefined,
  b: StreamRow | undefined,
): { value: number | undefined; lead: string } {
  const rounds = streamRssRounds(a, b);
  if (rounds.length === 0) {
    return { value: streamRssRatio(a?.rssPerStream, b?.rssPerStream), lead: "" };
  }
  return {
    value: median(rounds),
    lead: rounds.length === 1 ? "one round; " : `by round: ${roundsSummary(rounds)}; `,
  };
}

/** Server CPU-seconds a call costs at many sessions beyond at few (1 ÷ rate, per CPU-second). */
export function addedCpu(many: LoadResult | undefined, few: LoadResult | undefined): number {
  return many === undefined || few === undefined
    ? NaN
    : 1 / many.okPerCpuSecond - 1 / few.okPerCpuSecond;
}

/**
 * "a ÷ b" of one workload with its verdict and generator: judged on throughput (with the
 * per-round range and the per-CPU ratio after it) or per server CPU-second (with the raw ratio).
 */
export const pair = (
  rt: Runtime,
  workload: LoadRow["workload"],
  a: ServerKey,
  b: ServerKey,
  target: number | undefined,
  judged: "throughput" | "per CPU-s" = "per CPU-s",
) => {
  const paired = findPair(rt, workload, a, b);
  const voided = voidReason(rt, workload, [a, b]) ??
    (paired?.void === undefined ? undefined : `not judged: ${paired.void} (paired)`);
  if (voided !== undefined) return `n/a (${voided})${generatorTag(rt, workload, [a, b])}`;
  const x = find(rt, workload, a);
  const y = find(rt, workload, b);
  const raw = ratio(x, y);
  const cpu = ratio(x, y, true);
  const pairedRatios = paired === undefined
    ? []
    : perRoundRatios(...paired.results, judged === "per CPU-s");
  let value: number | undefined;
  let detail: string;
  // Every round the row was measured in (its paired runs, or side by side): its spread.
  let rounds: number[];
  if (pairedRatios.length > 0) {
    rounds = [
      ...pairedRatios,
      ...(paired!.rechecks ?? []).flatMap((run) => perRoundRatios(...run, judged === "per CPU-s")),
    ];
    // Judged on the pair's own run (and its runs in fresh processes, when it was near a line);
    // the side-by-side figure after it.
    const again = rechecked(paired!, judged === "per CPU-s");
    value = again === undefined ? median(pairedRatios) : again.value;
    detail = `paired: ${roundsSummary(pairedRatios)}; ${again?.detail ?? ""}among all servers ${
      fmtRatio(judged === "throughput" ? raw : cpu)
    }, ${judged === "throughput" ? `per CPU-s ${fmtRatio(cpu)}` : `raw ${fmtRatio(raw)}`}`;
  } else {
    rounds = perRoundRatios(x, y, judged === "per CPU-s");
    [value, detail] = judged === "throughput"
      ? [raw, `${roundRange(x, y)}per CPU-s ${fmtRatio(cpu)}`]
      : [cpu, `${roundRange(x, y, true)}raw ${fmtRatio(raw)}`];
  }
  const bound = [x, y, ...(paired?.results ?? [])].some((r) => r !== undefined && generatorBound(r))
    ? " ⚠ generator-bound"
    : "";
  return `${judgedRatio(value, target, rounds)} (${detail})${
    generatorTag(rt, workload, [a, b])
  }${bound}`;
};
/**
 * `server` ÷ the peer (of `peers`) whose row of `workload` has the most
 * answers per server CPU-s: at or above the target against it is at or
 * above it against every one of them.
 */
export const fastestPeer = (
  rt: Runtime,
  workload: LoadRow["workload"],
  target: number | undefined,
  peers: readonly ServerKey[] = SPEC_PEERS,
) => {
  const best = fastestPeerOf(rt, workload, peers);
  return best === undefined
    ? "n/a"
    : `${pair(rt, workload, "tether", best, target)}; fastest: ${best} ${
      fmtInt(find(rt, workload, best)!.okPerCpuSecond)
    }/CPU-s`;
};
/** "a ÷ b" per server CPU-s among all servers, unjudged, with the generator. */
export const sideBySide = (
  rt: Runtime,
  workload: LoadRow["workload"],
  a: ServerKey,
  b: ServerKey,
) =>
  `${fmtRatio(ratio(find(rt, workload, a), find(rt, workload, b), true))}${
    generatorTag(rt, workload, [a, b])
  }`;

/** "tether ÷ SDK v1" and "of the ceiling" for one answer format of the large-result workload. */
export const large = (
  rt: Runtime,
  workload: "large" | "large-1m",
  tether: ServerKey,
  sdk: ServerKey,
  ceiling: ServerKey,
) => {
  const t = find(rt, workload, tether);
  const s = find(rt, workload, sdk);
  const c = find(rt, workload, ceiling);
  return `${fmtRatio(ratio(t, s))} (per CPU-s ${fmtRatio(ratio(t, s, true))}); of ceiling ${
    fmtRatio(ratio(t, c))
  } (per CPU-s ${fmtRatio(ratio(t, c, true))})${
    generatorTag(rt, workload, [tether, sdk, ceiling])
  }`;
};

export const streamOf = (rt: Runtime, server: ServerKey) =>
  streamRows.find((x) => x.runtime === rt && x.server === server);
/**
 * tether's RSS per idle stream ÷ `over`'s, judged at most `line` (none: a bound, unjudged); a short
 * row whose rounds reach the line says so.
 */
export const idleRss = (
  rt: Runtime,
  over: ServerKey,
  name: string,
  line: number | undefined,
) => {
  const t = streamOf(rt, "tether");
  const other = streamOf(rt, over);
  if (t === undefined || other === undefined) return "n/a";
  const { value, lead } = pairedStreamRss(t, other);
  const judged = line === undefined
    ? fmtRatio(value)
    : value === undefined
    ? `${fmtRatio(value)} n/a`
    : judgedRatio(value, line, streamRssRounds(t, other), true);
  return `${judged} (${lead}tether ${fmtBytes(t.rssPerStream)}, ${name} ${
    fmtBytes(other.rssPerStream)
  }) [fetch]`;
};
