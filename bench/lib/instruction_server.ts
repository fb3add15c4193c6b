/**
 * The HTTP cases of bench/instructions.ts: a bench server (bench/servers/)
 * runs under valgrind and is sent `count` stateless (2026-07-28) echo calls,
 * one after another on one keep-alive connection, each answer checked; then
 * it is told to exit (`POST /__bench/exit`) and valgrind's count is read.
 * Unlike the in-process cases, the count includes the runtime's HTTP server
 * for real requests: how it parses them, what each `request.headers.get`
 * costs (on Deno.serve each one is a call into Rust), how a `Response`
 * is written. System calls still count as one instruction each.
 */

import { spawn } from "node:child_process";
import http from "node:http";
import { modernCallHeaders, modernEchoCallBody, POST_HEADERS } from "./protocol.ts";

/** Sends `count` calls to `port` over one connection; throws on the first wrong answer. */
async function drive(port: number, count: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { ...POST_HEADERS, ...modernCallHeaders("echo") };
  const post = (path: string, body: string) =>
    new Promise<[number, string]>((resolve, reject) => {
      const request = http.request({
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent,
        headers: { ...headers, "content-length": Buffer.byteLength(body) },
      }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve([response.statusCode ?? 0, text]));
      });
      request.on("error", reject);
      request.end(body);
    });
  try {
    for (let id = 1; id <= count; id++) {
      const [status, text] = await post("/mcp", modernEchoCallBody(id));
      if (
        status !== 200 || !text.includes(`"id":${id}`) || !text.includes(`"resultType":"complete"`)
      ) {
        throw new Error(`unexpected answer ${status} ${text.slice(0, 300)}`);
      }
    }
    await post("/__bench/exit", "{}");
  } finally {
    agent.destroy();
  }
}

/**
 * Runs `command` (a bench server, under valgrind or not), waits for its
 * READY line, drives it with `count` calls and returns its stderr once it
 * has exited. `command` must end with the server's arguments; `--port` is added.
 */
export async function runDrivenServer(
  command: string[],
  cwd: string,
  port: number,
  count: number,
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
    await drive(port, count);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const code = await exited;
  if (code !== 0) throw new Error(`server exited ${code}:\n${stderr.slice(-2000)}`);
  return stderr;
}
