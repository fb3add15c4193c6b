/**
 * The scale-out bench's calls: a session made on an instance, one call posted, and the closed loop
 * of callers that drives a throughput slice (CPU summed over the serving processes).
 * @module
 */

import { cpuSeconds } from "../lib/proc.ts";
import {
  ECHO_TEXT,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  POST_HEADERS,
} from "../lib/protocol.ts";
import type { Redis } from "./redis.ts";
import { WORKERS } from "./settings.ts";

export interface Target {
  url: string;
  sessionId: string;
}

export async function initialize(url: string): Promise<string> {
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

export function post(target: Target, body: string, signal?: AbortSignal): Promise<Response> {
  return fetch(target.url, {
    method: "POST",
    headers: { ...POST_HEADERS, "mcp-session-id": target.sessionId },
    body,
    signal,
  });
}

export function call(id: number, name: string, args: Record<string, unknown> = {}, token?: string) {
  const meta = token === undefined ? "" : `,"_meta":{"progressToken":"${token}"}`;
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${
    JSON.stringify(args)
  }${meta}}}`;
}

export interface Load {
  ok: number;
  bad: number;
  seconds: number;
  cpu: number;
}

/**
 * A closed loop of `WORKERS` callers for `seconds`: request n goes to
 * `targets[n % targets.length]`. CPU is summed over `pids`.
 */
export async function drive(
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

export async function usedMemory(redis: Redis): Promise<number> {
  const info = String(await redis.command(["INFO", "memory"]));
  return Number(/^used_memory:(\d+)/m.exec(info)![1]);
}

export const isEcho = (text: string, id: number) =>
  text.includes(`"id":${id}`) && text.includes(`"text":"${ECHO_TEXT}"`);
export const isDone = (text: string, id: number) =>
  text.includes(`"id":${id}`) && text.includes('"text":"done"') &&
  text.includes('"progress":10');
