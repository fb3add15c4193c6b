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
 *   node bench/soak_hostile.ts --smoke         30 s (CI: the loop still runs and nothing dies)
 *
 * Exits 1 when a server dies or a runtime's RSS is not flat (not in smoke mode: 30 s is warm-up).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { BINARIES, ROOT, type Runtime, RUNTIMES } from "./lib/proc.ts";

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const smoke = args.includes("--smoke");
const minutes = Number(option("--minutes") ?? (smoke ? 0.5 : 10));
const runtimes = (option("--runtime") ?? "all") === "all"
  ? RUNTIMES
  : (option("--runtime")!.split(",") as Runtime[]);
/** Requests in flight per server: enough to keep it busy, few enough for three runtimes on two cores. */
const WORKERS = Number(option("--workers") ?? 6);
const SAMPLE_MS = smoke ? 2_000 : 10_000;
const REQUEST_DEADLINE_MS = 15_000;
const LEGACY_VERSION = "2025-11-25";
const MODERN_VERSION = "2026-07-28";

/** A random string of `bytes` ASCII letters: a name no server defined and each one new. */
function junk(bytes: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const seed = Array.from({ length: 64 }, () => alphabet[Math.floor(Math.random() * 62)]).join("");
  return seed.repeat(Math.ceil(bytes / 64)).slice(0, bytes);
}

/** The OTLP sink: takes every export, keeps counts and the largest batch. */
interface Sink {
  server: Server;
  url: string;
  batches: number;
  bytes: number;
  largest: number;
}

