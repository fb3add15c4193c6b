/**
 * Scale-out bench: two tether instances on one Redis (createRedisBackend)
 * against one instance in memory, on each runtime, driven from this process
 * the way a load balancer spreads a client: every request goes to the next
 * instance in turn. Prints (and with `--out FILE` writes) one report:
 *
 * - throughput of JSON `tools/call` and of a 10-progress SSE tool, raw and
 *   per CPU-second of everything that serves it (the instances and, for
 *   the Redis rows, redis-server too), as a ratio to the memory instance;
 * - Redis round trips per JSON `tools/call` (commands sent by clients, seen
 *   with MONITOR, idle traffic of the bus readers subtracted), and the
 *   commands its scripts run; the same per 10-progress call, with `WORKERS`
 *   callers (writes to one budget book share a booking under load);
 * - first byte of a `Last-Event-ID` resume on the other instance, and the
 *   latency of a `notifications/cancelled` or an elicitation reply posted to
 *   the instance that is not running the tool (p50/p99);
 * - Redis memory per idle session (INFO memory, 2,000 sessions);
 * - Redis bytes out and commands per request at 2, 4 and 8 instances on one
 *   Redis (bench/lib/redis_fanout.ts): a JSON call, a cancel posted to
 *   another instance than the holder's (one bus message), and a 2026-07-28
 *   cancel posted to another instance than the call's; with the idle traffic
 *   per instance (subtracted from those) as its own column.
 *
 * The load generator is a closed loop of `fetch` calls in this Node process
 * (wrk cannot rotate hosts per request); it shares the two cores with the
 * servers, so raw figures are bounded by it, and per-CPU-second figures are
 * the ones to compare.
 *
 *   node_modules/node24/bin/node bench/redis_scale.ts [--runtime node,deno,bun] [--seconds 8]
 *     [--redis node|cluster]        one redis-server (default), or a local Redis Cluster of 3
 *                                   masters + 3 replicas (scripts/redis_topologies.ts) for the
 *                                   throughput and latency rows (its own section; no MONITOR
 *                                   round trips, idle-session memory or fan-out table there)
 *     [--append bench/RESULTS.md]   replace (or add) this report's section in a results file
 *     [--smoke]                     tiny loads and samples: checks that it runs and answers right (CI)
 * `npm run bench` runs it after bench/run.ts, appending to bench/RESULTS.md.
 */

import { execFileSync } from "node:child_process";
import { writeSection } from "./lib/results_section.ts";
import { createClient } from "redis";
import { redisNodeArgs, spawnRedisNode, startRedisCluster } from "../scripts/redis_topologies.ts";
import { freeRigPort as freePort } from "../scripts/rig_processes.ts";
import { cpuSeconds, type Runtime, RUNTIMES, type ServerProcess, startServer } from "./lib/proc.ts";
import { type FanoutRow, measureFanout } from "./lib/redis_fanout.ts";
import {
  ECHO_TEXT,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  MCP_PATH,
  POST_HEADERS,
} from "./lib/protocol.ts";

const SERVER = "bench/servers/tether_redis.ts";
/** The heading of this report's section (it replaces everything from there on with --append). */
const SECTION = "## Scale-out: 2 instances + Redis against 1 in memory";
/** The heading of the same report on a Redis Cluster (`--redis cluster`). */
const CLUSTER_SECTION =
  "## Scale-out on a Redis Cluster: 2 instances + 3 masters and 3 replicas against 1 in memory";
const WORKERS = 32;
/** Alternating slices per comparison (drifts in machine load hit both sides alike). */
const ROUNDS = 4;
const SESSIONS = 8;
let LATENCY_SAMPLES = 500;
/** Samples taken first and dropped (JIT, script loading, connection pools). */
let WARMUP_SAMPLES = 20;
let IDLE_SESSIONS = 2_000;
/** Requests per workload and instance count in the fan-out table. */
let FANOUT_REQUESTS = 300;
/** The idle window before each fan-out workload, ms (past the longest idle period, 5 s). */
let FANOUT_IDLE_MS = 6_000;

interface Cli {
  runtimes: Runtime[];
  seconds: number;
  append: string | undefined;
  smoke: boolean;
  /** A local Redis Cluster instead of one redis-server. */
  cluster: boolean;
}

