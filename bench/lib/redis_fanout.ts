/**
 * Redis bytes and commands per request at N instances on one Redis (2 and 8 in a full run)
 * (bench/redis_scale.ts's fan-out table): N instances of the bench server,
 * requests spread round-robin, and Redis's own counters (`INFO stats`:
 * `total_net_output_bytes`, `total_commands_processed`) read before and
 * after, less the idle traffic of N instances (bus readers, liveness
 * refreshes, heartbeats) over as long: every instance serves a request
 * first (its bus subscribes then), and the idle rate is read over
 * `idleMs` (longer than the longest idle period, 5 s, in a full run) once
 * before the workloads; the idle traffic per instance is its own column.
 * Three workloads: a JSON `tools/call` (no bus message), a
 * `notifications/cancelled` posted to another instance than the one holding
 * the call (one bus message), on a session those two instances serve, and a
 * 2026-07-28 `notifications/cancelled` (no session) posted to another
 * instance than the one running the call, once the call outlived its grace
 * (its stream opened). Flat in N is the goal; a bus every instance reads
 * grows with N. Measures only; it judges nothing.
 * @module
 */

import { type Runtime, RUNTIMES, type ServerProcess, startServer } from "./proc.ts";
import { ECHO_TEXT, INIT_HEADERS, initializeBody, MCP_PATH, POST_HEADERS } from "./protocol.ts";

/** Bytes out of Redis and commands: per request in a workload, per instance-second when idle. */
export interface Traffic {
  bytes: number;
  commands: number;
}

/** One row: instances, the idle traffic per instance, then the traffic per request, per workload. */
export interface FanoutRow {
  instances: number;
  /** Per instance and second, with nothing asked (subtracted from the workloads). */
  idle: Traffic;
  call: Traffic;
  cancel: Traffic;
  /** A 2026-07-28 cancellation posted to another instance than the call's. */
  statelessCancel: Traffic;
}

/** What the measurement needs from the bench's Redis. */
export interface FanoutRedis {
  url: string;
  command(args: string[]): Promise<unknown>;
}

/** Redis's totals at one reading, and that reading's own reply (bytes). */
interface Reading extends Traffic {
  reply: number;
}

/** Redis's totals now (`INFO stats`). */
async function counters(redis: FanoutRedis): Promise<Reading> {
  const info = String(await redis.command(["INFO", "stats"]));
  const length = new TextEncoder().encode(info).length;
  return {
    bytes: Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]),
    commands: Number(/total_commands_processed:(\d+)/.exec(info)?.[1]),
    // A bulk string reply: `$<length>\r\n<info>\r\n`.
    reply: length + String(length).length + 5,
  };
}

/**
 * The traffic from one reading to a later one, less the first reading's
 * own: a reading's totals leave out its own `INFO` (command and reply,
 * about 1.3 KB), the next one's include them.
 */
function between(from: Reading, to: Reading): Traffic {
  return { bytes: to.bytes - from.bytes - from.reply, commands: to.commands - from.commands - 1 };
}

async function initialize(url: string): Promise<string> {
  const init = await fetch(url, { method: "POST", headers: INIT_HEADERS, body: initializeBody(0) });
  await init.text();
  const sessionId = init.headers.get("mcp-session-id");
  if (init.status !== 200 || sessionId === null) throw new Error(`initialize: ${init.status}`);
  return sessionId;
}

function post(url: string, sessionId: string, body: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { ...POST_HEADERS, "mcp-session-id": sessionId },
    body,
  });
}

/** The 2026-07-28 envelope of a bench client (no session: every request carries it). */
const MODERN_META =
  `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1.0.0"}}`;

/** A 2026-07-28 POST of `body` (method `method`, naming `name`). */
function postModern(url: string, method: string, body: string, name?: string): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": method,
  };
  if (name !== undefined) headers["mcp-name"] = name;
  return fetch(url, { method: "POST", headers, body });
}

/** Redis's traffic while the instances idle, read over `idleMs`: per second. */
async function idleTraffic(redis: FanoutRedis, idleMs: number): Promise<Traffic> {
  const start = await counters(redis);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const idle = between(start, await counters(redis));
  const seconds = (performance.now() - started) / 1_000;
  return { bytes: idle.bytes / seconds, commands: idle.commands / seconds };
}

/**
 * Per-request Redis traffic of `requests` requests (each `send(i)`, spread over the instances by
 * the caller), less the idle traffic per second (`idle`, read once per instance count: the
 * instances' bus reads and heartbeats, the same before each workload) over as long.
 */
