/**
 * Profiles one bench server under one workload with V8's sampling profiler
 * and prints where its CPU time goes, mapped back to TypeScript file:line.
 *
 *   node_modules/node24/bin/node bench/lab/profile.ts [--runtime node|deno|bun] [--server tether|tether-sse|sdk|sdk-json|ceiling|floor|floor-guarded|floor-legacy|floor-legacy-guarded|floor-legacy-resumable|floor-legacy-sse|floor-legacy-sse-resumable|mcp-lite|tmcp|hono-mcp]
 *                                              [--workload steady|init|progress|stateless|large|large-1m] [--seconds 10] [--top 25]
 *
 * The server runs with `--cpu-prof` (Node 24: `node --cpu-prof`, Deno:
 * `deno run --cpu-prof`, `bun --cpu-prof`), is driven by autocannon exactly as in bench/run.ts,
 * then exits cleanly through `POST /__bench/exit` so the profile is written
 * (to $TMPDIR/tether-bench-profiles/). Positions are the TypeScript source's on every
 * runtime (Node blanks out types in place; Deno and Bun source-map their profiles).
 */

import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measure, type RequestTemplate } from "../lib/load.ts";
import { BINARIES, ROOT } from "../lib/proc.ts";
import { freeRigPort } from "../../scripts/rig_processes.ts";
import {
  echoCallBody,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  isEchoResult,
  isModernEchoResult,
  largeCallBody,
  MCP_PATH,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
} from "../lib/protocol.ts";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const runtime = opt("runtime", "node");
const serverKey = opt("server", "tether");
const workload = opt("workload", "steady");
const seconds = Number(opt("seconds", "10"));
const top = Number(opt("top", "25"));
// A free port outside the bench's own range (18801-18899): a profile server left running never
// makes a bench run fail on EADDRINUSE, nor the other way round.
const port = await freeRigPort();

const ENTRIES: Record<string, [string, string[]]> = {
  ceiling: ["ceiling.ts", []],
  tether: ["tether.ts", ["--max-sessions", "10000000"]],
  "tether-sse": ["tether.ts", ["--mode", "sse"]],
  sdk: ["sdk.ts", []],
  "sdk-json": ["sdk.ts", ["--mode", "json"]],
  floor: ["floor.ts", []],
  "floor-guarded": ["floor.ts", ["--guarded", "true"]],
  "floor-legacy": ["floor.ts", ["--era", "legacy"]],
  "floor-legacy-guarded": ["floor.ts", ["--era", "legacy", "--guarded", "true"]],
  "floor-legacy-resumable": ["floor.ts", ["--era", "legacy", "--resumable"]],
  "floor-legacy-sse": ["floor.ts", ["--era", "legacy", "--mode", "sse"]],
  "floor-legacy-sse-resumable": ["floor.ts", ["--era", "legacy", "--mode", "sse", "--resumable"]],
  "mcp-lite": ["mcp_lite.ts", []],
  tmcp: ["tmcp.ts", []],
  "hono-mcp": ["hono_mcp.ts", []],
};

const dir = join(tmpdir(), "tether-bench-profiles");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const [entry, extra] = ENTRIES[serverKey];
const args = [join("bench/servers", entry), ...extra, "--port", String(port)];
const command = runtime === "deno"
  ? [BINARIES.deno, "run", "-A", `--cpu-prof-dir=${dir}`, ...args]
  : runtime === "bun"
  ? [BINARIES.bun, "--cpu-prof", `--cpu-prof-dir=${dir}`, ...args]
  : [BINARIES.node, "--cpu-prof", `--cpu-prof-dir=${dir}`, ...args];
console.log(command.join(" "));
const child = spawn(command[0], command.slice(1), {
  cwd: ROOT,
  stdio: ["ignore", "pipe", "inherit"],
});
const ready = await new Promise<{ pid: number }>((resolve, reject) => {
  let out = "";
  child.stdout!.on("data", (chunk) => {
    out += chunk;
    const line = out.split("\n").find((l) => l.startsWith("READY "));
    if (line) resolve(JSON.parse(line.slice(6)));
  });
  child.on("exit", () => reject(new Error("server exited")));
});
const base = `http://127.0.0.1:${port}`;

