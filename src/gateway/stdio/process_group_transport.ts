/**
 * The transport of a stdio upstream (the SDK's `Transport` shape): one subprocess in a process
 * group of its own (ending the group ends what it started), newline-delimited
 * JSON-RPC on its stdin and stdout. It takes a place in a process pool
 * before it spawns and gives it back once the process is gone; it does not
 * decide when a process may start or must end (process_pool.ts does).
 * `node:child_process` is reached through `process.getBuiltinModule`, never
 * imported, so a Worker bundles this module without it.
 * @module
 */

import { GATEWAY_DEFAULTS } from "../gateway_defaults.ts";
import type { ChildProcess, spawn as Spawn } from "node:child_process";
import type { setImmediate as SetImmediate } from "node:timers";
import type { JsonRpcMessage } from "../../jsonrpc/messages.ts";
import type { Principal } from "../../protocol/context/request_context.ts";
import type { ProcessPool } from "./process_pool.ts";
import { ExchangeLedger, LineReader } from "./stdio_lines.ts";

interface ProcessLike {
  versions?: { node?: string };
  platform?: string;
  env?: Record<string, string | undefined>;
  kill?(pid: number, signal: string): void;
  getBuiltinModule?(id: string): unknown;
}

/** The host's `process` (Node, Deno and Bun have one; workerd's has no subprocesses). */
export const host: ProcessLike | undefined = (globalThis as { process?: ProcessLike }).process;

/** How long the rest of stdout may take to arrive after the process exited, ms. */
const DRAIN_AFTER_EXIT_MS = 1_000;

/** What one process is started with. */
export interface SpawnSettings {
  /** The program (no shell). */
  command: string;
  /** Its arguments. */
  args?: readonly string[];
  /** Its working directory. */
  cwd?: string;
  /** Its whole environment. */
  env: Record<string, string>;
  /** What becomes of its stderr. */
  stderr?: "inherit" | "ignore";
  /** The largest line read from it, bytes; past it the process is killed. */
  maxMessageBytes: number;
  /** The pool it takes a place in, and for whom; absent: counted nowhere. */
  pool?: { pool: ProcessPool; principal: Principal };
}

