/**
 * The hostile soak: the conformance fixture (examples/everything.ts) on each
 * runtime, exporting traces and metrics to a local OTLP sink, under a loop of
 * what a hostile client sends (unknown method, tool, prompt and resource names
 * of up to 256 KiB, in both eras; session floods, anonymous and as a new
 * principal each time; task floods with 128 KiB results; bad and ever-new
 * bearer tokens; junk and forged JWTs to a second server whose OAuth issuer
 * never answers). The servers' RSS is sampled every few seconds; the run is
 * judged flat when the peak of its last third is within 10% (or 48 MiB) of
 * the peak of its middle third. It stops by itself: its loops are bounded by the
 * duration and every request by a deadline. Loopback only.
 *
 *   node bench/soak_hostile.ts                 10 minutes, Deno, Bun and Node side by side
 *   node bench/soak_hostile.ts --minutes 2 --runtime node
 *   node bench/soak_hostile.ts --smoke         every worker sends each of its hostile requests
 *                                              once, the OAuth fixture both bad tokens (CI: a
 *                                              few seconds; nothing dies)
 *
 * Exits 1 when a server dies or a runtime's RSS is not flat (not in smoke mode: it measures no
 * growth).
 */

import { inTurnOrTogether, type Runtime, RUNTIMES } from "./lib/proc.ts";
import { deadPort, type Fixture, rssOf, startFixture, startSink } from "./soak/processes.ts";
import { badTokenLoop, HOSTILE_SCENARIOS, hostileLoop, type Tally } from "./soak/traffic.ts";

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const smoke = args.includes("--smoke");
const minutes = Number(option("--minutes") ?? 10);
/** A smoke run's rounds: each hostile scenario once per worker, each bad token once. */
const SMOKE_ROUNDS = { hostile: HOSTILE_SCENARIOS, badToken: 2 };
const runtimes = (option("--runtime") ?? "all") === "all"
  ? RUNTIMES
  : (option("--runtime")!.split(",") as Runtime[]);
/** Requests in flight per server: enough to keep it busy, few enough for three runtimes on two cores. */
const WORKERS = Number(option("--workers") ?? 6);
const SAMPLE_MS = smoke ? 2_000 : 10_000;