let seq = 0;
const pool: string[] = [];
for (let i = 0; i < 64; i++) {
  const r = await fetch(base + MCP_PATH, {
    method: "POST",
    headers: INIT_HEADERS,
    body: initializeBody(++seq),
  });
  await r.text();
  const id = r.headers.get("mcp-session-id")!;
  await (await fetch(base + MCP_PATH, {
    method: "POST",
    headers: { ...POST_HEADERS, "mcp-session-id": id },
    body: INITIALIZED_BODY,
  })).text();
  pool.push(id);
}
const steady: RequestTemplate = {
  setup(ctx) {
    const id = ++seq;
    ctx.id = id;
    return {
      body: echoCallBody(id),
      headers: { ...POST_HEADERS, "mcp-session-id": pool[id % pool.length] },
    };
  },
  check: (status, body, _h, ctx) => status === 200 && isEchoResult(body, ctx.id as number),
};
const init: RequestTemplate[] = [
  {
    setup: () => ({ body: initializeBody(++seq), headers: { ...INIT_HEADERS } }),
    check(status, _body, headers, ctx) {
      ctx.sessionId = headers["mcp-session-id"];
      return status === 200;
    },
  },
  {
    setup: (ctx) => ({
      body: INITIALIZED_BODY,
      headers: { ...POST_HEADERS, "mcp-session-id": ctx.sessionId as string },
    }),
    check: (status) => status === 202,
  },
];
const progress: RequestTemplate = {
  setup(ctx) {
    const id = ++seq;
    ctx.id = id;
    return {
      body:
        `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"progress","arguments":{},"_meta":{"progressToken":"p${id}"}}}`,
      headers: { ...POST_HEADERS, "mcp-session-id": pool[id % pool.length] },
    };
  },
  check: (status) => status === 200,
};
/** A 2026-07-28 tools/call: the envelope in `_meta`, the routing headers, no session. */
const stateless: RequestTemplate = {
  setup(ctx) {
    const id = ++seq;
    ctx.id = id;
    return {
      body: modernEchoCallBody(id),
      headers: { ...POST_HEADERS, ...modernCallHeaders("echo") },
    };
  },
  check: (status, body, _h, ctx) => status === 200 && isModernEchoResult(body, ctx.id as number),
};
/** A tools/call of the large tool: a 256 KiB text result (`large-1m`: 1 MiB). */
const large = (tool: "large" | "large-1m"): RequestTemplate => ({
  setup(ctx) {
    const id = ++seq;
    ctx.id = id;
    return {
      body: largeCallBody(id, tool),
      headers: { ...POST_HEADERS, "mcp-session-id": pool[id % pool.length] },
    };
  },
  check: (status) => status === 200,
});
const single: Record<string, RequestTemplate> = {
  steady,
  progress,
  stateless,
  large: large("large"),
  "large-1m": large("large-1m"),
};
if (workload !== "init" && single[workload] === undefined) {
  throw new Error(
    `unknown workload ${workload}: steady, init, progress, stateless, large or large-1m`,
  );
}
const sequence = workload === "init" ? init : [single[workload]];
const result = await measure(
  { port, pid: ready.pid, path: MCP_PATH, sequence, connections: 32 },
  2,
  seconds,
);
console.log(
  `${workload} ${serverKey} on ${runtime}: ${Math.round(result.okPerSecond)}/s, ${
    Math.round(result.okPerCpuSecond)
  }/cpu-s, ` +
    `${(1e6 / result.okPerCpuSecond).toFixed(1)} µs CPU per ${
      workload === "init" ? "session" : "request"
    }, bad ${result.bad}`,
);
await fetch(base + "/__bench/exit", { method: "POST" });
await new Promise((resolve) => child.on("exit", resolve));

// ------------------------------------------------------------- summarise

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (file === undefined) throw new Error("no profile written");
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;

// Node strips types by replacing them with blanks, and Deno and Bun source-map their profiles:
// every runtime's positions are already those of the .ts source.
function originalLine(url: string, line: number): number | undefined {
  if (!url.startsWith("file://") || !url.endsWith(".ts")) return undefined;
  return line + 1;
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfTime = new Map<number, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  selfTime.set(profile.samples[i], (selfTime.get(profile.samples[i]) ?? 0) + dt);
  total += dt;
}
const idle = profile.nodes.filter((n) => ["(idle)", "(program)"].includes(n.callFrame.functionName))
  .reduce((s, n) => s + (selfTime.get(n.id) ?? 0), 0);
const busy = total - idle;

function label(cf: CallFrame): string {
  const url = cf.url.replace(`file://${ROOT}/`, "").replace(/^file:\/\//, "");
  const line = originalLine(cf.url, cf.lineNumber);
  const where = url === "" ? "(native)" : `${url}:${line ?? cf.lineNumber + 1}`;
  return `${cf.functionName || "(anonymous)"} ${where}`;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of selfTime) {
  const node = byId.get(id)!;
  if (["(idle)", "(program)"].includes(node.callFrame.functionName)) continue;
  const key = label(node.callFrame);
  self.set(key, (self.get(key) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = label(byId.get(cur)!.callFrame);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + t);
  }
}
const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
console.log(
  `\nbusy samples: ${(busy / 1000).toFixed(0)} ms of ${
    (total / 1000).toFixed(0)
  } ms profiled (${file})`,
);
console.log(`\nTop ${top} by self time (% of busy time):`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${pct(t)}  ${k}`);
}
console.log(`\nTop ${top} in src/ and bench/ by inclusive time:`);
for (
  const [k, t] of [...inclusive].filter(([k]) => / (src|bench|mod\.ts)/.test(k)).sort((a, b) =>
    b[1] - a[1]
  ).slice(0, top)
) console.log(`  ${pct(t)}  ${k}`);

// --callers NAME: the heaviest call paths ending in functions whose label contains NAME.
const callersOf = opt("callers", "");
if (callersOf !== "") {
  const paths = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const node = byId.get(id)!;
    if (!label(node.callFrame).includes(callersOf)) continue;
    const chain: string[] = [];
    for (let cur = parent.get(id); cur !== undefined && chain.length < 6; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      if (cf.functionName === "(root)") break;
      chain.push(label(cf));
    }
    const key = chain.join("  <-  ");
    paths.set(key, (paths.get(key) ?? 0) + t);
  }
  console.log(`\nCallers of ${callersOf}:`);
  for (const [k, t] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.log(`  ${pct(t)}  <-  ${k}`);
  }
}