function parseCli(argv: string[]): Cli {
  const cli: Cli = {
    runtimes: [...RUNTIMES],
    seconds: 8,
    append: undefined,
    smoke: false,
    cluster: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case "--runtime":
        cli.runtimes = value.split(",") as Runtime[];
        i++;
        break;
      case "--seconds":
        cli.seconds = Number(value);
        i++;
        break;
      case "--append":
        cli.append = value;
        i++;
        break;
      case "--redis":
        if (value !== "node" && value !== "cluster") {
          throw new Error("--redis takes node or cluster");
        }
        cli.cluster = value === "cluster";
        i++;
        break;
      case "--smoke":
        cli.smoke = true;
        cli.seconds = 0.5;
        LATENCY_SAMPLES = 10;
        WARMUP_SAMPLES = 2;
        IDLE_SESSIONS = 100;
        FANOUT_REQUESTS = 10;
        FANOUT_IDLE_MS = 1_000;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return cli;
}

interface Redis {
  url: string;
  /** The processes that serve it (CPU accounting): the node, or every node of the Cluster. */
  pids: number[];
  /** The flags that point bench/servers/tether_redis.ts at it. */
  serverArgs: string[];
  /** True for a Cluster: only the throughput and latency rows are measured on it. */
  cluster: boolean;
  /** Sends one command on the bench's own connection. */
  command(args: string[]): Promise<unknown>;
  /** Counts the commands Redis runs from now: sent by clients, and run inside scripts. */
  monitor(): Promise<{
    take(): { clients: number; scripted: number; ms: number };
    stop(): Promise<void>;
  }>;
  stop(): Promise<void>;
}

async function startRedis(): Promise<Redis> {
  const node = await spawnRedisNode((port) => redisNodeArgs(port));
  const url = `redis://127.0.0.1:${node.port}`;
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  return {
    url,
    pids: [node.pid],
    serverArgs: ["--redis", url],
    cluster: false,
    command: (args) => client.sendCommand(args),
    async monitor() {
      const watcher = createClient({ url });
      watcher.on("error", () => {});
      await watcher.connect();
      let clients = 0;
      let scripted = 0;
      let since = performance.now();
      await watcher.monitor((line: string) => {
        if (line.includes(" [0 lua] ")) scripted++;
        else clients++;
      });
      return {
        take() {
          const now = performance.now();
          const counts = { clients, scripted, ms: now - since };
          clients = 0;
          scripted = 0;
          since = now;
          return counts;
        },
        stop: async () => {
          watcher.destroy();
          await Promise.resolve();
        },
      };
    },
    async stop() {
      client.destroy();
      await node.kill();
    },
  };
}

/** A local Redis Cluster (3 masters + 3 replicas): served to the instances by its root nodes. */
async function startCluster(): Promise<Redis> {
  const cluster = await startRedisCluster();
  const refuse = () => {
    throw new Error("not measured on a Cluster (MONITOR and INFO are per node)");
  };
  return {
    url: cluster.url,
    pids: cluster.nodes.map((node) => node.pid),
    serverArgs: [
      "--cluster",
      cluster.rootNodes.map((node) => node.url.replace("redis://", "")).join(","),
    ],
    cluster: true,
    command: refuse,
    monitor: refuse,
    stop: () => cluster.stop(),
  };
}

/** An instance's endpoint and one session on it. */
interface Target {
  url: string;
  sessionId: string;
}

async function initialize(url: string): Promise<string> {
  // The client can answer elicitations (the reply workload).
  const body = initializeBody(0).replace('"capabilities":{}', '"capabilities":{"elicitation":{}}');
  const init = await fetch(url, { method: "POST", headers: INIT_HEADERS, body });
  const sessionId = init.headers.get("mcp-session-id");
  await init.text();
  if (init.status !== 200 || sessionId === null) throw new Error(`initialize: ${init.status}`);
  const note = await fetch(url, {
    method: "POST",
    headers: { ...POST_HEADERS, "mcp-session-id": sessionId },
    body: INITIALIZED_BODY,
  });
  await note.text();
  return sessionId;
}

function post(target: Target, body: string, signal?: AbortSignal): Promise<Response> {
  return fetch(target.url, {
    method: "POST",
    headers: { ...POST_HEADERS, "mcp-session-id": target.sessionId },
    body,
    signal,
  });
}

function call(id: number, name: string, args: Record<string, unknown> = {}, token?: string) {
  const meta = token === undefined ? "" : `,"_meta":{"progressToken":"${token}"}`;
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${
    JSON.stringify(args)
  }${meta}}}`;
}

interface Load {
  ok: number;
  bad: number;
  seconds: number;
  cpu: number;
}

/**
 * A closed loop of `WORKERS` callers for `seconds`: request n goes to
 * `targets[n % targets.length]`. CPU is summed over `pids`.
 */
async function drive(
  targets: Target[],
  pids: number[],
  seconds: number,
  body: (id: number) => string,
  check: (text: string, id: number) => boolean,
): Promise<Load> {
  let n = 0;
  let ok = 0;
  let bad = 0;
  const cpu0 = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const start = performance.now();
  const end = start + seconds * 1_000;
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    while (performance.now() < end) {
      const id = ++n;
      const response = await post(targets[id % targets.length], body(id));
      const text = await response.text();
      if (response.status === 200 && check(text, id)) ok++;
      else bad++;
    }
  }));
  const wall = (performance.now() - start) / 1_000;
  const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpu0;
  if (process.env.BENCH_DEBUG) {
    console.error(
      `  ${ok} ok in ${wall.toFixed(1)} s; CPU ${
        pids.map((pid) => cpuSeconds(pid).toFixed(1)).join(" + ")
      } (cumulative), driver ${(process.cpuUsage().user / 1e6).toFixed(1)}`,
    );
  }
  return { ok, bad, seconds: wall, cpu };
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = String(await redis.command(["INFO", "memory"]));
  return Number(/^used_memory:(\d+)/m.exec(info)![1]);
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Reads `body` until `done(text so far)`; resolves with the text. */
async function readUntil(
  body: ReadableStream<Uint8Array>,
  done: (text: string) => boolean,
): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

interface Latency {
  p50: number;
  p99: number;
}

function latency(samples: number[]): Latency {
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** First byte of a Last-Event-ID resume on B of a stream A is writing. */
async function resumeLatency(a: Target, b: Target): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP_SAMPLES + LATENCY_SAMPLES; i++) {
    const id = 1_000_000 + i;
    const cut = new AbortController();
    const response = await post(a, call(id, "tick", {}, `t${i}`), cut.signal);
    // Drop the connection after the first progress event: the other 100 (1 KB each) are left to replay.
    const text = await readUntil(response.body!, (t) => /"progress":1,/.test(t));
    const lastId = /^id: ?(\S+)\ndata: ?.*"progress":1,/m.exec(text)![1];
    cut.abort();
    const started = performance.now();
    const resumed = await fetch(b.url, {
      headers: {
        accept: "text/event-stream",
        "mcp-protocol-version": POST_HEADERS["mcp-protocol-version"],
        "mcp-session-id": b.sessionId,
        "last-event-id": lastId,
      },
    });
    const reader = resumed.body!.getReader();
    await reader.read();
    if (i >= WARMUP_SAMPLES) samples.push(performance.now() - started);
    await reader.cancel();
    const cancel = await post(
      a,
      `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id}}}`,
    );
    await cancel.text();
  }
  return latency(samples);
}

/** From posting `notifications/cancelled` to B until A's stream of the held call ends. */
async function cancelLatency(a: Target, b: Target): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP_SAMPLES + LATENCY_SAMPLES; i++) {
    const id = 2_000_000 + i;
    const response = await post(a, call(id, "hold"));
    const reader = response.body!.getReader();
    const started = performance.now();
    const cancel = await post(
      b,
      `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id}}}`,
    );
    await cancel.text();
    while (!(await reader.read()).done) { /* until A ends the stream */ }
    if (i >= WARMUP_SAMPLES) samples.push(performance.now() - started);
  }
  return latency(samples);
}

/** From posting an elicitation reply to B until the tool's result arrives on A's stream. */
async function replyLatency(a: Target, b: Target): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP_SAMPLES + LATENCY_SAMPLES; i++) {
    const id = 3_000_000 + i;
    const response = await post(a, call(id, "ask"));
    const body = response.body!;
    const asked = await readUntil(body, (t) => t.includes('"elicitation/create"'));
    const question = JSON.parse(/^data: ?(.*"elicitation\/create".*)$/m.exec(asked)![1]);
    const started = performance.now();
    const reply = await post(
      b,
      JSON.stringify({
        jsonrpc: "2.0",
        id: question.id,
        result: { action: "accept", content: {} },
      }),
    );
    await reply.text();
    await readUntil(body, (t) => t.includes(`"id":${id}`));
    if (i >= WARMUP_SAMPLES) samples.push(performance.now() - started);
    await body.cancel();
  }
  return latency(samples);
}

interface RuntimeReport {
  runtime: Runtime;
  version: string;
  json: { memory: Load; redis: Load };
  progress: { memory: Load; redis: Load };
  roundTripsPerCall: number;
  scriptCommandsPerCall: number;
  /** The same per 10-progress call, with WORKERS callers. */
  progressRoundTrips: number;
  progressScriptCommands: number;
  resume: Latency;
  cancel: Latency;
  reply: Latency;
  bytesPerSession: number;
  fanout: FanoutRow[];
}

const isEcho = (text: string, id: number) =>
  text.includes(`"id":${id}`) && text.includes(`"text":"${ECHO_TEXT}"`);
const isDone = (text: string, id: number) =>
  text.includes(`"id":${id}`) && text.includes('"text":"done"') &&
  text.includes('"progress":10');

async function benchRuntime(runtime: Runtime, redis: Redis, seconds: number) {
  const prefix = `bench${Date.now()}:`;
  const started: ServerProcess[] = [];
  try {
    const memory = await startServer(runtime, SERVER, [], { port: await freePort() });
    started.push(memory);
    const redisArgs = [...redis.serverArgs, "--prefix", prefix];
    const a = await startServer(runtime, SERVER, redisArgs, { port: await freePort() });
    started.push(a);
    const b = await startServer(runtime, SERVER, redisArgs, { port: await freePort() });
    started.push(b);
    const url = (server: ServerProcess) => `http://127.0.0.1:${server.port}${MCP_PATH}`;

    const memoryTargets: Target[] = [];
    const redisTargets: Target[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      memoryTargets.push({ url: url(memory), sessionId: await initialize(url(memory)) });
      // Each session is used through both instances, in turn.
      const sessionId = await initialize(url(i % 2 === 0 ? a : b));
      redisTargets.push({ url: url(a), sessionId }, { url: url(b), sessionId });
    }
    const echo = (id: number) => call(id, "echo", { text: ECHO_TEXT });
    const progress = (id: number) => call(id, "progress10", {}, `p${id}`);
    const warm = Math.max(1, seconds / 5);
    await drive(memoryTargets, [memory.pid], warm, echo, isEcho);
    await drive(redisTargets, [a.pid, b.pid, ...redis.pids], warm, echo, isEcho);
    /** Memory and Redis measured in alternating slices (order swapped each round), then summed. */
    const compare = async (body: (id: number) => string, check: typeof isEcho) => {
      const totals = {
        memory: { ok: 0, bad: 0, seconds: 0, cpu: 0 },
        redis: { ok: 0, bad: 0, seconds: 0, cpu: 0 },
      };
      const slice = seconds / ROUNDS;
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? ["memory", "redis"] as const : ["redis", "memory"] as const;
        for (const side of order) {
          const load = side === "memory"
            ? await drive(memoryTargets, [memory.pid], slice, body, check)
            : await drive(redisTargets, [a.pid, b.pid, ...redis.pids], slice, body, check);
          const total = totals[side];
          total.ok += load.ok;
          total.bad += load.bad;
          total.seconds += load.seconds;
          total.cpu += load.cpu;
        }
      }
      return totals;
    };
    const json = await compare(echo, isEcho);
    const progressLoads = await compare(progress, isDone);

    for (const load of [json.memory, json.redis, progressLoads.memory, progressLoads.redis]) {
      if (load.bad > 0) throw new Error(`${runtime}: ${load.bad} wrong answers`);
    }
    const measured = { runtime, version: memory.version, json, progress: progressLoads };
    const [ta, tb] = [redisTargets[0], redisTargets[1]];
    if (redis.cluster) {
      // The throughput and latency rows only: MONITOR and INFO would be per node.
      return {
        ...measured,
        roundTripsPerCall: NaN,
        scriptCommandsPerCall: NaN,
        progressRoundTrips: NaN,
        progressScriptCommands: NaN,
        resume: await resumeLatency(ta, tb),
        cancel: await cancelLatency(ta, tb),
        reply: await replyLatency(ta, tb),
        bytesPerSession: NaN,
        fanout: [],
      } satisfies RuntimeReport;
    }

    // Round trips to Redis per JSON tools/call: commands from clients (MONITOR lines not
    // from Lua) over N calls, less the idle traffic (bus reads, heartbeats) over as long.
    const monitor = await redis.monitor();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idle = monitor.take();
    const idlePerMs = idle.clients / idle.ms;
    const calls = 1_000;
    for (let i = 0; i < calls; i++) {
      const response = await post(redisTargets[i % redisTargets.length], echo(i));
      if (!isEcho(await response.text(), i)) throw new Error("echo answered wrongly");
    }
    const busy = monitor.take();
    let next = 0;
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (next < calls) {
        const id = next++;
        const response = await post(redisTargets[id % redisTargets.length], progress(id));
        if (!isDone(await response.text(), id)) throw new Error("progress10 answered wrongly");
      }
    }));
    const streamed = monitor.take();
    await monitor.stop();
    const roundTripsPerCall = (busy.clients - idlePerMs * busy.ms) / calls;
    const scriptCommandsPerCall = busy.scripted / calls;
    const progressRoundTrips = (streamed.clients - idlePerMs * streamed.ms) / calls;
    const progressScriptCommands = streamed.scripted / calls;

    const resume = await resumeLatency(ta, tb);
    const cancel = await cancelLatency(ta, tb);
    const reply = await replyLatency(ta, tb);

    const before = await usedMemory(redis);
    const created = await fetch(`http://127.0.0.1:${a.port}/__bench/sessions?n=${IDLE_SESSIONS}`, {
      method: "POST",
    });
    await created.text();
    const bytesPerSession = (await usedMemory(redis) - before) / IDLE_SESSIONS;
    // Stopped first: their idle traffic (heartbeats of their streams) is not the fan-out's.
    for (const server of started.splice(0)) await server.stop();
    const fanout = await measureFanout(runtime, SERVER, redis, {
      counts: [2, 4, 8],
      requests: FANOUT_REQUESTS,
      idleMs: FANOUT_IDLE_MS,
      freePort,
    });
    return {
      ...measured,
      roundTripsPerCall,
      scriptCommandsPerCall,
      progressRoundTrips,
      progressScriptCommands,
      resume,
      cancel,
      reply,
      bytesPerSession,
      fanout,
    } satisfies RuntimeReport;
  } finally {
    for (const server of started) await server.stop();
  }
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rate = (load: Load) => load.ok / load.seconds;
const perCpu = (load: Load) => load.ok / load.cpu;
const mark = (ok: boolean) => (ok ? "✓" : "✗");

