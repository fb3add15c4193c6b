/**
 * Example programs run as child processes: started with PORT=0 by the
 * runtime binary their headers name, resolved with the URL they print, and
 * stopped (SIGTERM, then SIGKILL) by {@linkcode stopExamples}.
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { withTimeout } from "../interop/helpers.ts";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The binaries the examples' headers name, so the test does not depend on the runtime running it. */
export const BINARIES = {
  deno: `${ROOT}node_modules/.bin/deno`,
  bun: `${ROOT}node_modules/.bin/bun`,
  node24: `${ROOT}node_modules/node24/bin/node`,
};

/** A first Deno run may type-strip and cache the modules it loads: allow for it. */
const START_MS = 60_000;

/** A running example. */
export interface Example {
  /** The MCP endpoint URL it printed. */
  url: string;
  /** Everything it wrote so far, for failure messages. */
  output(): string;
}

const running: ChildProcess[] = [];

/** Stops every example started so far (call it after each test). */
export async function stopExamples(): Promise<void> {
  for (const child of running.splice(0)) await stop(child);
}

/** SIGTERM, then SIGKILL if the child is still there after a grace period; resolves once it exited. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  try {
    await withTimeout(exited, 10_000, "the example did not exit after SIGKILL");
  } finally {
    clearTimeout(killer);
  }
}

/** Starts `command` with PORT=0 and resolves with the URL it prints (rejects on exit or after START_MS). */
export function startExample(
  command: string,
  args: string[],
  pattern: RegExp,
  env: Record<string, string> = {},
): Promise<Example> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let output = "";
  const printed = new Promise<Example>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const url = pattern.exec(output)?.[0];
      if (url !== undefined) resolve({ url, output: () => output });
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      reject(
        new Error(
          `${args.join(" ")} exited (${code ?? signal}) before printing its URL:\n${output}`,
        ),
      );
    });
  });
  return withTimeout(printed, START_MS, `${args.join(" ")} printed no URL within ${START_MS} ms`);
}
