/**
 * What the gateway costs (issue 68): a `tools/call` of the echo tool through
 * tether's gateway (`bench/servers/gateway.ts`, the upstream's tool served as
 * `up_echo`) against the same call on the upstream directly, in both eras
 * (2025-11-25 in a session; 2026-07-28 stateless, as one principal), for an
 * HTTP upstream (`bench/servers/tether.ts`) and a stdio one
 * (`bench/servers/tether_stdio.ts`, one process per upstream session); beside
 * it mcp-use's `server.proxy()` in front of its own HTTP upstream
 * (`bench/servers/mcp_use_proxy.ts`); and the first call of a new downstream
 * session (the upstream session it opens). Server CPU is every serving
 * process's: the gateway, its upstream and the upstream's subprocesses.
 *
 *   node_modules/node24/bin/node bench/gateway_cost.ts [--runtime node] [--rounds 8]
 *        [--slice 1] [--connections 32] [--sessions 16] [--first 20]
 *        [--only http,stdio,peer,first] [--smoke] [--append bench/RESULTS.md]
 *        [--plan (print the plan line, lib/gateway_plan.ts, and exit)]
 *
 * Two passes of alternating rounds (every target once a round, the order
 * rotated): one connection (latency: wrk's p50/p99 of the slice; the direct
 * stdio rows time each line from the driver), then `--connections` (calls per
 * server CPU-second). A row's figure is the median over the rounds of the
 * per-round difference or ratio against its pair, with the rounds' range.
 * The peer row needs mcp-use (`MCP_USE_DIR`, see mcp_use_proxy.ts) and
 * Node; without it the row is skipped with a line saying why. `--smoke`:
 * one round of one second, 4 connections, 3 new sessions; exits 1 on any
 * wrong answer. `--append FILE`: this report's section of FILE replaced
 * (or added); `npm run bench:gateway` runs it so.
 * @module
 */

import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { gatewayPlan, gatewaySettings, SLICE_GAP_MS, WARMUP_SECONDS } from "./lib/gateway_plan.ts";
import { planLine } from "./lib/plan.ts";
import { median } from "./lib/load.ts";
import { firstCalls } from "./lib/first_calls.ts";
import {
  allocatePort,
  childPids,
  commandFor,
  ROOT,
  RUNTIMES,
  type ServerProcess,
  startServer,
} from "./lib/proc.ts";
import {
  ECHO_CHECK,
  echoCallBody,
  ID_SLOT,
  initializeBody,
  INITIALIZED_BODY,
  MODERN_ECHO_CHECK,
  modernEchoCallBody,
  POST_HEADERS,
} from "./lib/protocol.ts";
import { type Slice, startStdio, type StdioServer, stdioSlice } from "./lib/stdio_load.ts";
import { writeSection } from "./lib/results_section.ts";
import { measureWithWrk, wrkVersion } from "./lib/wrk.ts";
import type { WrkTraffic } from "./lib/wrk_script.ts";
import {
  createSessionsOverHttp,
  echoTraffic,
  statelessTraffic,
  withVersion,
} from "./run/traffic.ts";

const argv = process.argv.slice(2);
const settings = gatewaySettings(argv);
const { smoke, runtime, rounds, sliceSeconds, connections, sessions, newSessions, only, append } =
  settings;
if (!RUNTIMES.includes(runtime)) throw new Error(`--runtime: one of ${RUNTIMES.join(", ")}`);
console.log(planLine(gatewayPlan(settings)));
if (settings.plan) process.exit(0);
const SERVERS = resolve(ROOT, "bench/servers");
/** This report's section of bench/RESULTS.md (`--append`). */
const SECTION = "## Gateway cost: tools/call through the gateway against the upstream directly";

/** The report's lines, printed as they come. */
const lines: string[] = [];
function say(line: string): void {
  console.log(line);
  lines.push(line);
}

/** A served row: `run` measures one slice of it. */
interface Target {
  name: string;
  run(seconds: number, connections: number): Promise<Slice>;
}

/** The upstream's echo call as the gateway and mcp-use name it (`up_echo`). */
function viaUp(traffic: WrkTraffic, headers: Record<string, string> = {}): WrkTraffic {
  const renamed = { ...traffic.headers, ...headers };
  if (renamed["mcp-name"] !== undefined) renamed["mcp-name"] = "up_echo";
  return {
    ...traffic,
    headers: renamed,
    body: traffic.body.replace('"name":"echo"', '"name":"up_echo"'),
  };
}

