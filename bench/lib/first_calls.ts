/**
 * The first call of a new downstream session, for bench/gateway_cost.ts:
 * one client at a time opens a session (2025-11-25: `initialize`, then
 * `notifications/initialized`; 2026-07-28: a principal not seen before),
 * calls the echo tool twice and, once every session is measured, ends them
 * (`DELETE`). The first call through a gateway opens the upstream session;
 * the second reuses it. Server CPU is read over all sessions, before they end.
 */

import { cpuSecondsOf } from "./proc.ts";
import {
  ECHO_TEXT,
  echoCallBody,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  MCP_PATH,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
} from "./protocol.ts";
import { quantile } from "./stdio_load.ts";

/** Medians over the sessions, ms; `cpuMs` is the servers' CPU per session, all of it. */
export interface FirstCalls {
  setup: number;
  first: number;
  second: number;
  /** Median of each session's first call minus its second. */
  extra: number;
  extraRange: [number, number];
  cpuMs: number;
}

let counter = 0;

async function post(base: string, headers: Record<string, string>, body: string) {
  const response = await fetch(base + MCP_PATH, { method: "POST", headers, body });
  const text = await response.text();
  if (response.status !== 200 && response.status !== 202) {
    throw new Error(`${base}: ${response.status} ${text.slice(0, 200)}`);
  }
  return { response, text };
}

async function echo(base: string, headers: Record<string, string>, modern: boolean, tool: string) {
  const id = ++counter;
  const body = (modern ? modernEchoCallBody(id) : echoCallBody(id)).replace(
    '"name":"echo"',
    `"name":"${tool}"`,
  );
  const started = performance.now();
  const { text } = await post(base, headers, body);
  if (!text.includes(`"text":"${ECHO_TEXT}"`) || text.includes('"isError":true')) {
    throw new Error(`${base}: ${tool} answered ${text.slice(0, 200)}`);
  }
  return performance.now() - started;
}

/** `n` new sessions on `base`, one after another; `pids` are the serving processes. */
export async function firstCalls(
  base: string,
  n: number,
  era: "legacy" | "2026",
  tool: string,
  pids: () => readonly number[],
): Promise<FirstCalls> {
  const setups: number[] = [];
  const firsts: number[] = [];
  const seconds: number[] = [];
  const ends: Record<string, string>[] = [];
  const watched = new Map<number, number>(pids().map((pid) => [pid, cpuSecondsOf(pid) ?? 0]));
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    let headers: Record<string, string>;
    if (era === "legacy") {
      const { response } = await post(base, { ...INIT_HEADERS }, initializeBody(++counter));
      headers = { ...POST_HEADERS, "mcp-session-id": response.headers.get("mcp-session-id")! };
      await post(base, headers, INITIALIZED_BODY);
      ends.push(headers);
    } else {
      headers = {
        ...modernCallHeaders(tool),
        authorization: `Bearer first-${process.pid}-${++counter}`,
      };
    }
    setups.push(performance.now() - started);
    firsts.push(await echo(base, headers, era === "2026", tool));
    seconds.push(await echo(base, headers, era === "2026", tool));
    for (const pid of pids()) if (!watched.has(pid)) watched.set(pid, 0); // new: all its CPU
  }
  let cpu = 0;
  for (const [pid, before] of watched) cpu += (cpuSecondsOf(pid) ?? before) - before;
  for (const headers of ends) {
    await fetch(base + MCP_PATH, { method: "DELETE", headers }).then((r) => r.body?.cancel());
  }
  const extras = firsts.map((first, i) => first - seconds[i]);
  return {
    setup: quantile(setups, 0.5),
    first: quantile(firsts, 0.5),
    second: quantile(seconds, 0.5),
    extra: quantile(extras, 0.5),
    extraRange: [Math.min(...extras), Math.max(...extras)],
    cpuMs: (cpu / n) * 1000,
  };
}
