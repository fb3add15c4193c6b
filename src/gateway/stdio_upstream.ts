/**
 * stdio upstreams: an MCP server run as a subprocess per upstream session
 * (newline-delimited JSON-RPC on its stdin/stdout), in its own process group
 * so that ending it ends whatever it started. Node, Deno and Bun only: on
 * workerd (no subprocesses) `stdioUpstream` throws when it is defined.
 * `node:child_process` is reached through `process.getBuiltinModule` when a
 * process starts, never imported, so a Worker bundles this module without it.
 * @module
 */

import type { ChildProcess, spawn as Spawn } from "node:child_process";
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { checkUpstreamName, type Upstream, type UpstreamCredentials } from "./upstream.ts";

/**
 * Options of {@linkcode stdioUpstream}.
 *
 * @example
 * ```ts
 * import type { StdioUpstreamOptions } from "@tether/mcp/gateway";
 * const options: StdioUpstreamOptions = { name: "everything", command: "node", args: ["server.ts"] };
 * ```
 */
export interface StdioUpstreamOptions {
  /** The upstream's name. */
  name: string;
  /** The program to run (no shell). */
  command: string;
  /** Its arguments. Default: none. */
  args?: readonly string[];
  /** Its working directory. Default: the gateway's. */
  cwd?: string;
  /** Environment variables beside PATH and HOME (nothing else of the gateway's is passed). */
  env?: Record<string, string>;
  /** More environment variables for the caller (e.g. a token). Default: none. */
  credentials?: UpstreamCredentials;
  /** What becomes of the subprocess's stderr. @default {"inherit"} */
  stderr?: "inherit" | "ignore";
  /** The largest line (one JSON-RPC message) read from it, bytes; past it the process is killed. @default {4194304} */
  maxMessageBytes?: number;
}

interface ProcessLike {
  versions?: { node?: string };
  platform?: string;
  env?: Record<string, string | undefined>;
  kill?(pid: number, signal: string): void;
  getBuiltinModule?(id: string): unknown;
}

const host = (globalThis as { process?: ProcessLike }).process;

/** True where subprocesses can run (Node, Deno, Bun), false on workerd. */
export function canSpawn(): boolean {
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
  return agent !== "Cloudflare-Workers" && typeof host?.versions?.node === "string" &&
    typeof host.getBuiltinModule === "function";
}

/**
 * An upstream run as a subprocess speaking MCP over stdio, one process per
 * upstream session. Throws on workerd, where there are no subprocesses.
 *
 * @example
 * ```ts
 * import { stdioUpstream } from "@tether/mcp/gateway";
 * const everything = stdioUpstream({ name: "everything", command: "node", args: ["examples/everything.ts", "--stdio"] });
 * console.log(everything.name);
 * ```
 */
export function stdioUpstream(options: StdioUpstreamOptions): Upstream {
  const name = checkUpstreamName(options.name);
  if (!canSpawn()) {
    throw new TypeError(
      `Upstream "${name}": stdio upstreams need subprocesses (Node, Deno or Bun); this runtime has none`,
    );
  }
  if (typeof options.command !== "string" || options.command === "") {
    throw new TypeError(`Upstream "${name}": command must be a non-empty string`);
  }
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  return {
    name,
    async connect(principal) {
      const env: Record<string, string> = {};
      for (const key of ["PATH", "HOME", "SYSTEMROOT"]) {
        const value = host?.env?.[key];
        if (value !== undefined) env[key] = value;
      }
      Object.assign(env, options.env, await options.credentials?.(principal));
      const transport = new ProcessGroupTransport({ ...options, env, maxMessageBytes });
      return { transport, kill: () => transport.kill() };
    },
  };
}

interface SpawnSettings {
  command: string;
  args?: readonly string[];
  cwd?: string;
  env: Record<string, string>;
  stderr?: "inherit" | "ignore";
  maxMessageBytes: number;
}

/** An SDK transport over a subprocess in a process group of its own. */
class ProcessGroupTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #settings: SpawnSettings;
  #child: ChildProcess | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #exited = false;

  constructor(settings: SpawnSettings) {
    this.#settings = settings;
  }

  start(): Promise<void> {
    const settings = this.#settings;
    const { spawn } = host!.getBuiltinModule!("node:child_process") as { spawn: typeof Spawn };
    const child = spawn(settings.command, [...(settings.args ?? [])], {
      cwd: settings.cwd,
      env: settings.env,
      stdio: ["pipe", "pipe", settings.stderr ?? "inherit"],
      // Its own process group (POSIX): ending the group ends what it started too.
      detached: host?.platform !== "win32",
      shell: false,
    });
    this.#child = child;
    child.stdout?.on("data", (chunk: Uint8Array) => this.#read(chunk));
    child.stdin?.on("error", (error: Error) => this.onerror?.(error));
    child.once("exit", () => this.#finish());
    return new Promise((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (error: Error) => {
        this.#finish();
        reject(error);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (stdin === undefined || stdin === null || this.#exited) {
      return Promise.reject(new Error("The upstream process has ended"));
    }
    return new Promise((resolve) => {
      if (stdin.write(JSON.stringify(message) + "\n")) resolve();
      else stdin.once("drain", () => resolve());
    });
  }

  /** Closes stdin and asks the group to end; `kill` forces it. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child === undefined || this.#exited) return this.#finish();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin?.end();
    this.#signal("SIGTERM");
    await exited;
  }

  /** Kills the process group at once. */
  kill(): void {
    this.#signal("SIGKILL");
  }

  #signal(signal: string): void {
    const pid = this.#child?.pid;
    if (pid === undefined || this.#exited) return;
    try {
      if (host?.platform !== "win32" && host?.kill !== undefined) host.kill(-pid, signal);
      else this.#child?.kill(signal as "SIGTERM");
    } catch {
      this.#child?.kill(signal as "SIGTERM"); // the group is gone; the child may linger
    }
  }

  #read(chunk: Uint8Array): void {
    let start = 0;
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, start)) {
      this.#pending.push(chunk.subarray(start, index));
      start = index + 1;
      const line = this.#takeLine();
      if (line.trim() !== "") this.#deliver(line);
    }
    if (start < chunk.length) {
      this.#pending.push(chunk.subarray(start));
      this.#pendingBytes += chunk.length - start;
      if (this.#pendingBytes > this.#settings.maxMessageBytes) {
        this.#pending = [];
        this.#pendingBytes = 0;
        this.onerror?.(new Error("The upstream process sent a message over maxMessageBytes"));
        this.kill();
      }
    }
  }

  #takeLine(): string {
    const parts = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const decoder = new TextDecoder();
    return parts.map((part, index) => decoder.decode(part, { stream: index < parts.length - 1 }))
      .join("");
  }

  #deliver(line: string): void {
    let message: JSONRPCMessage;
    try {
      message = JSONRPCMessageSchema.parse(JSON.parse(line));
    } catch {
      this.onerror?.(new Error("The upstream process wrote a line that is not JSON-RPC"));
      return;
    }
    this.onmessage?.(message);
  }

  #finish(): void {
    if (this.#exited) return;
    this.#signal("SIGKILL"); // what the process started dies with it
    this.#exited = true;
    this.onclose?.();
  }
}