function wrkTarget(
  name: string,
  server: ServerProcess,
  traffic: WrkTraffic,
  pids: () => readonly number[],
): Target {
  return {
    name,
    async run(seconds, connections) {
      const [result] = await measureWithWrk(
        [{ ...traffic, port: server.port, pid: server.pid, pids, path: "/mcp", connections }],
        { warmup: 0, rounds: 1, slice: seconds },
        (_, error) => {
          throw new Error(`${name}: ${error}`);
        },
      );
      return { ...result, badSample: result.badSample };
    },
  };
}

function stdioTarget(name: string, server: StdioServer, body: string, check = ECHO_CHECK): Target {
  return {
    name,
    run: (seconds, connections) => stdioSlice(server, body, check, seconds, connections),
  };
}

/** Warms every target, then `rounds` rounds, the order rotated; slices[target][round]. */
async function rotate(targets: readonly Target[], width: number): Promise<Slice[][]> {
  const slices = targets.map((): Slice[] => []);
  for (const target of targets) {
    await target.run(smoke ? WARMUP_SECONDS.smoke : WARMUP_SECONDS.full, width);
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < targets.length; k++) {
      const index = (k + round) % targets.length;
      const slice = await targets[index].run(sliceSeconds, width);
      if (slice.bad > 0) {
        throw new Error(`${targets[index].name}: ${slice.bad} wrong, first: ${slice.badSample}`);
      }
      slices[index].push(slice);
      // A call wrk left unanswered at the slice's end ends first: the next slice's ids start over.
      await new Promise((resolve) => setTimeout(resolve, SLICE_GAP_MS));
    }
  }
  return slices;
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);
/** "m [lo–hi]" of the per-round values of `f(a, b)`. */
function paired(a: Slice[], b: Slice[], f: (a: Slice, b: Slice) => number, digits = 2): string {
  const values = a.map((slice, i) => f(slice, b[i])).filter(Number.isFinite);
  return `${fmt(median(values), digits)} [${fmt(Math.min(...values), digits)}–${
    fmt(Math.max(...values), digits)
  }]`;
}
const cpuUs = (slice: Slice) => 1e6 / slice.okPerCpuSecond;

/** Both passes over `targets`; prints each [gateway, direct] pair's rows. */
async function measurePairs(
  title: string,
  targets: readonly Target[],
  pairs: readonly [number, number][],
): Promise<void> {
  const latency = await rotate(targets, 1);
  const load = await rotate(targets, connections);
  say(
    `\n### ${title} — ${rounds} rounds × ${sliceSeconds} s, ${connections} connections under load`,
  );
  say("");
  say(
    "| pair | p50 ms (1 conn.) | added p50 ms | p99 ms | added p99 ms | CPU µs/call (load) | added µs/call | direct ÷ gateway calls/CPU-s |",
  );
  say("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [g, d] of pairs) {
    const [gl, dl, gu, du] = [latency[g], latency[d], load[g], load[d]];
    const m = (slices: Slice[], f: (s: Slice) => number) => fmt(median(slices.map(f)));
    say(
      `| ${targets[g].name} ÷ ${targets[d].name} | ${m(gl, (s) => s.p50)} vs ${
        m(dl, (s) => s.p50)
      } | ${paired(gl, dl, (a, b) => a.p50 - b.p50)} | ${m(gl, (s) => s.p99)} vs ${
        m(dl, (s) => s.p99)
      } | ${paired(gl, dl, (a, b) => a.p99 - b.p99)} | ${fmt(median(gu.map(cpuUs)), 0)} vs ${
        fmt(median(du.map(cpuUs)), 0)
      } | ${paired(gu, du, (a, b) => cpuUs(a) - cpuUs(b), 0)} | ${
        paired(du, gu, (a, b) => a.okPerCpuSecond / b.okPerCpuSecond)
      } |`,
    );
  }
}

const started: ServerProcess[] = [];
const stdios: StdioServer[] = [];
async function serve(file: string, args: string[] = []): Promise<ServerProcess> {
  const server = await startServer(runtime, `${SERVERS}/${file}`, args, { port: allocatePort() });
  started.push(server);
  return server;
}
const base = (server: ServerProcess) => `http://127.0.0.1:${server.port}`;
const tree = (server: ServerProcess) => () => [server.pid, ...childPids(server.pid)];
const BEARER = { authorization: "Bearer bench" };

