/**
 * The requests the bench sends: each workload's traffic for wrk and autocannon, session creation
 * over HTTP, the admin endpoints of the bench servers, and the ids every request takes.
 * @module
 */

import type { RequestTemplate } from "../lib/load.ts";
import type { WrkTraffic } from "../lib/wrk_script.ts";
import {
  confirmCallBody,
  ECHO_CHECK,
  echoCallBody,
  ID_SLOT,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  isEchoResult,
  isLargeResult,
  isModernEchoResult,
  isProgressResult,
  LARGE_1M_CHECK,
  LARGE_1M_TEXT_BYTES,
  LARGE_CHECK,
  LARGE_TEXT_BYTES,
  largeCallBody,
  MCP_PATH,
  MODERN_ECHO_CHECK,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
  PROGRESS_CHECK,
  progressCallBody,
  PROTOCOL_VERSION,
  requestStateOf,
} from "../lib/protocol.ts";

let seq = 0;

/** Reserves `count` request ids; returns the first. */
export function takeIds(count: number): number {
  const first = seq + 1;
  seq += count;
  return first;
}
export const T0 = performance.now();
export function elapsed(): string {
  return `[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s]`;
}

export function sessionHeaders(
  pool: readonly string[],
  base: Readonly<Record<string, string>> = POST_HEADERS,
): Record<string, string>[] {
  if (pool.length === 0) return [{ ...base }];
  return pool.map((id) => ({ ...base, "mcp-session-id": id }));
}

/**
 * What one target is driven with: the autocannon sequence and, for a
 * single-request workload, the same traffic as wrk sends it (wrk.ts).
 */
export interface Traffic {
  sequence: RequestTemplate[];
  wrk?: WrkTraffic;
}

/** tools/call echo with a unique id, session rotated across the pool. */
export function echoTraffic(pool: readonly string[], headers = POST_HEADERS): Traffic {
  return {
    sequence: [pooledTemplate(pool, echoCallBody, isEchoResult, headers)],
    wrk: { headers, sessions: pool, body: echoCallBody(ID_SLOT), check: ECHO_CHECK },
  };
}

/** POST headers whose Accept names application/json only (mcp-lite's JSON path). */
export const JSON_ONLY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...POST_HEADERS,
  accept: "application/json",
});

/**
 * initialize, then notifications/initialized with the issued session id
 * (wrk and autocannon), the latter carrying the `version` the server
 * negotiated, as a client does.
 */
export function initTraffic(sessionful: boolean, version: string, minSlice?: number): Traffic {
  const followHeaders = withVersion(POST_HEADERS, version);
  return {
    sequence: initSequence(sessionful, followHeaders),
    wrk: {
      headers: INIT_HEADERS,
      sessions: [],
      body: initializeBody(ID_SLOT),
      check: { contains: ['"protocolVersion"'] },
      init: { sessionful, followBody: INITIALIZED_BODY, followHeaders },
      minSlice,
    },
  };
}

/** `headers` with MCP-Protocol-Version set to `version` (what the server negotiated). */
export function withVersion(
  headers: Readonly<Record<string, string>>,
  version: string,
): Readonly<Record<string, string>> {
  return headers["mcp-protocol-version"] === version
    ? headers
    : { ...headers, "mcp-protocol-version": version };
}

/** The protocolVersion of an InitializeResult body (JSON or SSE). */
export function protocolVersionOf(body: string): string | undefined {
  return /"protocolVersion":"([^"]+)"/.exec(body)?.[1];
}

/** tools/call of the progress tool (100 notifications, then the result). */
export function progressTraffic(pool: readonly string[]): Traffic {
  return {
    sequence: [progressTemplate(pool)],
    wrk: {
      headers: POST_HEADERS,
      sessions: pool,
      body: progressCallBody(ID_SLOT),
      check: PROGRESS_CHECK,
    },
  };
}

/**
 * tools/call of the large tool (a 256 KiB text result) or of `large-1m` (1 MiB), session rotated
 * across the pool.
 */
export function largeTraffic(
  pool: readonly string[],
  tool: "large" | "large-1m" = "large",
): Traffic {
  const bytes = tool === "large" ? LARGE_TEXT_BYTES : LARGE_1M_TEXT_BYTES;
  return {
    sequence: [
      pooledTemplate(
        pool,
        (id) => largeCallBody(id, tool),
        (body, id) => isLargeResult(body, id, bytes),
      ),
    ],
    wrk: {
      headers: POST_HEADERS,
      sessions: pool,
      body: largeCallBody(ID_SLOT, tool),
      check: tool === "large" ? LARGE_CHECK : LARGE_1M_CHECK,
    },
  };
}

/** A 2026-07-28 (stateless) tools/call of the echo tool. */
export function statelessTraffic(): Traffic {
  return {
    sequence: [statelessTemplate()],
    wrk: {
      headers: modernCallHeaders("echo"),
      sessions: [],
      body: modernEchoCallBody(ID_SLOT),
      check: MODERN_ECHO_CHECK,
    },
  };
}

/** One request shape with a unique id, session rotated across the pool (autocannon). */
export function pooledTemplate(
  pool: readonly string[],
  body: (id: number) => string,
  isRight: (body: string, id: number) => boolean,
  base = POST_HEADERS,
): RequestTemplate {
  const headers = sessionHeaders(pool, base);
  return {
    setup(ctx) {
      const id = ++seq;
      ctx.id = id;
      return { body: body(id), headers: headers[id % headers.length] };
    },
    check: (status, text, _headers, ctx) => status === 200 && isRight(text, ctx.id as number),
  };
}