/** A message transport over a subprocess in a process group of its own. */
export class ProcessGroupTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JsonRpcMessage) => void;
  readonly #settings: SpawnSettings;
  readonly #now: () => number;
  readonly #ledger = new ExchangeLedger();
  readonly #reader: LineReader;
  #lastActive: number;
  #child: ChildProcess | undefined;
  #exited = false;
  /** Started, the first message (`initialize`) not yet sent: busy, however long the start takes. */
  #opening = true;
  #retiring = false;
  #closeReported = false;
  #release: (() => void) | undefined;
  /** Messages read, not yet handed on, from `#next` on. */
  #queue: JsonRpcMessage[] = [];
  #next = 0;
  /** A handed-on notification or request is being handled: the next message waits. */
  #waiting = false;
  #finishing: ReturnType<typeof setTimeout> | undefined;

  constructor(settings: SpawnSettings) {
    this.#settings = settings;
    this.#now = settings.pool?.pool.now ?? Date.now;
    this.#lastActive = this.#now();
    this.#reader = new LineReader(settings.maxMessageBytes, {
      message: (message) => this.#enqueue(message),
      invalid: () =>
        this.onerror?.(new Error("The upstream process wrote a line that is not JSON-RPC")),
      oversized: () => {
        this.onerror?.(new Error("The upstream process sent a message over maxMessageBytes"));
        this.kill();
      },
    });
  }

  /** True while it starts, a request either way awaits its answer, or a subscription is held. */
  get busy(): boolean {
    return this.#opening || this.#ledger.busy;
  }

  /** When a message last passed either way. */
  get lastActive(): number {
    return this.#lastActive;
  }

  /** Takes the process's place in the pool (or throws why not), then spawns it. */
  start(): Promise<void> {
    const settings = this.#settings;
    const { spawn } = host!.getBuiltinModule!("node:child_process") as { spawn: typeof Spawn };
    let child: ChildProcess;
    try {
      // A refusal (GatewayBusyError) fails the upstream session's opening, and so the call.
      if (settings.pool !== undefined) {
        this.#release = settings.pool.pool.admit(settings.pool.principal, this);
      }
      child = spawn(settings.command, [...(settings.args ?? [])], {
        cwd: settings.cwd,
        env: settings.env,
        stdio: ["pipe", "pipe", settings.stderr ?? GATEWAY_DEFAULTS.StdioUpstreamOptions.stderr],
        // Its own process group (POSIX): ending the group ends what it started too.
        detached: host?.platform !== "win32",
        shell: false,
      });
    } catch (error) {
      this.#finish();
      return Promise.reject(error);
    }
    this.#child = child;
    child.stdout?.on("data", (chunk: Uint8Array) => this.#reader.read(chunk));
    child.stdin?.on("error", (error: Error) => this.onerror?.(error));
    child.once("exit", () => this.#exit());
    return new Promise((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (error: Error) => {
        this.#finish();
        reject(error);
      });
    });
  }

  send(message: JsonRpcMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (stdin === undefined || stdin === null || this.#exited || this.#retiring) {
      return Promise.reject(new Error("The upstream process has ended"));
    }
    this.#ledger.sent(message);
    this.#opening = false;
    this.#lastActive = this.#now();
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

  /** Kills the process group at once (unless an idle close is ending it on its own grace). */
  kill(): void {
    if (!this.#retiring) this.#signal("SIGKILL");
  }

  /**
   * Ends the process for being idle: the session ends now (its client sees
   * it closed, so the next call opens a new one); the process is asked to
   * exit (stdin closed, SIGTERM) and its group killed after `graceMs`.
   */
  retire(graceMs: number): void {
    if (this.#exited || this.#retiring || this.#child === undefined) return;
    this.#retiring = true;
    this.#child.stdin?.end();
    this.#signal("SIGTERM");
    // Not unref'd: the host stays up until the group is gone.
    const timer = setTimeout(() => this.#signal("SIGKILL"), graceMs);
    this.#child.once("exit", () => clearTimeout(timer));
    this.#reportClose();
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

  /**
   * Hands messages on in the order read, one at a time: after a
   * notification or request the next message waits for a macrotask, so
   * what its handler starts runs before a result read in the same chunk
   * ends the call (a custom client may defer its handlers).
   * stdout is paused while messages wait, so the queue holds at most a chunk.
   */
  #enqueue(message: JsonRpcMessage): void {
    this.#queue.push(message);
    if (!this.#waiting) this.#drain();
  }

  #drain(): void {
    this.#waiting = false;
    while (this.#next < this.#queue.length && !this.#closeReported) {
      const message = this.#queue[this.#next++];
      this.#ledger.received(message);
      this.#lastActive = this.#now();
      this.onmessage?.(message);
      if ("method" in message) {
        this.#waiting = true;
        macrotask(() => this.#drain());
        break;
      }
    }
    if (this.#next < this.#queue.length && !this.#closeReported) {
      // (Once the process exited, what is left of its stdout is read to the end.)
      if (!this.#exited) this.#child?.stdout?.pause();
      return;
    }
    this.#queue = [];
    this.#next = 0;
    this.#child?.stdout?.resume();
    // Exited, its stdout read to the end, the last message handled: the session is over.
    if (this.#exited && this.#finishing === undefined && !this.#waiting) this.#finish();
  }

  /** The process exited: its group is killed; the rest of its stdout is read, then it is over. */
  #exit(): void {
    this.#signal("SIGKILL"); // what the process started dies with it
    this.#exited = true;
    const stdout = this.#child?.stdout;
    if (stdout === undefined || stdout === null || stdout.readableEnded || stdout.destroyed) {
      this.#afterDrain();
      return;
    }
    this.#finishing = setTimeout(() => this.#finish(), DRAIN_AFTER_EXIT_MS);
    stdout.once("close", () => {
      clearTimeout(this.#finishing);
      this.#finishing = undefined;
      this.#afterDrain();
    });
    stdout.resume();
  }

  #afterDrain(): void {
    if (!this.#waiting) this.#finish();
  }

  #finish(): void {
    clearTimeout(this.#finishing);
    if (!this.#exited) this.#signal("SIGKILL");
    this.#exited = true;
    this.#release?.();
    this.#release = undefined;
    this.#reportClose();
  }

  #reportClose(): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.onclose?.();
  }
}

let setImmediateOf: typeof SetImmediate | undefined;

/** Runs `task` on a macrotask of its own (after every microtask queued before it). */
function macrotask(task: () => void): void {
  setImmediateOf ??=
    (host!.getBuiltinModule!("node:timers") as { setImmediate: typeof SetImmediate })
      .setImmediate;
  setImmediateOf(task);
}
