/**
 * Serves a handler to one client over stdio, as desktop clients and IDEs
 * run local MCP servers: newline-delimited JSON-RPC on stdin and stdout, on
 * Node, Deno and Bun. Each line is served by the handler in process as an
 * HTTP request, so the definitions, `ctx`, every check and both eras (2025
 * in one session for the life of the process; 2026-07-28 per request) run
 * as they do over HTTP. Only protocol messages reach stdout: while serving,
 * `console.log` and its kin write to stderr. Not for workerd (no stdio).
 * @module
 */

import process from "node:process";
import type { McpHandler } from "../handler.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import { errorResponse } from "../jsonrpc/messages.ts";
import type { Principal } from "../protocol/context/request_context.ts";
import { readLines } from "../jsonrpc/line_framer.ts";
import { ProgressPacer } from "./stdio/pacing.ts";
import { StdioSession } from "./stdio/session.ts";

/**
 * Where {@linkcode serveStdio} writes: anything with a `write(text)`, as
 * `process.stdout` has. Each call carries one whole message and its `\n`.
 *
 * @example
 * ```ts
 * import type { StdioOutput } from "@tether/mcp/stdio";
 * const lines: string[] = [];
 * const output: StdioOutput = { write: (text) => void lines.push(text) };
 * ```
 */
export interface StdioOutput {
  /** Writes `text` (one JSON-RPC message and its newline). */
  write(text: string): unknown;
}

/**
 * Options of {@linkcode serveStdio}.
 *
 * @example
 * ```ts
 * import type { StdioOptions } from "@tether/mcp/stdio";
 * const options: StdioOptions = { maxLineBytes: 1 << 20, drainMs: 2_000 };
 * ```
 */
export interface StdioOptions {
  /**
   * The client's messages, one JSON-RPC message a line.
   * @default {process.stdin}
   */
  input?: AsyncIterable<Uint8Array | string>;
  /**
   * Where answers, notifications and server requests go, one a line.
   * @default {process.stdout}
   */
  output?: StdioOutput;
  /**
   * The longest line taken, in bytes; a longer one is answered with
   * -32600 (`id: null`) and skipped without being kept in memory.
   * @default {4194304}
   */
  maxLineBytes?: number;
  /**
   * When the input ends or a stop is asked, how long calls in flight may
   * still finish and be answered before they are aborted (`handler.close`'s
   * `graceMs`).
   * @default {5000}
   */
  drainMs?: number;
  /**
   * How long after a 2026-07-28 call's progress notification was written
   * its answer may follow (the progress is flushed first): the official SDK
   * clients drop progress read in the same chunk as the call's answer. In a
   * 2025 session the answer waits instead for the client's reply to a
   * `ping` written after the progress (at most 1 s). 0 turns both off.
   * @default {50}
   */
  progressPaceMs?: number;
  /**
   * The principal every message comes from, attached to each request: the
   * handler reads it with `auth: { authenticate: attachedPrincipal }`.
   * Without it the client is the anonymous principal (whoever started the
   * process), or whatever the handler's `authenticate` makes of a request
   * without credentials.
   * @default {undefined}
   */
  principal?: Principal;
  /**
   * Stops serving (then drains) when it aborts.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Stop (then drain) on SIGTERM and SIGINT.
   * @default {true}
   */
  handleSignals?: boolean;
  /**
   * While serving on `process.stdout`, send `console.log`, `info`, `debug`,
   * `dir` and `table` to stderr, so a tool's logging never corrupts the protocol.
   * @default {true}
   */
  redirectConsole?: boolean;
  /**
   * Gets failures nothing else reports (an answer that could not be relayed).
   * @default {console.error}
   */
  onError?: (error: unknown) => void;
}

/** The defaults of {@linkcode StdioOptions}. */
const DEFAULTS = { maxLineBytes: 4 * 1024 * 1024, drainMs: 5_000, progressPaceMs: 50 } as const;

const CONSOLE_TO_STDERR = ["log", "info", "debug", "dir", "table", "dirxml"] as const;

/**
 * Serves `handler` to one client on stdin and stdout until the input ends,
 * `options.signal` aborts, or SIGTERM/SIGINT arrives; then calls in flight
 * get `drainMs` to finish, the 2025 session ends, and the handler closes.
 * Malformed lines are answered with -32700 (`id: null`); serving goes on.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import { serveStdio } from "@tether/mcp/stdio";
 * const handler = createMcpHandler({
 *   name: "notes",
 *   version: "1.0.0",
 *   tools: [defineTool({ name: "hello", handler: () => "hello" })],
 * });
 * await serveStdio(handler);
 * process.exit(0);
 * ```
 */