/** The legacy (sessions made over HTTP) and 2026-07-28 targets of a gateway or peer. */
async function eraTargets(
  name: string,
  server: ServerProcess,
  pids: () => readonly number[],
  n: number,
  sessionful = true,
) {
  const { ids, version } = await createSessionsOverHttp(base(server), n, sessionful);
  // Each session's upstream session (a stdio process: seconds on a busy machine) opened before
  // any slice: a slice that outlasts none of its calls would leave their ids in flight.
  const open = (headers: Record<string, string>, body: string) =>
    fetch(`${base(server)}/mcp`, { method: "POST", headers, body }).then(async (response) => {
      const text = await response.text();
      if (!text.includes('"text":"hello"')) throw new Error(`${name}: ${text.slice(0, 200)}`);
    });
  const call = (body: string) => body.replace('"name":"echo"', '"name":"up_echo"');
  await Promise.all([
    ...ids.map((id) =>
      open({ ...withVersion(POST_HEADERS, version), "mcp-session-id": id }, call(echoCallBody(1)))
    ),
    ...(sessionful ? [] : [open(withVersion(POST_HEADERS, version), call(echoCallBody(1)))]),
    open(viaUp(statelessTraffic().wrk!, BEARER).headers, call(modernEchoCallBody(1))),
  ]);
  return [
    wrkTarget(
      `${name} 2025`,
      server,
      viaUp(echoTraffic(ids, withVersion(POST_HEADERS, version)).wrk!),
      pids,
    ),
    wrkTarget(`${name} 2026`, server, viaUp(statelessTraffic().wrk!, BEARER), pids),
  ];
}

async function main(): Promise<void> {
  say(
    `gateway cost on ${runtime}, ${wrkVersion()}${
      smoke ? " (smoke)" : ""
    }; load average ${loadAverage()}`,
  );
  const upstream = await serve("tether.ts");
  const gateway = await serve("gateway.ts", ["--upstream", `${base(upstream)}/mcp`]);
  const both = () => [gateway.pid, upstream.pid];
  if (only.includes("http")) {
    const { ids, version } = await createSessionsOverHttp(base(upstream), sessions, true);
    const direct = [
      wrkTarget(
        "direct 2025",
        upstream,
        echoTraffic(ids, withVersion(POST_HEADERS, version)).wrk!,
        () => [upstream.pid],
      ),
      wrkTarget("direct 2026", upstream, statelessTraffic().wrk!, () => [upstream.pid]),
    ];
    const through = await eraTargets("gateway", gateway, both, sessions);
    const title = "HTTP upstream: through the gateway ÷ direct";
    await measurePairs(title, [...through, ...direct], [[0, 2], [1, 3]]);
  }
  if (only.includes("stdio")) {
    const gatewayStdio = await serve("gateway.ts", ["--stdio"]);
    const command = commandFor(runtime, `${SERVERS}/tether_stdio.ts`, [], false);
    const legacy = startStdio(command);
    const modern = startStdio(command);
    stdios.push(legacy, modern);
    await legacy.call(initializeBody(ID_SLOT), 1);
    legacy.notify(INITIALIZED_BODY);
    const through = await eraTargets(
      "gateway",
      gatewayStdio,
      tree(gatewayStdio),
      Math.min(sessions, 8),
    );
    const direct = [
      stdioTarget("direct 2025", legacy, echoCallBody(ID_SLOT)),
      stdioTarget("direct 2026", modern, modernEchoCallBody(ID_SLOT), MODERN_ECHO_CHECK),
    ];
    const title = "stdio upstream: through the gateway ÷ direct";
    await measurePairs(title, [...through, ...direct], [[0, 2], [1, 3]]);
  }
  if (only.includes("peer")) {
    const peerUpstream = await serve("tether.ts");
    let peer: ServerProcess | undefined;
    if (runtime !== "node") say("\nmcp-use row skipped: mcp-use runs on Node only");
    else {
      peer = await serve("mcp_use_proxy.ts", ["--upstream", `${base(peerUpstream)}/mcp`]).catch(
        (error) => {
          say(
            `\nmcp-use row skipped: ${String(error).split("\n").slice(-2).join(" ").trim()}`,
          );
          return undefined;
        },
      );
    }
    if (peer !== undefined) {
      const ours = await eraTargets("gateway", gateway, both, sessions);
      const theirPids = () => [peer.pid, peerUpstream.pid];
      const theirs = await eraTargets("mcp-use", peer, theirPids, 1, false);
      const load = await rotate([...ours, ...theirs], connections);
      say(
        `\n### the gateway ÷ mcp-use server.proxy(), calls per server CPU-second (target ≥ 1.2×), ${rounds} rounds\n`,
      );
      for (const era of [0, 1]) {
        const [g, p] = [load[era], load[era + 2]];
        const ratios = g.map((s, i) => s.okPerCpuSecond / p[i].okPerCpuSecond);
        const [low, high] = [Math.min(...ratios), Math.max(...ratios)];
        const verdict = median(ratios) >= 1.2 ? "✓" : "✗";
        say(
          `- ${ours[era].name} ${fmt(median(g.map((s) => s.okPerCpuSecond)), 0)}/CPU-s, ${
            theirs[era].name
          } ${fmt(median(p.map((s) => s.okPerCpuSecond)), 0)}/CPU-s: ÷ ${
            paired(g, p, (a, b) => a.okPerCpuSecond / b.okPerCpuSecond)
          } ${verdict}${
            low < 1.2 && high >= 1.2 ? " (within its rounds' spread of 1.2)" : ""
          }; calls/s ÷ ${paired(g, p, (a, b) => a.ok / b.ok)}`,
        );
      }
    }
  }
  if (only.includes("first")) {
    const fresh = await serve("gateway.ts", ["--upstream", `${base(upstream)}/mcp`]);
    const freshStdio = await serve("gateway.ts", ["--stdio"]);
    say(
      `\n### first call of a new downstream session, ${newSessions} sessions one after another (ms; medians)\n`,
    );
    say(
      "| server | era | session setup | first call | second call | first − second [range] | server CPU per session |",
    );
    say("| --- | --- | --- | --- | --- | --- | --- |");
    const rows: [string, ServerProcess, string, () => readonly number[], number][] = [
      ["upstream directly (HTTP)", upstream, "echo", () => [upstream.pid], newSessions],
      ["gateway, HTTP upstream", fresh, "up_echo", () => [fresh.pid, upstream.pid], newSessions],
      [
        "gateway, stdio upstream",
        freshStdio,
        "up_echo",
        tree(freshStdio),
        Math.min(newSessions, 10),
      ],
    ];
    for (const [name, server, tool, pids, n] of rows) {
      for (const era of ["legacy", "2026"] as const) {
        const r = await firstCalls(base(server), n, era, tool, pids);
        say(
          `| ${name} | ${era === "legacy" ? "2025-11-25" : "2026-07-28"} | ${fmt(r.setup)} | ${
            fmt(r.first)
          } | ${fmt(r.second)} | ${fmt(r.extra)} [${fmt(r.extraRange[0])}–${
            fmt(r.extraRange[1])
          }] | ${fmt(r.cpuMs)} ms |`,
        );
      }
    }
  }
}

