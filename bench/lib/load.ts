/**
 * Load runs with autocannon 9 (programmatic, in the driver process). Every
 * response body is checked by the workload's validator (autocannon buffers
 * bodies anyway; the checks are a few substring tests). Latency is recorded
 * per response from autocannon's `response` event in float milliseconds
 * (autocannon's own histogram has 1 ms resolution). Server CPU time comes
 * from /proc/<pid>/stat around each measured slice.
 *
 * {@linkcode measureInterleaved} is what the harness uses: the servers being
 * compared run side by side (idle when not driven) and are measured in
 * short alternating slices, rotating the order every round, so a slow
 * phase of a shared, noisy machine hits all of them alike.
 */

import autocannon from "autocannon";
import { cpuSeconds } from "./proc.ts";

/** One request template; `setup` returns a fresh body/headers per request. */
export interface RequestTemplate {
  /** Returns the body and headers of the next request; stores what the check needs in `ctx`. */
  setup(ctx: Record<string, unknown>): { body: string; headers: Record<string, string> };
  /** True when the response is right; may store into `ctx` for the next request of the sequence. */
  check(
    status: number,
    body: string,
    headers: Record<string, string>,
    ctx: Record<string, unknown>,
  ): boolean;
}

/** A server and the traffic to drive it with. */
export interface LoadTarget {
  port: number;
  pid: number;
  path: string;
  /** Requests sent in order on each connection, then repeated; one pass = one "ok" when all are right. */
  sequence: RequestTemplate[];
  connections: number;
}

/**
 * Figures of one measurement. The two rates (per second, per server
 * CPU-second) are medians of the measured slices (one per round, rounds
 * alternating between targets); CPU shares and counts are over all slices.
 */
export interface LoadResult {
  /** Completed sequences whose every response was right, per second (median of the slices). */
  okPerSecond: number;
  /** HTTP requests completed per second (all responses). */
  requestsPerSecond: number;
  /** Latency of single HTTP requests, ms. */
  p50: number;
  p99: number;
  /** Right sequences per CPU-second of the server process (median of the slices): the primary figure. */
  okPerCpuSecond: number;
  /** Server CPU, in cores (1.0 = one core busy for the whole run). */
  serverCores: number;
  /** Driver (load generator) CPU, in cores. */
  generatorCores: number;
  ok: number;
  bad: number;
  errors: number;
  timeouts: number;
  /** The first wrong response, for the error report. */
  badSample?: string;
  /** Measured seconds (sum of slices). */
  seconds: number;
  /** ok/s of each measured slice, in round order (for per-round ratios). */
  sliceRates: number[];
  /** ok per server CPU-second of each measured slice, in round order. */
  sliceCpuRates: number[];
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/** Running totals over the slices of one target. */
class Totals {
  ok = 0;
  bad = 0;
  badSample: string | undefined;
  latencies: number[] = [];
  requests = 0;
  errors = 0;
  timeouts = 0;
  seconds = 0;
  wall = 0;
  cpu = 0;
  generator = 0;
  sliceRates: number[] = [];
  sliceCpuRates: number[] = [];
}

function lowerKeys(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in headers) out[key.toLowerCase()] = String(headers[key]);
  return out;
}

function buildRequests(target: LoadTarget, totals: Totals) {
  const last = target.sequence.length - 1;
  return target.sequence.map((template, index) => ({
    method: "POST",
    path: target.path,
    setupRequest: (request: Record<string, unknown>, ctx: Record<string, unknown>) => {
      const next = template.setup(ctx);
      // A fresh headers object: autocannon writes Content-Length into the one it gets.
      return { ...request, headers: { ...next.headers }, body: next.body };
    },
    onResponse: (
      status: number,
      body: string,
      ctx: Record<string, unknown>,
      headers: Record<string, unknown>,
    ) => {
      const right = template.check(status, body, lowerKeys(headers), ctx);
      if (!right) {
        ctx.failed = true;
        totals.bad++;
        totals.badSample ??= `status ${status}: ${body.slice(0, 300)}`;
      } else if (index === last && ctx.failed !== true) {
        totals.ok++;
      }
    },
  }));
}

