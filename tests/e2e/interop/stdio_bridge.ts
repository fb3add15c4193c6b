/**
 * mcp-remote's stdio bridge (the way desktop clients reach remote servers) as
 * a test client: `node_modules/mcp-remote/dist/proxy.js` runs on Node 24 as a
 * child process (from Node, Deno and Bun tests alike) against a loopback URL,
 * over plain HTTP and the Streamable HTTP transport only, with a throwaway
 * HOME and config directory so it never reads or writes real OAuth state.
 * The test speaks newline-delimited JSON-RPC to its stdin and stdout.
 * It does not authenticate: a server that asks for OAuth fails the test.
 * Starting takes a second and more of CPU (2 MB of JavaScript, then OAuth
 * discovery and the connection), much longer on a loaded machine: a wait for
 * a message has its own deadline, counted once the bridge has started.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { WAIT_MS, withTimeout } from "./helpers.ts";

const NODE = fileURLToPath(new URL("../../../node_modules/node24/bin/node", import.meta.url));
const PROXY = fileURLToPath(
  new URL("../../../node_modules/mcp-remote/dist/proxy.js", import.meta.url),
);
/** How long mcp-remote may take to start: until it says it serves stdio, connected. */
const START_MS = 60_000;

/** A running mcp-remote bridge. */
export interface StdioBridge {
  /** Every JSON-RPC message the bridge wrote to stdout, in order. */
  readonly received: Record<string, unknown>[];
  /** Writes one JSON-RPC message to the bridge's stdin. */
  send(message: Record<string, unknown>): void;
  /**
   * The first message received (now or later) that `match` accepts; rejects
   * when the bridge has not started within its start-up deadline, or when
   * `timeoutMs` pass after it has.
   */
  next(
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Stops the child process and removes its temporary directory. */
  close(): Promise<void>;
}

/** Starts mcp-remote against `url` (a loopback `http://` MCP endpoint). */
export function startMcpRemote(url: string): StdioBridge {
  const home = mkdtempSync(join(tmpdir(), "tether-mcp-remote-"));
  const child: ChildProcess = spawn(
    NODE,
    [PROXY, url, "--allow-http", "--transport", "http-only"],
    {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        MCP_REMOTE_CONFIG_DIR: join(home, "config"),
        // Anything that would open a browser for OAuth fails instead.
        BROWSER: "false",
      },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const received: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let pending = "";
  let started: () => void;
  const starting = new Promise<void>((resolve) => started = resolve);
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line === "") continue;
      try {
        received.push(JSON.parse(line) as Record<string, unknown>);
      } catch { /* not JSON-RPC: ignore */ }
    }
    for (const wake of [...waiters]) wake();
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    // Its own words once it serves stdio, connected to the server.
    if ((stderr + chunk).includes("Proxy established successfully")) started();
    // Kept (bounded) for failure messages.
    stderr = (stderr + chunk).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const start = withTimeout(
    Promise.race([
      starting,
      exited.then(() => Promise.reject(new Error("mcp-remote exited before it started"))),
    ]),
    START_MS,
    "mcp-remote to start",
  );
  start.catch(() => {}); // reported by the wait that needs it
  return {
    received,
    send(message) {
      child.stdin!.write(`${JSON.stringify(message)}\n`);
    },
    async next(match, timeoutMs = WAIT_MS) {
      await start.catch((error) => {
        throw new Error(`${(error as Error).message}; its stderr ends with:\n${stderr}`);
      });
      let waker: (() => void) | undefined;
      const found = new Promise<Record<string, unknown>>((resolve) => {
        waker = () => {
          const message = received.find(match);
          if (message === undefined) return;
          waiters.delete(waker!);
          resolve(message);
        };
        waiters.add(waker);
        waker();
      });
      return withTimeout(found, timeoutMs, "no matching message from mcp-remote").catch((error) => {
        waiters.delete(waker!);
        throw new Error(`${(error as Error).message}; its stderr ends with:\n${stderr}`);
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await withTimeout(exited, WAIT_MS, "mcp-remote to exit").catch(() => {
          child.kill("SIGKILL");
        });
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