export async function serveStdio(handler: McpHandler, options: StdioOptions = {}): Promise<void> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULTS.maxLineBytes;
  const drainMs = options.drainMs ?? DEFAULTS.drainMs;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const onStdout = options.output === undefined;
  const output = options.output ?? process.stdout;
  const stop = new AbortController();
  const stopped = new Promise<"stop">((resolve) =>
    stop.signal.addEventListener("abort", () => resolve("stop"), { once: true })
  );
  const cleanups: (() => void)[] = [];
  const onStop = () => stop.abort();
  if (options.signal !== undefined) {
    if (options.signal.aborted) stop.abort();
    options.signal.addEventListener("abort", onStop, { once: true });
    cleanups.push(() => options.signal?.removeEventListener("abort", onStop));
  }
  if (options.handleSignals !== false) {
    for (const name of ["SIGTERM", "SIGINT"] as const) {
      process.on(name, onStop);
      cleanups.push(() => process.off(name, onStop));
    }
  }
  if (onStdout) {
    const onBroken = (error: unknown) => {
      onError(error);
      stop.abort();
    };
    process.stdout.on("error", onBroken);
    cleanups.push(() => process.stdout.off("error", onBroken));
    if (options.redirectConsole !== false) cleanups.push(redirectConsole());
  }
  let closed = false;
  const write = (line: string) => {
    if (closed) return;
    try {
      output.write(line + "\n");
    } catch (error) {
      onError(error);
      stop.abort();
    }
  };
  const paceMs = options.progressPaceMs ?? DEFAULTS.progressPaceMs;
  const pacer = paceMs > 0
    ? new ProgressPacer({ write, flush: onStdout ? flushStdout : () => Promise.resolve(), paceMs })
    : undefined;
  const session = new StdioSession(handler, write, {
    principal: options.principal,
    onError,
    pacer,
  });
  const lines = readLines(options.input ?? process.stdin, maxLineBytes)[Symbol.asyncIterator]();
  try {
    while (!stop.signal.aborted) {
      const next = await Promise.race([lines.next(), stopped]);
      if (next === "stop" || next.done === true) break;
      if (next.value.tooLong === true) {
        write(JSON.stringify(errorResponse(
          null,
          ErrorCode.InvalidRequest,
          `Invalid Request: a line is longer than ${maxLineBytes} bytes`,
        )));
        continue;
      }
      await session.receive(next.value.text);
    }
    await drain(handler, session, drainMs, onError);
  } finally {
    stop.abort();
    void lines.return(undefined).catch(() => {});
    closed = true;
    if (onStdout) await flushStdout();
    if (options.input === undefined) process.stdin.destroy();
    for (const cleanup of cleanups) cleanup();
  }
}

/**
 * Lets calls in flight finish within `drainMs` (the lines already read are
 * served, not refused), then closes the handler with what is left of it.
 */
async function drain(
  handler: McpHandler,
  session: StdioSession,
  drainMs: number,
  onError: (error: unknown) => void,
): Promise<void> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = (ms: number) =>
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
  try {
    await Promise.race([session.answered(), deadline(drainMs)]);
    clearTimeout(timer);
    const graceMs = Math.max(0, drainMs - (Date.now() - started));
    // close() resolves within graceMs + 1 s; the answers' streams end with it.
    await Promise.race([
      Promise.all([handler.close({ graceMs }), session.settled()]),
      deadline(graceMs + 2_000),
    ]);
  } catch (error) {
    onError(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `console.log` and its stdout kin to stderr; returns what undoes it. */
function redirectConsole(): () => void {
  const saved = CONSOLE_TO_STDERR.map((name) => [name, console[name]] as const);
  for (const name of CONSOLE_TO_STDERR) {
    console[name] = (...args: unknown[]) => console.error(...args);
  }
  return () => {
    for (const [name, original] of saved) {
      (console as unknown as Record<string, unknown>)[name] = original;
    }
  };
}

/** Resolves once what was written to stdout has been handed to the system. */
function flushStdout(): Promise<void> {
  return new Promise((resolve) => {
    try {
      process.stdout.write("", () => resolve());
    } catch {
      resolve();
    }
  });
}
