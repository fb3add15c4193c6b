/**
 * The report's headline: the figures the README quotes, each judged against its target.
 * @module
 */

import { median } from "../lib/load.ts";
import type { Runtime } from "../lib/proc.ts";
import {
  find,
  findPair,
  fmtBytes,
  fmtInt,
  fmtMicros,
  fmtRatio,
  generatorTag,
  judgedRatio,
  perRoundRatios,
  ratio,
  roundRange,
  roundsSummary,
  verdict,
} from "./format.ts";
import type { ServerKey, Settings } from "./plans.ts";
import { type LoadRow, memoryRows, streamRows } from "./results.ts";
import { fastestPeerOf, generatorBound } from "./throughput.ts";

export function headline(runtimes: Runtime[], settings: Settings): string {
  const big = settings.memorySteps[settings.memorySteps.length - 1];
  const lines: string[] = [];
  lines.push(`| target | ${runtimes.join(" | ")} |`);
  lines.push(`|---|${runtimes.map(() => "---").join("|")}|`);
  const row = (name: string, cells: (rt: Runtime) => string) =>
    lines.push(`| ${name} | ${runtimes.map(cells).join(" | ")} |`);
  /**
   * "a ÷ b" of one workload with its verdict and generator: judged on throughput (with the
   * per-round range and the per-CPU ratio after it) or per server CPU-second (with the raw ratio).
   */
  const pair = (
    rt: Runtime,
    workload: LoadRow["workload"],
    a: ServerKey,
    b: ServerKey,
    target: number | undefined,
    judged: "throughput" | "per CPU-s" = "per CPU-s",
  ) => {
    const x = find(rt, workload, a);
    const y = find(rt, workload, b);
    const raw = ratio(x, y);
    const cpu = ratio(x, y, true);
    const paired = findPair(rt, workload, a, b);
    const pairedRatios = paired === undefined
      ? []
      : perRoundRatios(...paired.results, judged === "per CPU-s");
    let value: number | undefined;
    let detail: string;
    if (pairedRatios.length > 0) {
      // Judged on the pair's own run; the side-by-side figure after it.
      value = median(pairedRatios);
      detail = `paired: ${roundsSummary(pairedRatios)}; among all servers ${
        fmtRatio(judged === "throughput" ? raw : cpu)
      }, ${judged === "throughput" ? `per CPU-s ${fmtRatio(cpu)}` : `raw ${fmtRatio(raw)}`}`;
    } else {
      [value, detail] = judged === "throughput"
        ? [raw, `${roundRange(x, y)}per CPU-s ${fmtRatio(cpu)}`]
        : [cpu, `${roundRange(x, y, true)}raw ${fmtRatio(raw)}`];
    }
    const bound =
      [x, y, ...(paired?.results ?? [])].some((r) => r !== undefined && generatorBound(r))
        ? " ⚠ generator-bound"
        : "";
    return `${judgedRatio(value, target)} (${detail})${generatorTag(rt, workload, [a, b])}${bound}`;
  };
  /** `server` ÷ the peer whose row of `workload` has the most answers per server CPU-s. */
  const fastestPeer = (
    rt: Runtime,
    workload: LoadRow["workload"],
    target: number | undefined,
    server: ServerKey = "tether",
  ) => {
    const best = fastestPeerOf(rt, workload);
    return best === undefined
      ? "n/a"
      : `${pair(rt, workload, server, best, target)}; fastest: ${best} ${
        fmtInt(find(rt, workload, best)!.okPerCpuSecond)
      }/CPU-s`;
  };
  row(
    "sessionful tools/call: tether (auto → JSON) ÷ the fastest peer's fastest path per server CPU-s ≥ 1.1×",
    (rt) => fastestPeer(rt, "steady", 1.1),
  );
  row(
    "(no target; the bound on the row above) sessionful tools/call: the legacy floor ÷ the fastest peer's fastest path per server CPU-s",
    (rt) => fastestPeer(rt, "steady", undefined, "floor-legacy"),
  );
  row(
    "sessionful tools/call: tether (auto → JSON) ÷ the legacy floor per server CPU-s ≥ 0.9",
    (rt) => pair(rt, "steady", "tether", "floor-legacy", 0.9),
  );
  row(
    "stateless tools/call (2026-07-28): tether ÷ the fastest peer serving 2026-07-28 per server CPU-s ≥ 1.1×",
    (rt) => fastestPeer(rt, "stateless", 1.1),
  );
  row(
    "stateless tools/call (2026-07-28): tether ÷ the floor per server CPU-s ≥ 0.9",
    (rt) => pair(rt, "stateless", "tether", "floor", 0.9),
  );
  row(
    "steady tools/call, JSON: tether (auto) ÷ SDK v1 enableJsonResponse ≥ 2×",
    (rt) => pair(rt, "steady", "tether", "sdk-json", 2),
  );
  row(
    "steady tools/call, SSE: tether (sse) ÷ SDK v1 default ≥ 2×",
    (rt) => pair(rt, "steady", "tether-sse", "sdk", 2),
  );
  row(
    "initialize + initialized: tether ÷ SDK v1 default (SSE) ≥ 5×",
    (rt) => pair(rt, "init", "tether", "sdk", 5),
  );
  row(
    "initialize + initialized: tether ÷ SDK v1 enableJsonResponse ≥ 5×",
    (rt) => pair(rt, "init", "tether", "sdk-json", 5),
  );
  row(`bytes per idle tether session at ${fmtInt(big)} (heap / RSS) ≤ 2 KiB`, (rt) => {
    const m = memoryRows.find((r) =>
      r.runtime === rt && r.server === "tether" && r.sessions === big
    );
    if (m === undefined) return "n/a";
    const worst = Math.max(m.heapPerSession, m.rssPerSession);
    return `${fmtBytes(m.heapPerSession)} / ${fmtBytes(m.rssPerSession)} ${
      verdict(worst, 2048, true)
    }`;
  });
  row(
    `tether tools/call at ${
      fmtInt(big)
    } ÷ at ${settings.memoryBase} sessions per server CPU-s ≥ 0.9`,
    (rt) => {
      const a = find(rt, "scale", "tether", big);
      const b = find(rt, "scale", "tether", settings.memoryBase);
      // Judged per server CPU-second, as every target is, on the median of the
      // per-round ratios (the two alone, adjacent slices); the raw rate beside it.
      const rounds = perRoundRatios(a, b, true);
      const r = rounds.length > 0 ? median(rounds) : ratio(a, b, true);
      const detail = rounds.length > 0
        ? `paired: ${roundsSummary(rounds)}; medians ${fmtRatio(ratio(a, b, true))}, raw ${
          fmtRatio(ratio(a, b))
        }`
        : `raw ${fmtRatio(ratio(a, b))}`;
      return `${judgedRatio(r, 0.9)} (${detail})${
        generatorTag(rt, "scale", ["tether", "tether"], [big, settings.memoryBase])
      }`;
    },
  );
  row(
    "(no target, retired) steady tools/call: tether (auto) ÷ ceiling per server CPU-s; the legacy floor ÷ ceiling",
    (rt) =>
      `${fmtRatio(ratio(find(rt, "steady", "tether"), find(rt, "steady", "ceiling"), true))}; ${
        fmtRatio(ratio(find(rt, "steady", "floor-legacy"), find(rt, "steady", "ceiling"), true))
      }${generatorTag(rt, "steady", ["tether", "floor-legacy", "ceiling"])}`,
  );
  row(
    "100-progress tool: tether ÷ ceiling per server CPU-s ≥ 0.25",
    (rt) => pair(rt, "progress", "tether", "ceiling", 0.25, "per CPU-s"),
  );
  row(
    "100-progress tool: tether ÷ SDK v1 default per server CPU-s ≥ 5×",
    (rt) => pair(rt, "progress", "tether", "sdk", 5, "per CPU-s"),
  );
  /** "tether ÷ SDK v1" and "of the ceiling" for one answer format of the large-result workload. */
  const large = (rt: Runtime, tether: ServerKey, sdk: ServerKey, ceiling: ServerKey) => {
    const t = find(rt, "large", tether);
    const s = find(rt, "large", sdk);
    const c = find(rt, "large", ceiling);
    return `${fmtRatio(ratio(t, s))} (per CPU-s ${fmtRatio(ratio(t, s, true))}); of ceiling ${
      fmtRatio(ratio(t, c))
    } (per CPU-s ${fmtRatio(ratio(t, c, true))})${
      generatorTag(rt, "large", [tether, sdk, ceiling])
    }`;
  };
  row(
    "(no target) 256 KiB result, JSON: tether (auto) ÷ SDK v1 enableJsonResponse; ÷ ceiling",
    (rt) => large(rt, "tether", "sdk-json", "ceiling"),
  );
  row(
    "(no target) 256 KiB result, SSE: tether (sse) ÷ SDK v1 default; ÷ ceiling (SSE answer)",
    (rt) => large(rt, "tether-sse", "sdk", "ceiling-sse"),
  );
  row(
    `(no target) ${
      fmtInt(settings.streams.count)
    } concurrent SSE streams, one event/s: RSS / heap per stream, server CPU per stream-second`,
    (rt) => {
      const cell = (server: ServerKey, name: string) => {
        const r = streamRows.find((x) => x.runtime === rt && x.server === server);
        return r === undefined
          ? undefined
          : `${name} ${fmtBytes(r.rssPerStream)} / ${fmtBytes(r.heapPerStream)}, ${
            fmtMicros(r.cpuPerStreamSecond)
          }`;
      };
      const cells = [cell("tether", "tether"), cell("sdk", "SDK v1")].filter((c) =>
        c !== undefined
      );
      return cells.length === 0 ? "n/a" : `${cells.join("; ")} [fetch]`;
    },
  );
  row("(no target) idle session heap: SDK v1 ÷ tether", (rt) => {
    const t = memoryRows.find((r) =>
      r.runtime === rt && r.server === "tether" && r.sessions === big
    );
    const s = memoryRows.find((r) =>
      r.runtime === rt && r.server === "sdk-json" && r.sessions === big
    );
    return t && s ? fmtRatio(s.heapPerSession / t.heapPerSession) : "n/a";
  });
  row(
    "stateless tools/call (2026-07-28): tether ÷ SDK v2 createMcpHandler ≥ 3×",
    (rt) => pair(rt, "stateless", "tether", "sdk-v2", 3),
  );
  row(
    "(no target) stateless tools/call: the floor (the checks alone, one function) ÷ ceiling per server CPU-s; tether ÷ floor",
    (rt) => {
      const floor = find(rt, "stateless", "floor");
      const ceiling = find(rt, "stateless", "ceiling");
      const tether = find(rt, "stateless", "tether");
      return `${fmtRatio(ratio(floor, ceiling, true))} (raw ${
        fmtRatio(ratio(floor, ceiling))
      }); tether ÷ floor ${fmtRatio(ratio(tether, floor, true))} per CPU-s${
        generatorTag(rt, "stateless", ["floor", "ceiling", "tether"])
      }`;
    },
  );
  row(
    "(no target) MRTR round trip (input_required, then the retry): tether round trips/s",
    (rt) => {
      const m = find(rt, "mrtr", "tether");
      return m === undefined
        ? "n/a"
        : `${fmtInt(m.okPerSecond)} (${fmtInt(m.okPerCpuSecond)} per CPU-s)${
          generatorTag(rt, "mrtr", ["tether"])
        }`;
    },
  );
  row(
    "(no target) steady tools/call: tether (auto) ÷ SDK v2",
    (rt) =>
      `${fmtRatio(ratio(find(rt, "steady", "tether"), find(rt, "steady", "sdk-v2")))}${
        generatorTag(rt, "steady", ["tether", "sdk-v2"])
      }`,
  );
  return lines.join("\n");
}