function report(reports: RuntimeReport[], cli: Cli, seconds: number): string {
  const lines: string[] = [
    cli.cluster ? CLUSTER_SECTION : SECTION,
    "",
    `- Date: ${new Date().toISOString()}; machine: ${
      execFileSync("nproc").toString().trim()
    } cores; redis-server ${
      /v=(\S+)/.exec(execFileSync("redis-server", ["--version"]).toString())?.[1] ?? "?"
    }.`,
    `- Generated by \`node_modules/node24/bin/node bench/redis_scale.ts --runtime ${
      cli.runtimes.join(",")
    } --seconds ${cli.seconds}${cli.cluster ? " --redis cluster" : ""}${
      cli.smoke ? " --smoke" : ""
    }\` (${fmt(seconds)} s in all); do not edit.`,
    `- Load: a closed loop of ${WORKERS} \`fetch\` callers in the driver (Node ${process.version}), ${SESSIONS} sessions, ${ROUNDS} alternating slices per side (order swapped each round), summed; in the Redis rows every request goes to the other instance than the one before (a round-robin balancer). Per CPU-second counts the CPU of every process that serves: the instance, or both instances and redis-server${
      cli.cluster
        ? " (here every node of a local Cluster of 3 masters and 3 replicas, scripts/redis_topologies.ts, the instances given its root nodes)"
        : ""
    }.`,
    `- Latencies: ${LATENCY_SAMPLES} sequential samples each (after ${WARMUP_SAMPLES} dropped), from the driver; resume = \`Last-Event-ID\` GET on B of a stream A is writing, to its first body byte (the replay of 100 events of 1 KB); cancel = \`notifications/cancelled\` posted to B until A's stream of the call ends; reply = an elicitation answer posted to B until the tool's result arrives on A's stream.`,
    "",
    "| runtime | workload | 1 instance, memory (req/s, per CPU-s) | 2 instances + Redis (req/s, per CPU-s) | ratio (throughput) | ratio per CPU-s | target (throughput) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of reports) {
    for (
      const [name, pair, target] of [
        ["JSON tools/call", r.json, 0.6],
        ["10-progress (SSE)", r.progress, 0.5],
      ] as const
    ) {
      const raw = rate(pair.redis) / rate(pair.memory);
      const cpu = perCpu(pair.redis) / perCpu(pair.memory);
      lines.push(
        `| ${r.runtime} | ${name} | ${fmt(rate(pair.memory))}, ${fmt(perCpu(pair.memory))} | ${
          fmt(rate(pair.redis))
        }, ${fmt(perCpu(pair.redis))} | ${fmt(raw, 2)}× | ${fmt(cpu, 2)}× | ≥ ${target}× ${
          mark(raw >= target)
        } |`,
      );
    }
  }
  lines.push(
    "",
    `| runtime | Redis round trips per JSON tools/call (≤ 2; commands run inside its scripts) | per 10-progress call, ${WORKERS} callers (commands in scripts) | resume first byte p50 / p99 ms (p99 ≤ 20) | cancel p50 / p99 ms (p99 ≤ 10) | reply p50 / p99 ms (p99 ≤ 10) | Redis bytes per idle session (≤ 2,048) |`,
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  /** A figure not measured on a Cluster (NaN) reads "n/a". */
  const measured = (n: number, text: string) => (Number.isNaN(n) ? "n/a on a Cluster" : text);
  for (const r of reports) {
    lines.push(
      `| ${r.runtime} (${r.version}) | ${
        measured(
          r.roundTripsPerCall,
          `${fmt(r.roundTripsPerCall, 2)} ${mark(r.roundTripsPerCall <= 2)} (${
            fmt(r.scriptCommandsPerCall, 1)
          })`,
        )
      } | ${
        measured(
          r.progressRoundTrips,
          `${fmt(r.progressRoundTrips, 2)} (${fmt(r.progressScriptCommands, 1)})`,
        )
      } | ${fmt(r.resume.p50, 1)} / ${fmt(r.resume.p99, 1)} ${mark(r.resume.p99 <= 20)} | ${
        fmt(r.cancel.p50, 1)
      } / ${fmt(r.cancel.p99, 1)} ${mark(r.cancel.p99 <= 10)} | ${fmt(r.reply.p50, 1)} / ${
        fmt(r.reply.p99, 1)
      } ${mark(r.reply.p99 <= 10)} | ${
        measured(
          r.bytesPerSession,
          `${fmt(r.bytesPerSession)} ${mark(r.bytesPerSession <= 2_048)}`,
        )
      } |`,
    );
  }
  if (cli.cluster) return lines.join("\n") + "\n"; // the fan-out table is about one Redis
  lines.push(
    "",
    `Redis bytes out and commands per request, by instances on one Redis (bench/lib/redis_fanout.ts; every instance served once first; the idle traffic, read over ${
      fmt(FANOUT_IDLE_MS / 1_000, 0)
    } s before each workload, subtracted, and shown per instance and second). Flat in N is the goal (≤ 1.3× from 2 to 8):`,
    "",
    "| runtime | instances | idle, per instance-second: bytes / commands | JSON call: bytes / commands | cancel via another instance: bytes / commands | 2026-07-28 cancel via another instance: bytes / commands |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  const pair = (traffic: { bytes: number; commands: number }) =>
    `${fmt(traffic.bytes)} / ${fmt(traffic.commands, 1)}`;
  for (const r of reports) {
    for (const row of r.fanout) {
      lines.push(
        `| ${r.runtime} | ${row.instances} | ${pair(row.idle)} | ${pair(row.call)} | ${
          pair(row.cancel)
        } | ${pair(row.statelessCancel)} |`,
      );
    }
    const [first, last] = [r.fanout[0], r.fanout.at(-1)];
    if (first !== undefined && last !== undefined && first !== last) {
      const growth = (key: "call" | "cancel" | "statelessCancel") =>
        `${fmt(last[key].bytes / first[key].bytes, 2)}×`;
      lines.push(
        `| ${r.runtime} | ${last.instances} / ${first.instances} | | ${growth("call")} | ${
          growth("cancel")
        } | ${growth("statelessCancel")} |`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const started = performance.now();
  const redis = cli.cluster ? await startCluster() : await startRedis();
  const reports: RuntimeReport[] = [];
  try {
    for (const runtime of cli.runtimes) {
      console.error(`== ${runtime}`);
      reports.push(await benchRuntime(runtime, redis, cli.seconds));
    }
  } finally {
    await redis.stop();
  }
  const text = report(reports, cli, (performance.now() - started) / 1_000);
  console.log(text);
  if (cli.append !== undefined) {
    // This report's section is replaced up to the next section (the other topology's stays).
    writeSection(cli.append, cli.cluster ? CLUSTER_SECTION : SECTION, text);
  }
}

await main();