/** tools/call echo with a unique id, session rotated across the pool (autocannon). */
export function echoTemplate(pool: readonly string[]): RequestTemplate {
  return pooledTemplate(pool, echoCallBody, isEchoResult);
}

/** tools/call of the progress tool (100 notifications, then the result; autocannon). */
export function progressTemplate(pool: readonly string[]): RequestTemplate {
  return pooledTemplate(pool, progressCallBody, isProgressResult);
}

/** A 2026-07-28 (stateless) tools/call of the echo tool: no session, the envelope in _meta. */
export function statelessTemplate(): RequestTemplate {
  const headers = modernCallHeaders("echo");
  return {
    setup(ctx) {
      const id = ++seq;
      ctx.id = id;
      return { body: modernEchoCallBody(id), headers };
    },
    check: (status, body, _headers, ctx) =>
      status === 200 && isModernEchoResult(body, ctx.id as number),
  };
}

/** One multi-round-trip call (2026-07-28): input_required with a sealed state, then the retry with the answer. */
export function mrtrSequence(): RequestTemplate[] {
  const headers = modernCallHeaders("confirm");
  return [
    {
      setup: () => ({ body: confirmCallBody(++seq), headers }),
      check(status, body, _headers, ctx) {
        ctx.requestState = requestStateOf(body);
        return status === 200 && ctx.requestState !== undefined;
      },
    },
    {
      setup: (ctx) => ({
        body: confirmCallBody(++seq, { requestState: ctx.requestState as string }),
        headers,
      }),
      check: (status, body) =>
        status === 200 && body.includes(`"text":"confirmed"`) &&
        body.includes(`"resultType":"complete"`),
    },
  ];
}

/** initialize, then notifications/initialized with the issued session id. */
export function initSequence(
  sessionful: boolean,
  followHeaders: Readonly<Record<string, string>>,
): RequestTemplate[] {
  return [
    {
      setup: () => ({
        body: initializeBody(++seq),
        headers: INIT_HEADERS as Record<string, string>,
      }),
      check(status, body, headers, ctx) {
        ctx.sessionId = headers["mcp-session-id"];
        return status === 200 && body.includes('"protocolVersion"') &&
          (!sessionful || ctx.sessionId !== undefined);
      },
    },
    {
      setup: (ctx) => ({
        body: INITIALIZED_BODY,
        headers: ctx.sessionId === undefined
          ? { ...followHeaders }
          : { ...followHeaders, "mcp-session-id": ctx.sessionId as string },
      }),
      check: (status) => status === 202,
    },
  ];
}

/**
 * Creates `n` sessions over HTTP (initialize + initialized), 16 at a time;
 * their ids and the protocol version the server negotiated (which the
 * client then sends as MCP-Protocol-Version: mcp-lite 0.10 answers
 * 2025-03-26 to a 2025-11-25 client).
 */
export async function createSessionsOverHttp(
  base: string,
  n: number,
  sessionful: boolean,
): Promise<{ ids: string[]; version: string }> {
  const ids: string[] = [];
  let version = PROTOCOL_VERSION;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const init = await fetch(base + MCP_PATH, {
        method: "POST",
        headers: INIT_HEADERS,
        body: initializeBody(++seq),
      });
      const text = await init.text();
      const id = init.headers.get("mcp-session-id");
      if (
        init.status !== 200 || !text.includes('"protocolVersion"') || (sessionful && id === null)
      ) {
        throw new Error(`initialize answered ${init.status}: ${text.slice(0, 200)}`);
      }
      version = protocolVersionOf(text) ?? version;
      const headers: Record<string, string> = { ...withVersion(POST_HEADERS, version) };
      if (id !== null) headers["mcp-session-id"] = id;
      const note = await fetch(base + MCP_PATH, {
        method: "POST",
        headers,
        body: INITIALIZED_BODY,
      });
      await note.text();
      if (note.status !== 202) throw new Error(`notifications/initialized answered ${note.status}`);
      if (id !== null) ids.push(id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, n) }, worker));
  return { ids, version };
}

/** One request checked outside the load generator, for a readable error before a run. */
export async function probe(base: string, template: RequestTemplate): Promise<void> {
  const ctx: Record<string, unknown> = {};
  const { body, headers } = template.setup(ctx);
  const response = await fetch(base + MCP_PATH, { method: "POST", headers, body });
  const text = await response.text();
  const lower: Record<string, string> = {};
  response.headers.forEach((v, k) => (lower[k] = v));
  if (!template.check(response.status, text, lower, ctx)) {
    throw new Error(`probe got a wrong answer: status ${response.status}: ${text.slice(0, 300)}`);
  }
}

export interface MemoryReport {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  sessions: number | null;
  gc: boolean;
}

/**
 * The server's memory after a forced GC (`GET /__bench/mem`); `reduce` asks V8 for its
 * memory-reducing GC, which also releases the young generation's pages (bench/servers/common.ts).
 */
export async function adminMemory(base: string, reduce = false): Promise<MemoryReport> {
  const response = await fetch(base + (reduce ? "/__bench/mem?reduce=1" : "/__bench/mem"));
  if (response.status !== 200) throw new Error(`/__bench/mem answered ${response.status}`);
  return await response.json() as MemoryReport;
}

export async function adminCreate(base: string, n: number): Promise<{ ids: string[]; ms: number }> {
  const response = await fetch(`${base}/__bench/sessions?n=${n}&ids=1`, { method: "POST" });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`/__bench/sessions answered ${response.status}: ${text.slice(0, 300)}`);
  }
  const ids = text === "" ? [] : text.split("\n");
  if (ids.length !== n) throw new Error(`/__bench/sessions created ${ids.length} of ${n} sessions`);
  return { ids, ms: Number(response.headers.get("x-ms")) };
}