async function startSink(): Promise<Sink> {
  const sink = { batches: 0, bytes: 0, largest: 0 } as Sink;
  sink.server = createServer((request, response) => {
    let size = 0;
    request.on("data", (chunk: Buffer) => size += chunk.length);
    request.on("end", () => {
      sink.batches++;
      sink.bytes += size;
      sink.largest = Math.max(sink.largest, size);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => sink.server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${(sink.server.address() as AddressInfo).port}`;
  return sink;
}

/** A fixture process and where it listens. */
interface Fixture {
  child: ChildProcess;
  url: string;
  dead: () => string | undefined;
}

/** A free loopback port nobody listens on: the OAuth issuer that never answers. */
async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function startFixture(runtime: Runtime, env: Record<string, string>): Promise<Fixture> {
  const entry = "examples/everything.ts";
  const argv = runtime === "deno"
    ? [BINARIES.deno, "run", "-A", entry]
    : [BINARIES[runtime], entry];
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let exit: string | undefined;
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  child.on("exit", (code, signal) => exit = `exited (${code ?? signal}): ${stderr.slice(-600)}`);
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`${runtime}: no listening line`)), 30_000);
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const found = /listening on (http:\/\/\S+\/mcp)/.exec(stdout);
      if (found === null) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners("data").resume();
      resolve({ child, url: found[1], dead: () => exit });
    });
    child.on("exit", () => reject(new Error(`${runtime} ${exit}`)));
  });
}

/** RSS of a process, bytes (/proc/<pid>/status VmRSS). */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) * 1024;
}

/** What one server answered, by status. */
type Tally = Map<string, number>;

async function send(
  tally: Tally,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<Response | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body,
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    });
    tally.set(String(response.status), (tally.get(String(response.status)) ?? 0) + 1);
    return response;
  } catch (error) {
    const name = (error as Error).name === "TimeoutError" ? "timeout" : "network";
    tally.set(name, (tally.get(name) ?? 0) + 1);
    return undefined;
  }
}

const rpc = (method: string, params: Record<string, unknown>, id = 1) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params });

/** Opens a legacy session (as `bearer`, or anonymous); its id, or undefined when refused. */
async function openSession(
  tally: Tally,
  url: string,
  bearer?: string,
): Promise<string | undefined> {
  const auth: Record<string, string> = bearer === undefined
    ? {}
    : { authorization: `Bearer ${bearer}` };
  const response = await send(
    tally,
    url,
    rpc("initialize", {
      protocolVersion: LEGACY_VERSION,
      capabilities: {},
      clientInfo: { name: "soak", version: "1.0.0" },
    }),
    auth,
  );
  await response?.body?.cancel();
  return response?.headers.get("mcp-session-id") ?? undefined;
}

/** A legacy request on `session` (drained). */
async function legacy(tally: Tally, url: string, session: string, body: string, bearer?: string) {
  const headers: Record<string, string> = {
    "mcp-session-id": session,
    "mcp-protocol-version": LEGACY_VERSION,
  };
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  const response = await send(tally, url, body, headers);
  await response?.text().catch(() => undefined);
}

/** A 2026-07-28 request (drained); `name` goes in Mcp-Name when given. */
async function modern(
  tally: Tally,
  url: string,
  method: string,
  params: Record<string, unknown>,
  name?: string,
) {
  const body = rpc(method, {
    ...params,
    _meta: {
      "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
      "io.modelcontextprotocol/clientCapabilities": {},
      "io.modelcontextprotocol/clientInfo": { name: "soak", version: "1.0.0" },
    },
  });
  const headers: Record<string, string> = {
    "mcp-protocol-version": MODERN_VERSION,
    "mcp-method": method,
  };
  if (name !== undefined) headers["mcp-name"] = name;
  const response = await send(tally, url, body, headers);
  await response?.text().catch(() => undefined);
}

/** One worker's endless round of hostile requests against the demo-auth fixture, until `stop`. */
async function hostileLoop(url: string, tally: Tally, stop: AbortSignal): Promise<void> {
  // A session of its own for the in-session scenarios, reopened when refused or expired.
  let session: string | undefined;
  for (let round = 0; !stop.aborted; round++) {
    session ??= await openSession(tally, url, "soak-worker");
    const scenario = round % 9;
    if (scenario === 0 && session !== undefined) {
      await legacy(tally, url, session, rpc(junk(256 * 1024), {}), "soak-worker");
    } else if (scenario === 1 && session !== undefined) {
      await legacy(
        tally,
        url,
        session,
        rpc("tools/call", { name: junk(256 * 1024), arguments: {} }),
        "soak-worker",
      );
    } else if (scenario === 2 && session !== undefined) {
      await legacy(
        tally,
        url,
        session,
        rpc("prompts/get", { name: junk(64 * 1024) }),
        "soak-worker",
      );
      await legacy(
        tally,
        url,
        session,
        rpc("resources/read", { uri: `x://${junk(7 * 1024)}` }),
        "soak-worker",
      );
    } else if (scenario === 3) {
      await modern(tally, url, junk(4 * 1024), {});
      await modern(tally, url, "tools/call", { name: junk(4 * 1024), arguments: {} }, undefined);
      await modern(tally, url, "resources/read", { uri: `x://${junk(4 * 1024)}` });
    } else if (scenario === 4) {
      // Session flood: anonymous, and a new principal every time (the demo auth trusts any bearer).
      await openSession(tally, url);
      await openSession(tally, url, junk(32));
    } else if (scenario === 5) {
      // Task flood: a task with a 128 KiB result, anonymous and as a new principal.
      for (const bearer of [undefined, junk(24)]) {
        const own = await openSession(tally, url, bearer);
        if (own === undefined) continue;
        await legacy(
          tally,
          url,
          own,
          rpc("tools/call", {
            name: "slow_compute",
            arguments: { seconds: 0, label: junk(128 * 1024) },
            task: { ttl: 60_000 },
          }),
          bearer,
        );
      }
    } else if (scenario === 6) {
      // Bad credentials: a scheme the demo auth refuses, and a long bearer (a new principal).
      await send(tally, url, rpc("tools/list", {}), { authorization: `Basic ${junk(2048)}` })
        .then((r) => r?.body?.cancel());
      await openSession(tally, url, junk(4096));
    } else if (scenario === 7 && session !== undefined) {
      await legacy(
        tally,
        url,
        session,
        rpc("tools/call", { name: "greet", arguments: { name: "soak" } }),
        "soak-worker",
      );
    } else {
      await modern(
        tally,
        url,
        "tools/call",
        { name: "greet", arguments: { name: "soak" } },
        "greet",
      );
    }
    if (round % 50 === 49) session = undefined;
  }
}

/**
 * Bad tokens for the OAuth fixture whose issuer never answers: junk bearers
 * (refused before any network) and JWTs of that issuer with made-up keys
 * (they need its keys: 503 while it cannot be reached).
 */
async function badTokenLoop(
  url: string,
  issuer: string,
  tally: Tally,
  stop: AbortSignal,
): Promise<void> {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  for (let round = 0; !stop.aborted; round++) {
    const token = round % 2 === 0
      ? junk(64)
      : `${b64({ alg: "RS256", kid: junk(16) })}.${b64({ iss: issuer, sub: junk(8), exp: 4e9 })}.${
        junk(43)
      }`;
    const response = await send(
      tally,
      url,
      rpc("initialize", {
        protocolVersion: LEGACY_VERSION,
        capabilities: {},
        clientInfo: { name: "soak", version: "1.0.0" },
      }),
      { authorization: `Bearer ${token}` },
    );
    await response?.body?.cancel();
  }
}

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
    `soak: ${minutes} min on ${
      runtimes.join(", ")
    }; ${WORKERS} workers per server; OTLP sink ${sink.url}; ` +
      `OAuth issuer 127.0.0.1:${issuerPort} (never answers)`,
  );
  const runs: RuntimeRun[] = [];
  for (const runtime of runtimes) {
    const hostile = await startFixture(runtime, otel);
    const oauth = await startFixture(runtime, {
      ...otel,
      OAUTH_ISSUER: `http://127.0.0.1:${issuerPort}`,
    });
    runs.push({ runtime, hostile, oauth, tally: new Map(), oauthTally: new Map(), samples: [] });
  }
  const stop = new AbortController();
  const started = Date.now();
  const loops = runs.flatMap((run) => [
    ...Array.from({ length: WORKERS }, () => hostileLoop(run.hostile.url, run.tally, stop.signal)),
    badTokenLoop(run.oauth.url, `http://127.0.0.1:${issuerPort}`, run.oauthTally, stop.signal),
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
  await new Promise((resolve) => setTimeout(resolve, minutes * 60_000));
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
        `${mib(verdictOf.growth)} MiB | ${mib(oauth[0] ?? 0)} → ${mib(oauth.at(-1) ?? 0)} | ` +
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