interface RuntimeRun {
  runtime: Runtime;
  hostile: Fixture;
  oauth: Fixture;
  tally: Tally;
  oauthTally: Tally;
  samples: { at: number; hostile: number; oauth: number }[];
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/**
 * Flat when the peak of the last third is within 10% (or 48 MiB) of the
 * peak of the middle third: RSS under a garbage collector swings by
 * hundreds of MiB between collections, so peaks are compared, not samples.
 */
function flat(values: number[]): { flat: boolean; growth: number } {
  const third = Math.floor(values.length / 3);
  const middle = Math.max(...values.slice(third, 2 * third));
  const last = Math.max(...values.slice(2 * third));
  const growth = last - middle;
  return { flat: growth < Math.max(48 * 1024 * 1024, middle * 0.1), growth };
}

async function main(): Promise<void> {
  const sink = await startSink();
  const issuerPort = await deadPort();
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_BSP_SCHEDULE_DELAY: "1000",
    OTEL_METRIC_EXPORT_INTERVAL: "5000",
    // Sessions churn within the run: every flood's sessions expire and are refilled.
    SESSION_IDLE_MS: smoke ? "10000" : "120000",
  };
  console.log(
    `soak: ${smoke ? "smoke (each request once per worker)" : `${minutes} min`} on ${
      runtimes.join(", ")
    }; ${WORKERS} workers per server; OTLP sink ${sink.url}; ` +
      `OAuth issuer 127.0.0.1:${issuerPort} (never answers)`,
  );
  const oauthEnv = { ...otel, OAUTH_ISSUER: `http://127.0.0.1:${issuerPort}` };
  const fixturesOf = async (runtime: Runtime) => {
    const hostile = await startFixture(runtime, otel);
    return { hostile, oauth: await startFixture(runtime, oauthEnv) };
  };
  // A smoke run starts the runtimes' fixtures side by side.
  const fixtures = await inTurnOrTogether(
    runtimes.map((runtime) => () => fixturesOf(runtime)),
    smoke,
  );
  const runs: RuntimeRun[] = runtimes.map((runtime, i) => ({
    runtime,
    ...fixtures[i],
    tally: new Map(),
    oauthTally: new Map(),
    samples: [],
  }));
  const stop = new AbortController();
  const started = Date.now();
  const rounds = smoke ? SMOKE_ROUNDS : { hostile: Infinity, badToken: Infinity };
  const loops = runs.flatMap((run) => [
    ...Array.from(
      { length: WORKERS },
      () => hostileLoop(run.hostile.url, run.tally, stop.signal, rounds.hostile),
    ),
    badTokenLoop(
      run.oauth.url,
      `http://127.0.0.1:${issuerPort}`,
      run.oauthTally,
      stop.signal,
      rounds.badToken,
    ),
  ]);
  const sample = () => {
    for (const run of runs) {
      if (run.hostile.dead() !== undefined || run.oauth.dead() !== undefined) continue;
      run.samples.push({
        at: Date.now() - started,
        hostile: rssOf(run.hostile.child.pid!),
        oauth: rssOf(run.oauth.child.pid!),
      });
    }
    const line = runs.map((run) => {
      const last = run.samples.at(-1);
      const sent = [...run.tally.values()].reduce((a, b) => a + b, 0);
      return `${run.runtime} ${last ? mib(last.hostile) : "?"}/${
        last ? mib(last.oauth) : "?"
      } MiB ${sent} req`;
    }).join(" | ");
    console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${line}`);
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  if (smoke) {
    // Its loops end by themselves; then a moment for an exit one of their requests caused.
    await Promise.all(loops);
    await new Promise((resolve) => setTimeout(resolve, 500));
  } else await new Promise((resolve) => setTimeout(resolve, minutes * 60_000));
  sample();
  clearInterval(sampler);
  stop.abort();
  await Promise.all(loops);
  const seconds = (Date.now() - started) / 1000;
  let failed = false;
  console.log(
    `\n| runtime | requests (per s) | statuses | RSS first → last (MiB) | peak growth, last third | OAuth server RSS | verdict |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
  for (const run of runs) {
    const died = run.hostile.dead() ?? run.oauth.dead();
    const sent = [...run.tally.values()].reduce((a, b) => a + b, 0) +
      [...run.oauthTally.values()].reduce((a, b) => a + b, 0);
    const statuses = [
      ...new Map([
        ...run.tally,
        ...[...run.oauthTally].map(([k, v]) => [`oauth ${k}`, v] as const),
      ]),
    ]
      .sort().map(([k, v]) => `${k}: ${v}`).join(", ");
    const hostile = run.samples.map((s) => s.hostile);
    const oauth = run.samples.map((s) => s.oauth);
    const verdictOf = flat(hostile);
    const oauthVerdict = flat(oauth);
    const ok = died === undefined && (smoke || (verdictOf.flat && oauthVerdict.flat));
    failed ||= !ok;
    console.log(
      `| ${run.runtime} | ${sent} (${(sent / seconds).toFixed(0)}) | ${statuses} | ` +
        `${mib(hostile[0] ?? 0)} → ${mib(hostile.at(-1) ?? 0)} (max ${
          mib(Math.max(...hostile))
        }) | ` +
        `${smoke ? "n/a (smoke)" : `${mib(verdictOf.growth)} MiB`} | ` +
        `${mib(oauth[0] ?? 0)} → ${mib(oauth.at(-1) ?? 0)} | ` +
        `${
          died !== undefined ? `DIED ${died}` : ok ? (smoke ? "ran (smoke)" : "flat") : "GROWING"
        } |`,
    );
  }
  console.log(
    `OTLP sink: ${sink.batches} batches, ${mib(sink.bytes)} MiB, largest ${
      (sink.largest / 1024).toFixed(0)
    } KiB`,
  );
  for (const run of runs) {
    run.hostile.child.kill("SIGKILL");
    run.oauth.child.kill("SIGKILL");
  }
  sink.server.close();
  process.exit(failed ? 1 : 0);
}

await main();
