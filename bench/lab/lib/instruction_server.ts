/**
 * The HTTP cases of bench/lab/instructions.ts: a bench server (bench/servers/)
 * runs under valgrind and is sent `count` calls of one tool (echo; for the
 * heavy workloads, in sessions, `large`, `large-1m` or `progress`), stateless (2026-07-28)
 * or, for the `legacy` era, in sessions (2025-11-25; one session per
 * connection, made over HTTP first), over `concurrency` keep-alive
 * connections, each connection sending its next call when its previous
 * answer came (concurrency 1: one after another), each answer checked; then
 * it is told to exit (`POST /__bench/exit`) and valgrind's count is read.
 * At a concurrency above 1 the count includes what a server pays only when
 * calls overlap (more live promises and registry entries, GC of a larger
 * young generation, batched socket reads), which one call at a time hides.
 * Unlike the in-process cases, the count includes the runtime's HTTP server
 * for real requests: how it parses them, what each `request.headers.get`
 * costs (on Deno.serve each one is a call into Rust), how a `Response`
 * is written. System calls still count as one instruction each.
 */

import { spawn } from "node:child_process";
import http from "node:http";
import { keepAlivePost } from "./keep_alive_post.ts";
import {
  ECHO_TEXT,
  echoCallBody,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  isLargeResult,
  isProgressResult,
  LARGE_1M_TEXT_BYTES,
  largeCallBody,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
  progressCallBody,
} from "../../lib/protocol.ts";

/** How a case is driven: which era's calls, over how many connections at once. */
export interface Drive {
  era: "2026" | "legacy";
  /** Connections, each with one call in flight. @default 1 */
  concurrency?: number;
  /** The tool called: a heavy workload's (legacy era only) or the echo tool. @default "echo" */
  tool?: "echo" | "large" | "large-1m" | "progress";
}

/** The body of call `id` and the check of its answer, per tool of the legacy era. */
const LEGACY_CALLS = {
  echo: {
    body: echoCallBody,
    right: (text: string, _id: number) => text.includes(`"text":"${ECHO_TEXT}"`),
  },
  large: { body: (id: number) => largeCallBody(id), right: isLargeResult },
  "large-1m": {
    body: (id: number) => largeCallBody(id, "large-1m"),
    right: (text: string, id: number) =>
      text.length >= LARGE_1M_TEXT_BYTES && isLargeResult(text, id),
  },
  progress: { body: progressCallBody, right: isProgressResult },
};

/** Sends `count` calls to `port`; throws on the first wrong answer. */
async function drive(port: number, count: number, how: Drive): Promise<void> {
  const concurrency = how.concurrency ?? 1;
  const call = LEGACY_CALLS[how.tool ?? "echo"];
  if (how.era === "2026" && call !== LEGACY_CALLS.echo) {
    throw new Error("the heavy tools are driven in the legacy era only");
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const modern = { ...POST_HEADERS, ...modernCallHeaders("echo") };
  const post = (path: string, body: string, headers: Record<string, string> = modern) =>
    keepAlivePost(agent, port, path, body, headers);
  /** The headers each connection's calls carry: its own session for the legacy era. */
  const callHeaders: Record<string, string>[] = [];
  for (let i = 0; i < concurrency; i++) {
    if (how.era === "2026") {
      callHeaders.push(modern);
      continue;
    }
    const [status, text, session] = await post("/mcp", initializeBody(`init-${i}`), {
      ...INIT_HEADERS,
    });
    if (status !== 200 || session === undefined) {
      throw new Error(`initialize answered ${status} ${text.slice(0, 300)}`);
    }
    const headers = { ...POST_HEADERS, "mcp-session-id": session };
    const [noted] = await post("/mcp", INITIALIZED_BODY, headers);
    if (noted !== 202) throw new Error(`notifications/initialized answered ${noted}`);
    callHeaders.push(headers);
  }
  let next = 0;
  const worker = async (connection: number) => {
    while (next < count) {
      const id = ++next;
      const body = how.era === "2026" ? modernEchoCallBody(id) : call.body(id);
      const [status, text] = await post("/mcp", body, callHeaders[connection]);
      const right = how.era === "2026"
        ? text.includes(`"resultType":"complete"`)
        : call.right(text, id);
      if (status !== 200 || !text.includes(`"id":${id}`) || !right) {
        throw new Error(`unexpected answer ${status} ${text.slice(0, 300)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
    await post("/__bench/exit", "{}");
  } finally {
    agent.destroy();
  }
}

/**
 * Runs `command` (a bench server, under valgrind or not), waits for its
 * READY line, drives it with `count` calls as `how` says and returns its
 * stderr once it has exited. `command` must end with the server's
 * arguments; `--port` is added.
 */
export async function runDrivenServer(
  command: string[],
  cwd: string,
  port: number,
  count: number,
  how: Drive = { era: "2026" },
): Promise<string> {
  const [binary, ...args] = command;
  const child = spawn(binary, [...args, "--port", String(port)], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("READY ")) resolve();
    });
    exited.then((code) =>
      reject(new Error(`server exited (${code}) before READY:\n${stderr.slice(-2000)}`))
    );
  });
  try {
    await ready;
    await drive(port, count, how);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const code = await exited;
  if (code !== 0) throw new Error(`server exited ${code}:\n${stderr.slice(-2000)}`);
  return stderr;
}
