/**
 * Redis bytes and commands per request at 2, 4 and 8 instances on one Redis
 * (bench/redis_scale.ts's fan-out table): N instances of the bench server,
 * requests spread round-robin, and Redis's own counters (`INFO stats`:
 * `total_net_output_bytes`, `total_commands_processed`) read before and
 * after, less the idle traffic of N instances (bus readers, heartbeats)
 * over as long. Two workloads: a JSON `tools/call` (no bus message) and a
 * `notifications/cancelled` posted to another instance than the one holding
 * the call (one bus message), on a session those two instances serve. Flat
 * in N is the goal; a bus every instance reads grows with N. Measures only;
 * it judges nothing.
 * @module
 */

import { type Runtime, type ServerProcess, startServer } from "./proc.ts";
import { ECHO_TEXT, INIT_HEADERS, initializeBody, MCP_PATH, POST_HEADERS } from "./protocol.ts";

/** One row: instances, then bytes out of Redis and commands per request, per workload. */
export interface FanoutRow {
  instances: number;
  call: { bytes: number; commands: number };
  cancel: { bytes: number; commands: number };
}

/** What the measurement needs from the bench's Redis. */
export interface FanoutRedis {
  url: string;
  command(args: string[]): Promise<unknown>;
}

async function counters(redis: FanoutRedis): Promise<{ bytes: number; commands: number }> {
  const info = String(await redis.command(["INFO", "stats"]));
  return {
    bytes: Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]),
    commands: Number(/total_commands_processed:(\d+)/.exec(info)?.[1]),
  };
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

/**
 * Per-request Redis traffic of `requests` requests (each `send(i)`, spread
 * over the instances by the caller), less `instances`' idle traffic over as long.
 */
async function perRequest(
  redis: FanoutRedis,
  requests: number,
  send: (i: number) => Promise<void>,
): Promise<{ bytes: number; commands: number }> {
  const idleStart = await counters(redis);
  const idleMs = 1_000;
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const idleEnd = await counters(redis);
  const started = performance.now();
  const before = await counters(redis);
  for (let i = 0; i < requests; i++) await send(i);
  const after = await counters(redis);
  const scale = (performance.now() - started) / idleMs;
  return {
    bytes: (after.bytes - before.bytes - (idleEnd.bytes - idleStart.bytes) * scale) / requests,
    commands: (after.commands - before.commands - (idleEnd.commands - idleStart.commands) * scale) /
      requests,
  };
}

/** The fan-out rows for `counts` instances of `server` on `runtime`. */
export async function measureFanout(
  runtime: Runtime,
  server: string,
  redis: FanoutRedis,
  options: { counts: readonly number[]; requests: number; freePort: () => Promise<number> },
): Promise<FanoutRow[]> {
  const rows: FanoutRow[] = [];
  for (const count of options.counts) {
    const prefix = `fanout${count}-${Date.now()}:`;
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
      const call = await perRequest(redis, options.requests, async (i) => {
        const response = await post(urls[i % count], sessionId, echo(i + 1));
        const text = await response.text();
        if (!text.includes(ECHO_TEXT)) throw new Error(`echo answered ${response.status}`);
      });
      // A held call on instance 0, its cancel posted to instance 1: one bus message each. The
      // session is one only these two serve (the first one's calls went to every instance, so
      // every instance would get its first message, and release it 2 s later).
      const owned = await initialize(urls[0]);
      const cancel = await perRequest(redis, options.requests, async (i) => {
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
      });
      // The held call's own traffic is in `cancel`: it is the request the cancel targets.
      rows.push({ instances: count, call, cancel });
    } finally {
      await Promise.all(started.map((instance) => instance.stop()));
    }
  }
  return rows;
}