const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/** The section `--append` writes: how it was made, then the tables as printed. */
function section(load: string, seconds: number): string {
  const command = ["node_modules/node24/bin/node", "bench/gateway_cost.ts", ...argv].join(" ");
  return [
    SECTION,
    "",
    `- Date: ${new Date().toISOString()}; machine: ${cpus().length} cores (${
      cpus()[0]?.model ?? "?"
    }); load average before / after: ${load} / ${loadAverage()}.`,
    `- Generated by \`${command}\` (${Math.round(seconds)} s); do not edit. Runtime: ${
      started[0]?.version ?? runtime
    }; ${wrkVersion()}.`,
    `- Each row pairs two targets measured in alternating ${sliceSeconds} s slices after a warm-up (every target once a round, the order rotated); a figure in brackets is the range of the per-round values. Latency: one connection (wrk's p50/p99 of each slice; the direct stdio rows time each line from the driver, which writes to the process's stdin). CPU per call: under load, the CPU of every serving process (the gateway, its upstream, the upstream's subprocesses) per right answer. 2025 sessions: ${sessions} (stdio ${
      Math.min(sessions, 8)
    }); new sessions: ${newSessions} (stdio ${Math.min(newSessions, 10)}).`,
    "- The gateway speaks 2025-11-25 upstream in both eras; its 2026-07-28 caller is one principal (`Authorization: Bearer`), whose calls share one upstream session. mcp-use (2.5.2, `proxy(connection)` over the official v2 client, telemetry off) serves every caller over one upstream connection and keeps no downstream session (a 2025 client's `initialize` gets none).",
    "",
    ...lines.slice(1),
    "",
  ].join("\n");
}

const load = loadAverage();
const began = performance.now();
try {
  await main();
  if (append !== "") {
    writeSection(resolve(ROOT, append), SECTION, section(load, (performance.now() - began) / 1000));
  }
  console.log("\nOK");
} finally {
  await Promise.all([...started.map((s) => s.stop()), ...stdios.map((s) => s.stop())]);
}