/** One autocannon run of `seconds`, or of `requests` requests when given. */
function run(
  target: LoadTarget,
  seconds: number,
  totals: Totals,
  requests?: number,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${target.port}`,
        connections: target.connections,
        pipelining: 1,
        duration: seconds,
        ...(requests === undefined ? {} : { amount: requests }),
        // autocannon only checks for the end of `duration` once per sample interval (default 1 s).
        sampleInt: 100,
        timeout: 10,
        requests: buildRequests(target, totals),
      },
      (error: Error | null, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    instance.on(
      "response",
      (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
        totals.latencies.push(responseTime);
      },
    );
  });
}

/** One measured slice, added to `totals`. */
async function slice(
  target: LoadTarget,
  seconds: number,
  totals: Totals,
  requests?: number,
): Promise<void> {
  const cpuBefore = cpuSeconds(target.pid);
  const genBefore = process.cpuUsage();
  const okBefore = totals.ok;
  const started = performance.now();
  const result = await run(target, seconds, totals, requests);
  const wall = (performance.now() - started) / 1000;
  totals.sliceRates.push((totals.ok - okBefore) / (result.duration > 0 ? result.duration : wall));
  const cpu = cpuSeconds(target.pid) - cpuBefore;
  totals.sliceCpuRates.push(cpu > 0 ? (totals.ok - okBefore) / cpu : NaN);
  totals.cpu += cpu;
  const gen = process.cpuUsage(genBefore);
  totals.generator += (gen.user + gen.system) / 1e6;
  totals.wall += wall;
  totals.seconds += result.duration > 0 ? result.duration : wall;
  totals.requests += result.requests.total;
  totals.errors += result.errors;
  totals.timeouts += result.timeouts;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(totals: Totals): LoadResult {
  const sorted = Float64Array.from(totals.latencies).sort();
  return {
    okPerSecond: median(totals.sliceRates),
    requestsPerSecond: totals.requests / totals.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    okPerCpuSecond: median(totals.sliceCpuRates),
    serverCores: totals.cpu / totals.wall,
    generatorCores: totals.generator / totals.wall,
    ok: totals.ok,
    bad: totals.bad,
    errors: totals.errors,
    timeouts: totals.timeouts,
    badSample: totals.badSample,
    seconds: totals.seconds,
    sliceRates: totals.sliceRates,
    sliceCpuRates: totals.sliceCpuRates,
  };
}

/** Warm-up run, then one measured run of `seconds`. */
export async function measure(
  target: LoadTarget,
  warmupSeconds: number,
  seconds: number,
): Promise<LoadResult> {
  if (warmupSeconds > 0) await run(target, warmupSeconds, new Totals());
  const totals = new Totals();
  await slice(target, seconds, totals);
  return summarize(totals);
}

/** How {@linkcode measureInterleaved} splits its time. */
export interface Interleaving {
  /** Warm-up per target, seconds (figures discarded). */
  warmup: number;
  /** Rounds; each round drives every target once. */
  rounds: number;
  /** Seconds per target per round. */
  slice: number;
  /**
   * Requests per target per round: a slice ends after that many answers (a smoke run, which
   * checks answers and measures nothing). @default none: the slice's seconds
   */
  requests?: number;
  /**
   * Every target of a round driven at once instead of one after the other (a smoke run: nothing
   * is compared, and the CPU figures of targets driven at once mean nothing). @default false
   */
  together?: boolean;
}

/**
 * Warms every target, then measures them in `rounds` rounds of one slice
 * each, the order rotated by one every round (`together`: all at once; see
 * {@linkcode Interleaving}). Returns results in target order.
 * `onError` gets a target whose slice threw; its result is then partial.
 */
export async function measureInterleaved(
  targets: readonly LoadTarget[],
  timing: Interleaving,
  onError: (index: number, error: unknown) => void,
): Promise<LoadResult[]> {
  const totals = targets.map(() => new Totals());
  const broken = new Set<number>();
  const attempt = async (i: number, step: () => Promise<unknown>) => {
    if (broken.has(i)) return;
    try {
      await step();
    } catch (error) {
      broken.add(i);
      onError(i, error);
    }
  };
  if (timing.warmup > 0) {
    for (let i = 0; i < targets.length; i++) {
      await attempt(i, () => run(targets[i], timing.warmup, new Totals()));
    }
  }
  const measured = (i: number) =>
    attempt(i, () => slice(targets[i], timing.slice, totals[i], timing.requests));
  for (let round = 0; round < timing.rounds; round++) {
    if (timing.together) {
      await Promise.all(targets.map((_, i) => measured(i)));
      continue;
    }
    for (let k = 0; k < targets.length; k++) await measured((k + round) % targets.length);
  }
  return totals.map(summarize);
}
