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
  MCP_PATH,
  POST_HEADERS,
} from "../lib/protocol.ts";
import type { Redis } from "./redis.ts";
import { ROUNDS, SESSIONS, WORKERS } from "./settings.ts";

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

/**
 * The `SESSIONS` sessions of a comparison, by the instances' ports: each on the memory instance,
 * and each shared one made on `a` or `b` in turn and used through both, in turn.
 */
export async function sessionsOf(memory: number, a: number, b: number) {
  const url = (port: number) => `http://127.0.0.1:${port}${MCP_PATH}`;
  const targets = { memory: [] as Target[], shared: [] as Target[] };
  for (let i = 0; i < SESSIONS; i++) {
    targets.memory.push({ url: url(memory), sessionId: await initialize(url(memory)) });
  }
  targets.shared = await sharedSessions(a, b);
  return targets;
}

/** `SESSIONS` sessions made on `a` or `b` in turn, each used through both, in turn. */
export async function sharedSessions(a: number, b: number): Promise<Target[]> {
  const url = (port: number) => `http://127.0.0.1:${port}${MCP_PATH}`;
  const shared: Target[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const sessionId = await initialize(url(i % 2 === 0 ? a : b));
    shared.push({ url: url(a), sessionId }, { url: url(b), sessionId });
  }
  return shared;
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
 * A closed loop of `workers` callers (`WORKERS` unless told) for `seconds`: request n goes to
 * `targets[n % targets.length]`. CPU is summed over `serving`: pids, or a reading of the
 * serving processes' CPU seconds (a server whose processes come and go, like Postgres's).
 */
export async function drive(
  targets: Target[],
  serving: number[] | (() => number),
  seconds: number,
  body: (id: number) => string,
  check: (text: string, id: number) => boolean,
  workers = WORKERS,
): Promise<Load> {
  let n = 0;
  let ok = 0;
  let bad = 0;
  const cpuNow = typeof serving === "function"
    ? serving
    : () => serving.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const cpu0 = cpuNow();
  const start = performance.now();
  const end = start + seconds * 1_000;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (performance.now() < end) {
      const id = ++n;
      const response = await post(targets[id % targets.length], body(id));
      const text = await response.text();
      if (response.status === 200 && check(text, id)) ok++;
      else bad++;
    }
  }));
  const wall = (performance.now() - start) / 1_000;
  const cpu = cpuNow() - cpu0;
  if (process.env.BENCH_DEBUG) {
    console.error(
      `  ${ok} ok in ${wall.toFixed(1)} s; CPU ${cpu.toFixed(1)}, driver ${
        (process.cpuUsage().user / 1e6).toFixed(1)
      }`,
    );
  }
  return { ok, bad, seconds: wall, cpu };
}

/** One side of a comparison: its targets and what serves them. */
export interface Side {
  targets: Target[];
  serving: number[] | (() => number);
}

/**
 * The memory side and the shared side measured in `rounds` alternating slices (order swapped
 * each round: drifts in machine load hit both alike), summed; with each round's throughput ratio
 * (shared ÷ memory), the spread of the rounds.
 */
export async function compare(
  memory: Side,
  shared: Side,
  seconds: number,
  body: (id: number) => string,
  check: (text: string, id: number) => boolean,
  rounds = ROUNDS,
): Promise<{ memory: Load; shared: Load; ratios: number[] }> {
  const { loads, ratios } = await compareSides(
    [memory, shared],
    seconds,
    body,
    check,
    WORKERS,
    rounds,
  );
  return { memory: loads[0], shared: loads[1], ratios: ratios.map((round) => round[1]) };
}

/**
 * Any number of sides measured in `rounds` alternating slices (order reversed each round: drifts
 * in machine load hit all alike), summed; with each round's throughput ratio of every side to the
 * first (`ratios[round][side]`), the spread of the rounds.
 */
export async function compareSides(
  sides: readonly Side[],
  seconds: number,
  body: (id: number) => string,
  check: (text: string, id: number) => boolean,
  workers = WORKERS,
  rounds = ROUNDS,
): Promise<{ loads: Load[]; ratios: number[][] }> {
  const loads = sides.map(() => ({ ok: 0, bad: 0, seconds: 0, cpu: 0 }));
  const ratios: number[][] = [];
  const forward = sides.map((_, i) => i);
  const backward = [...forward].reverse();
  for (let round = 0; round < rounds; round++) {
    const rates = sides.map(() => 0);
    for (const i of round % 2 === 0 ? forward : backward) {
      const { targets, serving } = sides[i];
      const load = await drive(targets, serving, seconds / rounds, body, check, workers);
      rates[i] = load.ok / load.seconds;
      const total = loads[i];
      total.ok += load.ok;
      total.bad += load.bad;
      total.seconds += load.seconds;
      total.cpu += load.cpu;
    }
    ratios.push(rates.map((r) => r / rates[0]));
  }
  return { loads, ratios };
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
