/**
 * A stdio server run as a subprocess on the test's runtime, spoken to in
 * raw lines: every stdout line is kept (and must parse as a JSON-RPC
 * message), stderr is kept as text, and every wait has a deadline.
 * Not a test file itself.
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runtimeCommand } from "../gateway/runtime_command.ts";
import { within } from "../../helpers.ts";

/** examples/stdio.ts, the everything fixture over stdio. */
export const EXAMPLE = fileURLToPath(new URL("../../../examples/stdio.ts", import.meta.url));
/** A small server over stdio whose tools log to the console and block until cancelled. */
export const FIXTURE = fileURLToPath(new URL("./stdio_fixture.ts", import.meta.url));

/** The `_meta` envelope of a 2026-07-28 request. */
export function envelope(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": capabilities,
    "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1.0.0" },
  };
}

/** A running stdio server. */
export interface StdioProcess {
  readonly child: ChildProcess;
  /** Every stdout line so far, parsed. */
  readonly messages: Record<string, unknown>[];
  /** stdout lines that did not parse as a JSON-RPC message. */
  readonly strays: string[];
  /** stderr so far. */
  stderr(): string;
  /** Writes a message (or a raw string) and its newline. */
  send(message: unknown): void;
  /** Resolves with the first message (since the start) that `match` accepts. */
  waitFor(
    match: (message: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>>;
  /** Sends a request and resolves with its response. */
  request(
    id: number,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Kills the process if it still runs. */
  kill(): void;
}

/** Starts `file` as a stdio server on this runtime. */
export function startStdio(file: string, env: Record<string, string> = {}): StdioProcess {
  const { command, args } = runtimeCommand(file);
  const child = spawn(command, args, {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const messages: Record<string, unknown>[] = [];
  const strays: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let pending = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      try {
        const message = JSON.parse(line);
        if (message?.jsonrpc !== "2.0") strays.push(line);
        else messages.push(message);
      } catch {
        strays.push(line);
      }
    }
    for (const waiter of waiters) waiter();
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk;
    for (const waiter of waiters) waiter();
  });
  child.stdin!.on("error", () => {});
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1))
  );
  const send = (message: unknown) => {
    child.stdin!.write((typeof message === "string" ? message : JSON.stringify(message)) + "\n");
  };
  const waitFor = (match: (message: Record<string, unknown>) => boolean, what: string) => {
    let waiter = () => {};
    const found = new Promise<Record<string, unknown>>((resolve) => {
      waiter = () => {
        const message = messages.find(match);
        if (message !== undefined) resolve(message);
      };
      waiters.add(waiter);
      waiter();
    });
    return within(found, 60_000, what).finally(() => waiters.delete(waiter));
  };
  return {
    child,
    messages,
    strays,
    stderr: () => stderr,
    send,
    waitFor,
    request(id, method, params) {
      send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
      return waitFor(
        (message) => message.id === id && !("method" in message),
        `${method} answered`,
      );
    },
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Resolves when `text()` contains `needle` (checked every 20 ms, up to 60 s). */
export async function waitForText(text: () => string, needle: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!text().includes(needle)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${needle}" in: ${text()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Connects an SDK client over its stdio transport within 60 s (starting a
 * server on a loaded machine is slow); when that fails, closes the
 * transport so its process does not outlive the test.
 */
export async function connectWithin<T extends { close(): Promise<void> }>(
  client: { connect(transport: T): Promise<void> },
  transport: T,
): Promise<void> {
  try {
    await within(client.connect(transport), 60_000, "connect");
  } catch (error) {
    await transport.close().catch(() => {});
    throw error;
  }
}

/** Runs `run` with `file` started as a stdio server; kills it afterwards. */
export async function withProcess(
  file: string,
  run: (server: StdioProcess) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const server = startStdio(file, env);
  try {
    await run(server);
  } finally {
    server.kill();
    await server.exited;
  }
}

/** Opens a 2025-11-25 session (declaring elicitation) with request `id`. */
export async function initialize(server: StdioProcess, id = 1): Promise<void> {
  const answer = await server.request(id, "initialize", {
    protocolVersion: "2025-11-25",
    capabilities: { elicitation: {} },
    clientInfo: { name: "raw", version: "1.0.0" },
  });
  const version = (answer.result as { protocolVersion?: string } | undefined)?.protocolVersion;
  if (version !== "2025-11-25") throw new Error(`initialize answered ${JSON.stringify(answer)}`);
  server.send({ jsonrpc: "2.0", method: "notifications/initialized" });
}