async function perRequest(
  redis: FanoutRedis,
  requests: number,
  idle: Traffic,
  send: (i: number) => Promise<void>,
): Promise<Traffic> {
  const started = performance.now();
  const before = await counters(redis);
  for (let i = 0; i < requests; i++) await send(i);
  const busy = between(before, await counters(redis));
  const seconds = (performance.now() - started) / 1_000;
  return {
    bytes: (busy.bytes - idle.bytes * seconds) / requests,
    commands: (busy.commands - idle.commands * seconds) / requests,
  };
}

/** The fan-out rows for `counts` instances of `server` on `runtime`. */
export async function measureFanout(
  runtime: Runtime,
  server: string,
  redis: FanoutRedis,
  options: {
    counts: readonly number[];
    requests: number;
    /** The idle window read once per instance count, before its workloads, ms. */
    idleMs: number;
    /** Requests of the 2026-07-28 cancel workload (each waits the bus's grace, 200-300 ms). */
    graceRequests: number;
    freePort: () => Promise<number>;
  },
): Promise<FanoutRow[]> {
  const rows: FanoutRow[] = [];
  for (const count of options.counts) {
    // Each runtime's own (a smoke run's run side by side), all of one length.
    const prefix = `fanout${count}-${Date.now() + RUNTIMES.indexOf(runtime)}:`;
    const started: ServerProcess[] = [];
    try {
      for (let i = 0; i < count; i++) {
        started.push(
          await startServer(runtime, server, ["--redis", redis.url, "--prefix", prefix], {
            port: await options.freePort(),
          }),
        );
      }
      const urls = started.map((instance) => `http://127.0.0.1:${instance.port}${MCP_PATH}`);
      const sessionId = await initialize(urls[0]);
      const echo = (id: number) =>
        `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${ECHO_TEXT}"}}}`;
      // Every instance serves once before anything is measured: its bus subscribes (and starts
      // its idle traffic) with its first request, a cost per instance, not per request.
      for (const url of urls) {
        const response = await post(url, sessionId, echo(0));
        if (!(await response.text()).includes(ECHO_TEXT)) throw new Error("warm-up failed");
      }
      const idlePerSecond = await idleTraffic(redis, options.idleMs);
      const call = await perRequest(
        redis,
        options.requests,
        idlePerSecond,
        async (i) => {
          const response = await post(urls[i % count], sessionId, echo(i + 1));
          const text = await response.text();
          if (!text.includes(ECHO_TEXT)) throw new Error(`echo answered ${response.status}`);
        },
      );
      // A held call on instance 0, its cancel posted to instance 1: one bus message each. The
      // session is one only these two serve (the first one's calls went to every instance, so
      // every instance would get its first message, and release it 2 s later).
      const owned = await initialize(urls[0]);
      const cancel = await perRequest(
        redis,
        options.requests,
        idlePerSecond,
        async (i) => {
          const id = 1_000_000 + i;
          const held = await post(
            urls[0],
            owned,
            `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"hold","arguments":{}}}`,
          );
          const reader = held.body!.getReader();
          const cancelled = await post(
            urls[1],
            owned,
            `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id}}}`,
          );
          await cancelled.text();
          while (!(await reader.read()).done) { /* until instance 0 ends the stream */ }
        },
      );
      // A 2026-07-28 call held on instance 0, cancelled through instance 1 once its stream opened
      // (it outlived its grace: recorded where it runs). Each waits the grace: fewer samples.
      const statelessCancel = await perRequest(
        redis,
        options.graceRequests,
        idlePerSecond,
        async (i) => {
          const id = 2_000_000 + i;
          const held = await postModern(
            urls[0],
            "tools/call",
            `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"hold","arguments":{},${MODERN_META}}}`,
            "hold",
          );
          if (held.status !== 200) throw new Error(`2026-07-28 hold answered ${held.status}`);
          const reader = held.body!.getReader();
          const cancelled = await postModern(
            urls[1],
            "notifications/cancelled",
            `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id},${MODERN_META}}}`,
          );
          await cancelled.text();
          if (cancelled.status !== 202) throw new Error(`2026-07-28 cancel: ${cancelled.status}`);
          while (!(await reader.read()).done) { /* until instance 0 ends the stream */ }
        },
      );
      // The held call's own traffic is in `cancel`: it is the request the cancel targets.
      rows.push({
        instances: count,
        idle: { bytes: idlePerSecond.bytes / count, commands: idlePerSecond.commands / count },
        call,
        cancel,
        statelessCancel,
      });
    } finally {
      await Promise.all(started.map((instance) => instance.stop()));
    }
  }
  return rows;
}
